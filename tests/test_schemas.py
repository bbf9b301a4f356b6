"""The contracts in schemas/: the committed manifest JSON schema, mixture.json's sparse optional parts, and every
output model's strictness (a file of another version fails loudly)."""

import pydantic
import pytest

from schemas.config import MixParams
from schemas.manifest import SCHEMA_PATH, schema_text
from schemas.mixture import MixtureDoc
from schemas.outputs import TokensPartMarker


def test_the_committed_manifest_schema_is_the_generated_one():
    assert SCHEMA_PATH.read_text() == schema_text(), "run: python -m schemas.manifest"


def test_a_mixture_leaves_out_the_parts_its_method_does_not_fill():
    doc = MixtureDoc(method="stratified", params=MixParams(method="stratified"), fingerprint="f", weights=[1.0],
                     skills=[{"skill": 0, "label": "a", "weight": 1.0, "tokens": 5, "documents": 1, "shannon": 1.0,
                              "conditional": 0.5, "joint": 1.5}],
                     provenance={"tokens": "t", "skills": "s", "tokenizer_sha256": "h"})  # fmt: skip
    dumped = doc.model_dump(mode="json")
    assert set(dumped) == {"method", "params", "fingerprint", "skills", "weights", "provenance"}
    assert "bimix" not in dumped["skills"][0] and set(dumped["provenance"]) == {"tokens", "skills", "tokenizer_sha256"}
    assert dumped["params"]["target"] is None  # the parameters stay whole: the manifest quotes them
    assert MixtureDoc.model_validate(dumped) == doc


def test_outputs_refuse_unknown_keys():
    with pytest.raises(pydantic.ValidationError, match="extra"):
        TokensPartMarker.model_validate({"num_rows": 1, "tokens": 2, "stats": "x"})
