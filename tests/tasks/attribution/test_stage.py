"""The attribution stage's file-level helpers: target files and the rows a document is scored on."""

import numpy as np

from tasks.attribution import stage


def test_skill_means_average_each_skills_scores():
    assert stage.skill_means(np.array([1.0, 3.0, -2.0]), np.array([0, 0, 1])) == {"0": 2.0, "1": -2.0}
