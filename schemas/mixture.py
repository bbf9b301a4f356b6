"""mixture.json: a mixture over skills, the statistics behind each weight, a DsDm selection and a fitted law.

Declarations only. Optional parts a method does not fill are left out of the file (not written as null), so a
training-free mixture's file, and the manifest that quotes it, are the same as they were before these models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from schemas.config import MixParams


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_serializer(mode="wrap")
    def _sparse(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}


class BiMixSkillFit(_Doc):
    """One skill's fitted BiMix coefficients and predicted loss at the target steps."""

    A: float
    B: float
    C: float
    alpha: float
    beta: float
    r2: float
    predicted_loss: float


class MixtureSkill(_Doc):
    skill: int
    label: str
    weight: float
    tokens: int | None = None  # what the mixture draws from: all of the skill's tokens, or what a selection keeps
    documents: int | None = None  # (a proposal from swarm CSVs knows the tokens only if given, nothing else)
    shannon: float | None = None
    conditional: float | None = None
    joint: float | None = None
    von_neumann: float | None = None  # entropy-vne
    tokens_scored: int | None = None  # selection: the skill's tokens before it
    attribution_mean: float | None = None  # selection: mean combined score of the skill's documents
    quality: float | None = None  # --min-skill-quality: the mean quality score of the skill's documents
    bimix: BiMixSkillFit | None = None


class Provenance(_Doc):
    tokens: str | None = None  # a proposal from swarm CSVs: the files it read instead (swarm)
    skills: str | None = None
    tokenizer_sha256: str | None = None
    swarm: dict[str, str] | None = None  # file -> sha256 of the swarm CSVs and the law a proposal read
    attribution: str | None = None
    manifest: str | None = None  # a fitted law: the manifest its proxies trained on


class Selection(_Doc):
    file: str
    scope: str  # global (method dsdm) or within skills (the combined mode)
    keep: float
    target: str | list[str]
    attribution: str
    documents: int
    documents_scored: int
    tokens: int
    tokens_scored: int


class Holdout(_Doc):
    mixture: str
    fitted_on: list[str]
    mape: float
    mape_final: float


class DesignPoint(_Doc):
    weights: list[float]
    measured_final_mean: float
    predicted_mean: float
    final_step: int


class Bounds(_Doc):
    lower: list[float]
    upper: list[float]


class ProxyUsed(_Doc):
    mixture: str
    seed: int
    fingerprint: str


class LawFit(_Doc):
    """A mixing law fitted to proxy runs: its form, fit quality, the held-out check and the predictions."""

    form: str
    target_steps: int
    bounds: Bounds | None = None
    r2_log_loss: list[float]
    holdout: Holdout
    design: dict[str, DesignPoint]
    predicted_mean: dict[str, float]
    proxies: list[ProxyUsed]


class CVScore(_Doc):
    spearman: float
    mae: float


class SwarmLaw(_Doc):
    """A law fitted to a swarm of runs (method law, or `skillmix law propose`) and the proposal made from it."""

    family: str  # as asked: auto or one family
    chosen: dict[str, str]  # objective metric -> the candidate auto chose (a family or the stack)
    cv: dict[str, dict[str, CVScore]]  # candidate -> objective metric -> k-fold scores
    cv_mean: dict[str, CVScore]
    folds: int
    runs: int
    objective: str
    objective_metrics: list[str]
    how: str  # exact (a convex law) or search
    constraints: dict[str, Any]  # budget, max_repeat, caps, kl, prior, lower, upper
    binding: dict[str, list[str]]  # cap, lower, upper -> the domains at that bound
    predicted: dict[str, float]  # the objective predicted for the proposal, stratified and natural
    rounds: list[dict[str, Any]] | None = None  # method law: each round's runs and its law's proposal


class Pruned(_Doc):
    """Skills left out for their mean quality score (CLIMB's pruning)."""

    min_skill_quality: float
    skills: list[int]
    weight_before: float  # the share of the mixture they had


class MixtureDoc(_Doc):
    method: str
    params: MixParams
    fingerprint: str
    skills: list[MixtureSkill]
    weights: list[float]
    provenance: Provenance
    selection: Selection | None = None
    pruned: Pruned | None = None
    law: LawFit | None = None
    swarm: SwarmLaw | None = None


class MixMarker(_Doc):
    fingerprint: str
    method: str
    inputs: dict[str, str]  # tokens, and attribution for a selection, emit (its manifest) for a fitted law
    proxies: list[str] | None = None  # run fingerprints a fitted law read
