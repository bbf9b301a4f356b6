"""Target files and the rows a document or target example is scored on."""

import numpy as np
import pytest

from tasks.attribution import targets as stage
from tasks.common.errors import InputError


def test_bad_target_files_are_named_with_their_line(tmp_path):
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": \n')
    with pytest.raises(InputError, match=r"t.jsonl:2: not JSON"):
        stage.read_targets([str(bad)])
    bad.write_text('{"text": "fine"}\n{"title": "no text"}\n')
    with pytest.raises(InputError, match=r"t.jsonl:2: needs a non-empty 'text'"):
        stage.read_targets([str(bad)])
    with pytest.raises(InputError, match="no such file"):
        stage.read_targets([str(tmp_path / "missing.jsonl")])


def test_targets_are_named_by_their_field_or_their_file(tmp_path):
    f = tmp_path / "code.v2.jsonl"
    f.write_text('{"text": "a"}\n\n{"text": "b", "target": "qa"}\n{"text": "c"}\n')
    assert stage.read_targets([str(f)]) == {"code": ["a", "c"], "qa": ["b"]}


def test_rows_score_a_documents_first_tokens_and_never_its_padding():
    r = stage.rows([np.array([5, 6, 7]), np.arange(10, 30)], seq_len=4)
    assert r.x.tolist() == [[5, 6, 7, 0, 0], [10, 11, 12, 13, 14]]
    assert r.y.tolist() == [[6, 7, -100, -100], [11, 12, 13, 14]]
