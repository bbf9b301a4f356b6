"""The emit stage's checks before it writes anything."""

import pytest

from schemas.config import MixParams
from schemas.mixture import MixtureDoc
from tasks.common.errors import InputError
from tasks.emit import stage


def _doc(tokens: list[int], weights: list[float], selection: bool = False) -> MixtureDoc:
    skills = [
        {
            "skill": i,
            "label": ["code", "empty, none"][i],
            "weight": w,
            "tokens": t,
            "documents": 1,
            "shannon": 1.0,
            "conditional": 1.0,
            "joint": 1.0,
        }
        for i, (t, w) in enumerate(zip(tokens, weights, strict=False))
    ]
    sel = (
        {
            "file": "selection.parquet",
            "scope": "global",
            "keep": 0.5,
            "target": "code",
            "attribution": "a",
            "documents": 1,
            "documents_scored": 2,
            "tokens": 10,
            "tokens_scored": 20,
        }
        if selection
        else None
    )
    return MixtureDoc(method="natural", params=MixParams(method="natural"), fingerprint="m", skills=skills,
                      weights=weights, provenance={"tokens": "t", "skills": "s", "tokenizer_sha256": "h"},
                      selection=sel)  # fmt: skip


def test_a_skill_with_no_tokens_is_named():
    with pytest.raises(InputError, match=r"skill 1 \(empty, none\) has no tokens"):
        stage.check_drawable(_doc([10, 0], [0.5, 0.5]))


def test_a_selection_may_drop_a_skill_it_gives_no_weight():
    stage.check_drawable(_doc([10, 0], [1.0, 0.0], selection=True))
    assert stage.emitted(_doc([10, 0], [1.0, 0.0], selection=True)) == [0]
