"""Typed stage outputs: each stage's summary (RUN/report/<stage>/summary.json) and its `_SUCCESS` marker.

Declarations only. A marker is written last into a committed directory; it names the fingerprints the stage
consumed (`inputs`, keyed by the stage that made each), which is how the run catalog rebuilds the chain of refs and
tells a stale output from a current one. Summaries are what the CLI prints and the run report shows
(tasks.report.sections renders both).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.config import (
    AttributionParams,
    DedupParams,
    EmbedParams,
    IngestParams,
    MinHashParams,
    QualityParams,
    SkillAttributionParams,
    SkillsParams,
    TokensParams,
)


class Output(BaseModel):
    """Frozen, and no unknown keys: a file written by another version fails loudly instead of half-reading."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Part(Output):
    """One file of a committed directory, relative to it."""

    name: str
    num_rows: int


# ---- ingest ----


class IngestInput(Output):
    uri: str
    rel: str
    format: str
    compression: str | None
    size: int
    version: str  # mtime / ETag when read: a file whose version changed makes a new ingest
    records: int
    kept_before_id_check: int
    tasks: int
    rejected_by_reason: dict[str, int]


class IngestSummary(Output):
    stage: Literal["ingest"] = "ingest"
    run: str
    fingerprint: str
    params: IngestParams
    given: list[str]  # the inputs as given (files or directories)
    records: int
    kept: int
    rejected: int
    rejected_by_reason: dict[str, int]
    counts_add_up: bool
    blank_lines: int
    kept_text_bytes: int
    bytes_in: int
    seconds: float
    documents: str
    rejected_uri: str
    kept_by_source: dict[str, int]
    inputs: list[IngestInput]
    skipped_files: list[str]


class IngestMarker(Output):
    fingerprint: str
    partitions: list[Part]
    summary: IngestSummary


class RejectedMarker(Output):
    fingerprint: str
    partitions: list[Part]


# ---- dedup ----


class DedupSummary(Output):
    stage: Literal["dedup"] = "dedup"
    run: str
    fingerprint: str
    params: DedupParams
    documents_in: int
    kept: int
    dropped: int
    dropped_by_reason: dict[str, int]
    counts_add_up: bool
    bands: int
    rows: int
    s_curve: dict[str, float]  # P(candidate | Jaccard), keyed by the Jaccard similarity
    candidate_pairs: int
    verified_pairs: int
    cluster_sizes: dict[str, int]  # cluster size -> clusters of that size (two documents or more)
    against: str | None
    seconds: float
    datasketch: str
    scheme: str
    attributes: str


class DedupMarker(Output):
    fingerprint: str
    inputs: dict[str, str | None]  # ingest: its fingerprint; against: the earlier run's dedup directory
    partitions: list[Part]
    summary: DedupSummary


class DedupIndexMarker(Output):
    partitions: list[Part]
    minhash: MinHashParams
    verify: bool


# ---- quality ----


class QualityExample(Output):
    doc_id: str
    source: str
    excerpt: str


class RuleDrops(Output):
    """What one check dropped (the documents whose first failed check it was)."""

    reason: str
    documents: int
    words: int  # spaCy words of those documents (tokens are counted after the tokenizer is trained on the kept)
    bytes: int
    by_source: dict[str, int]
    examples: list[QualityExample]


class Histogram(Output):
    edges: list[float]
    counts: list[int]


class QualitySummary(Output):
    stage: Literal["quality"] = "quality"
    run: str
    fingerprint: str
    params: QualityParams
    stats_fingerprint: str
    documents_in: int  # every document of the ingest, as dedup's documents_in
    kept: int
    dropped: int
    dropped_by_reason: dict[str, int]  # dedup's reasons and the rules'
    counts_add_up: bool
    statistics_computed: int  # documents whose statistics were computed by this run (0: all reused)
    statistics_reused: int
    rules: list[RuleDrops]
    by_source: dict[str, dict[str, int]]  # source -> {documents (after dedup), kept}
    languages: dict[str, int]  # top language of dedup's kept documents (ten most common, then "other")
    languages_by_source: dict[str, dict[str, int]]
    histograms: dict[str, Histogram]  # of each statistic over dedup's kept documents
    seconds: float
    versions: dict[str, str]
    attributes: str


class QualityMarker(Output):
    fingerprint: str
    inputs: dict[str, str]  # dedup: its fingerprint; stats: the statistics' fingerprint
    partitions: list[Part]
    summary: QualitySummary


class QualityStatsMarker(Output):
    num_rows: int
    stats_fingerprint: str


# ---- skills ----


class Example(Output):
    doc_id: str
    text: str


class SkillEntry(Output):
    """One skill of skills.json."""

    id: int
    label: str
    terms: list[str]
    documents: int
    share: float
    word_pieces: int
    examples: list[Example]
    centroid: list[float] | None = None


class FineCluster(Output):
    """One fine k-means cluster of skills.json (method merge): its size and the skill it was merged into."""

    id: int
    documents: int
    skill: int


class SkillsDoc(Output):
    """skills.json: labels, sizes, examples and centroids of a skills stage's skills; with method merge also
    the fine clusters and the merge tree over them (a scipy linkage matrix: the two ids merged, the merge
    height, the fine clusters below; ids >= the number of fine clusters name earlier merges)."""

    fingerprint: str
    skills: list[SkillEntry]
    fine: list[FineCluster] | None = None
    tree: list[list[float]] | None = None


class Agreement(Output):
    """Skills against a known label: purity, NMI and the skill x label counts."""

    field: str
    purity: float
    nmi: float
    table: dict[str, dict[str, int]]
    ari: float | None = None


class SemDedup(Output):
    eps: float | None
    dropped: int
    kept: int


class SkillsSummary(Output):
    stage: Literal["skills"] = "skills"
    run: str
    fingerprint: str
    method: Literal["kmeans", "merge", "group_by"]
    params: SkillsParams
    embed: EmbedParams
    model_id: str
    embed_fingerprint: str
    documents_in: int
    embedded: int
    reused: int
    max_seq_length: int
    truncated_share: float
    k: int
    k_silhouette: dict[str, float]
    sizes: list[int]
    fine_k: int | None = None
    k_gap: dict[str, float] = {}
    semdedup: SemDedup
    counts_add_up: bool
    agreement: Agreement | None
    seconds: float
    versions: dict[str, str]
    attributes: str
    embeddings: str


class SkillsMarker(Output):
    fingerprint: str
    inputs: dict[str, str]  # dedup: the dedup fingerprint
    partitions: list[Part]
    embeddings: list[Part]  # relative to the embeddings directory (summary.embeddings)
    summary: SkillsSummary


class EmbeddingsPartMarker(Output):
    num_rows: int
    reused: int
    embedded: int


# ---- tokens ----


class TokenizerMeta(Output):
    """The tokens stage's tokenizer marker."""

    sha256: str
    vocab_size: int
    eos_token: str
    eos_id: int
    source: str
    tokenizers: str


class TokenizerInfo(TokenizerMeta):
    path: str


class SkillTokens(Output):
    skill: int
    documents: int
    tokens: int
    shannon: float
    joint: float
    conditional: float


class TokensSummary(Output):
    stage: Literal["tokens"] = "tokens"
    run: str
    fingerprint: str
    params: TokensParams
    tokenizer: TokenizerInfo
    skills_fingerprint: str
    documents: int
    tokens: int
    skills: list[SkillTokens]
    seconds: float
    counts_add_up: bool
    attributes: str


class TokensMarker(Output):
    fingerprint: str
    inputs: dict[str, str]  # skills: the skills fingerprint
    partitions: list[Part]
    summary: TokensSummary


class TokensPartMarker(Output):
    num_rows: int
    tokens: int


# ---- attribution ----


class SurrogateCandidate(Output):
    """One candidate's k-fold score on the TRAK-scored sample."""

    rho: float  # mean held-out Spearman over the folds (a fold where it is undefined counts 0)
    folds: list[float | None]
    seconds: float


class SurrogateTarget(Output):
    """The surrogate of one target: the candidates' scores, the chosen one's held-out agreement with TRAK."""

    target: str
    chosen: str
    candidates: dict[str, SurrogateCandidate]
    rho: float | None  # out-of-fold predictions against TRAK over the whole sample
    within_skill_rho: float | None  # the mean of per_skill: what the surrogate adds beyond ranking skills
    skill_mean_rho: float | None  # baseline: each document predicted by its skill's in-fold mean score
    per_skill: dict[str, float | None]  # skill -> held-out Spearman (None under 5 sampled documents)
    weak: bool  # rho below min_rho (or undefined)


class SurrogateSummary(Output):
    """TRAK on a sample, a surrogate for the rest: how many each scored, how well, how fast."""

    sample: int
    scored_by: dict[str, int]  # trak / surrogate -> documents; they add up to the documents scored
    min_rho: float
    targets: list[SurrogateTarget]
    seconds: dict[str, float]  # trak (proxies included), features, fit, predict
    docs_per_second: dict[str, float]  # trak: sample / its seconds; predict: the rest / its seconds
    weak: bool  # any target's surrogate is weak


class AttributionSummary(Output):
    stage: Literal["attribution"] = "attribution"
    fingerprint: str
    tokens_fingerprint: str
    documents: int
    rows: int
    targets: dict[str, int]
    target_files: list[str]
    params: AttributionParams
    seconds: float
    sign: str
    per_skill_mean: dict[str, dict[str, float]]
    surrogate: SurrogateSummary | None = None  # with --sample


class AttributionMarker(Output):
    fingerprint: str
    inputs: dict[str, str]  # tokens: the tokens fingerprint
    partitions: list[Part]
    summary: AttributionSummary


class SkillBenefit(Output):
    skill: int
    label: str
    documents: int
    benefit: dict[str, float]


class SkillAttributionSummary(Output):
    stage: Literal["attribution-skills"] = "attribution-skills"
    fingerprint: str
    tokens_fingerprint: str
    targets: dict[str, int]
    target_files: list[str]
    params: SkillAttributionParams
    seconds: float
    sign: str
    skills: list[SkillBenefit]
    cv_spearman: dict[str, float | None]
    loss_range: dict[str, list[float]]


class SkillAttributionMarker(Output):
    fingerprint: str
    inputs: dict[str, str]
    summary: SkillAttributionSummary


# ---- emit ----


class EmitMarker(Output):
    fingerprint: str
    inputs: dict[str, str]  # mix, tokens: the fingerprints packed
    skills: int
    token_budget: int


class ShardEntry(Output):
    """What an emitted shard holds (the manifest's Shard, before validation)."""

    path: str
    format: str
    dtype: str
    documents: int
    tokens: int
    samples: int | None
    sha256: dict[str, str]


class EmitSkillMarker(Output):
    skill: int
    entries: list[ShardEntry]


# ---- train and proxies ----


class TrainSummary(Output):
    """A finished training run (RUN/summary.json)."""

    stage: Literal["train"] = "train"
    config: dict  # {'manifest': the manifest read, 'params': TrainParams}; a checkpoint resumes only under it
    steps: int
    device: str
    seconds: float
    tokens_per_second: float | None
    parameters: int
    final_val_loss: dict[str, float]  # skill -> validation loss at the last evaluation
    mean_final_val_loss: float
    final_weights: list[float]


class Curves(Output):
    """Per-skill validation loss at every evaluation: losses[i][j] at steps[i], skill j."""

    steps: list[int]
    losses: list[list[float]]


class ProxyRun(TrainSummary):
    """A committed proxy run (its marker): the training summary, its key and directory, and its loss curves."""

    fingerprint: str
    uri: str
    metrics: str
    curves: Curves
    init: str | None = None  # the run it started from


class ComparisonRow(Output):
    mixture: str
    seeds: list[int]
    mean: float
    std: float
    per_seed: dict[str, float]
    vs: str | None = None
    mean_diff: float | None = None
    wins: int | None = None
    paired_seeds: int | None = None


class ComparedRun(Output):
    mixture: str
    seed: int
    fingerprint: str
    uri: str
    final_val_loss: dict[str, float]
    final_weights: list[float]


class ProxiesComparison(Output):
    """Proxy runs of a design compared by average per-skill validation loss (comparison.json)."""

    stage: Literal["proxies"] = "proxies"
    fingerprint: str
    manifest: str
    steps: int
    baseline: str | None
    mixtures: list[ComparisonRow]
    runs: list[ComparedRun]


class ProxiesMarker(Output):
    fingerprint: str
    inputs: dict[str, str]  # emit: the manifest's fingerprint
    runs: list[str]  # run fingerprints


class SkillsGraphSummary(Output):
    stage: Literal["skills-graph"] = "skills-graph"
    manifest: str
    base_steps: int
    steps_per_skill: int
    base_val_loss: list[float]
    graph: list[list[float]]
    density: float
    proxies: list[str]  # the base run, then one run per skill


class Verified(Output):
    """What `skillmix verify` found: every shard's checksums and counts match its manifest."""

    manifest: str
    skills: int
    shards: int
    files: int
    tokens: dict[str, int]  # per format


class ReportPage(Output):
    """The run report as written: the page, its Markdown twin, and which sections have content."""

    html: str
    markdown: str
    sections: dict[str, bool]
