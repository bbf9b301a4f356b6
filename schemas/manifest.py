"""The weighted token manifest handed to training jobs; `schemas/manifest.schema.json` is generated from it.

Paths are relative to the manifest's directory and never leave it, so a manifest and its shards move
together and the same inputs give byte-identical manifests wherever they were made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenizerInfo(_Model):
    source: str = Field(description="how it was made: a trained BPE, or the user's file")
    path: str = Field(description="tokenizer.json, relative to the manifest")
    vocab_size: int
    eos_token: str
    eos_id: int
    sha256: str


class Shard(_Model):
    path: str = Field(description="relative to the manifest; a Megatron shard is its prefix (.bin and .idx)")
    format: Literal["megatron", "mds", "flat"]
    dtype: str
    documents: int
    tokens: int
    samples: int | None = Field(None, description="MDS: fixed-length samples in the shard")
    sha256: dict[str, str] = Field(description="file name -> sha256 of its bytes")


class SkillEntry(_Model):
    skill: int
    label: str
    weight: float = Field(ge=0, le=1)
    documents: int
    tokens_available: int
    tokens_to_draw: int
    repeat_factor: float = Field(description="tokens_to_draw / tokens_available; above 1 the skill is repeated")
    shards: list[Shard]


class TrainerInputs(_Model):
    megatron_data_args: str | None = Field(description="file for --data-args-path: 'weight prefix' pairs")
    megatron_blend: list[tuple[float, str]] = Field(description="the same pairs")
    mds_streams: list[dict] = Field(description="one MosaicML Stream(**entry) per skill: local (relative), proportion")
    mds_epoch_size: int | None = Field(description="samples per epoch that meet the token budget")
    litdata_weights: list[float] = Field(description="CombinedStreamingDataset weights, skills in order")


class Manifest(_Model):
    version: Literal[1] = 1
    seq_len: int
    token_budget: int
    seed: int
    formats: list[Literal["megatron", "mds", "flat"]]
    tokenizer: TokenizerInfo
    mixture: dict = Field(description="method, parameters and fingerprint of the mixture")
    skills: list[SkillEntry]
    trainer_inputs: TrainerInputs
    lineage: dict = Field(description="input fingerprint, each stage's fingerprint and parameters, package versions")


def schema_text() -> str:
    return json.dumps(Manifest.model_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m schemas.manifest  (regenerates manifest.schema.json)
    SCHEMA_PATH.write_text(schema_text())
