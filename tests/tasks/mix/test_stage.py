"""The mix stage on a staged run: training-free mixtures from the tokens stage's statistics, committed and read
back; the fingerprint covers what it consumed; a selection's checks on refs alone."""

import json
from pathlib import Path

import numpy as np
import pytest

from schemas.config import MixParams
from schemas.refs import AttributionRef, DatasetRef
from tasks.common import catalog
from tasks.common.errors import InputError
from tasks.mix import stage


@pytest.mark.parametrize("method", ["natural", "stratified", "temperature", "entropy-conditional", "entropy-vne"])
def test_training_free_mixtures_sum_to_one_over_every_skill_with_their_statistics(staged, method):
    params = MixParams(method=method)
    p = stage.plan(staged.run, staged.tokens, params)
    doc = stage.mixture(p, params)
    t = catalog.summary(staged.tokens)
    assert doc.method == method and sum(doc.weights) == pytest.approx(1.0) and len(doc.skills) == 3
    assert [s.tokens for s in doc.skills] == [s.tokens for s in t.skills]
    assert doc.provenance.tokens == staged.tokens.fingerprint and doc.provenance.skills == staged.skills.fingerprint
    if method == "natural":
        assert doc.weights == pytest.approx(np.array([s.tokens for s in t.skills]) / t.tokens)
    if method == "entropy-vne":
        assert all(s.von_neumann > 0 for s in doc.skills)
    assert json.loads(Path(p.mixture_json).read_text()) == doc.model_dump(mode="json")


def test_a_committed_mixture_is_read_back_and_its_fingerprint_covers_what_it_read(staged):
    params = MixParams(method="stratified")
    p = stage.plan(staged.run, staged.tokens, params)
    assert p.done and p.fingerprint == staged.mixture.fingerprint  # the staged run committed this one
    assert p.fingerprint == params.fingerprint(staged.tokens.fingerprint, staged.skills.fingerprint)
    assert stage.mixture(p, params) == catalog.summary(staged.mixture)
    law = stage.plan(staged.run, staged.tokens, MixParams(method="bimix"), proxies=("r1", "r2"))
    assert law.fingerprint == MixParams(method="bimix").fingerprint(
        staged.tokens.fingerprint, staged.skills.fingerprint, "r1", "r2"
    )
    with pytest.raises(ValueError, match="the bimix method trains proxy runs"):
        stage.mixture(law, MixParams(method="bimix"))


def test_a_selection_needs_an_attribution_of_these_tokens_that_scored_every_document(staged):
    with pytest.raises(InputError, match="no attribution scores; run `skillmix attribution --run"):
        stage.plan(staged.run, staged.tokens, MixParams(method="dsdm"))
    n = staged.tokens.attributes.num_rows
    scores = DatasetRef(uri="s", table="attribution")
    some = AttributionRef(
        run=staged.run, fingerprint="a", uri="a", scores=scores, documents=n - 1, tokens=staged.tokens
    )
    with pytest.raises(InputError, match=rf"scored {n - 1} of {n} documents \(--max-docs\)"):
        stage.check_attribution(staged.tokens, some)
    other = staged.tokens.model_copy(update={"fingerprint": "other"})
    with pytest.raises(InputError, match="scored other tokens than the latest tokens stage"):
        stage.check_attribution(staged.tokens, some.model_copy(update={"tokens": other, "documents": n}))


def test_min_skill_quality_records_each_skills_score_and_the_pruning(staged):
    params = MixParams(method="stratified", min_skill_quality=0.0)
    doc = stage.mixture(stage.plan(staged.run, staged.tokens, params), params)
    quality = np.array([s.quality for s in doc.skills])
    assert ((quality >= 0) & (quality <= 1)).all() and quality.max() < 1  # the 43-word documents fail Gopher
    assert doc.pruned.skills == [] and doc.pruned.min_skill_quality == 0.0 and doc.weights == [1 / 3] * 3
    written = json.loads(Path(catalog.mixture_json(staged.run, doc.fingerprint)).read_text())
    assert written["pruned"] == {"min_skill_quality": 0.0, "skills": [], "weight_before": 0.0}


def test_min_skill_quality_above_every_skill_is_refused(staged):
    params = MixParams(method="stratified", min_skill_quality=1.0)
    with pytest.raises(InputError, match="--min-skill-quality: every skill.s mean quality score is below 1.0"):
        stage.mixture(stage.plan(staged.run, staged.tokens, params), params)


def test_min_skill_quality_is_for_training_free_methods():
    with pytest.raises(ValueError, match="min_skill_quality prunes a training-free mixture, not method bimix"):
        MixParams(method="bimix", min_skill_quality=0.5)
