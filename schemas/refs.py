"""Refs: what tasks and stages pass instead of tables (URIs + row counts), and the plans stages run.

A stage ref (`DocumentsRef`, `DedupRef`, ... `ManifestRef`) is what one committed stage output is: its
fingerprint, where it lies, and the refs of what it was made from. Flows hand a stage the refs of what it reads;
the chain a manifest's ref carries is its lineage. Refs are built by the run catalog (tasks.common.catalog), the
one place that knows where each stage lives in a run.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from schemas.config import TrainParams
from schemas.mixture import MixtureDoc
from schemas.outputs import ReportPage, TokensSummary, Verified


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PartitionRef(_Frozen):
    """Pointer to one committed parquet partition; cheap to pass, persist and log."""

    uri: str
    num_rows: int
    table: str  # key into schemas.tables.TABLES

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


class DatasetRef(_Frozen):
    """A committed directory of partitions of one table."""

    uri: str
    table: str
    partitions: tuple[PartitionRef, ...] = ()

    @property
    def num_rows(self) -> int:
        return sum(p.num_rows for p in self.partitions)


class SourceFile(_Frozen):
    """One input file found by ingest: where it is, how to read it, and what identifies its version."""

    uri: str
    rel: str  # path relative to its input root; names the file in rows, rejects and doc_id hashes
    format: str  # jsonl | parquet | text
    compression: str | None = None  # gzip | zstd
    size: int = 0
    version: str = ""  # mtime / ETag: a changed file gives a new ingest fingerprint
    # a byte range [start, end) of a plain JSONL file, cut at line starts; first_row: lines before start
    start: int = 0
    end: int | None = None
    first_row: int = 0

    @property
    def default_source(self) -> str:
        """Source label when records carry none: the input's name (file stem or directory name)."""
        first = self.rel.split("/", 1)[0]
        return first.split(".", 1)[0] or first

    @property
    def length(self) -> int:
        """Bytes of the file this unit covers."""
        return (self.size if self.end is None else self.end) - self.start

    def fingerprint(self) -> str:
        return f"{self.rel}|{self.format}|{self.compression}|{self.size}|{self.version}"


class FileResult(_Frozen):
    """What ingesting one input file staged: partitions (names relative to `uri`) and counts."""

    rel: str
    uri: str  # staging directory of this file
    documents: tuple[dict, ...] = ()  # [{'name': 'documents/part-00000.parquet', 'num_rows': n}]
    rejected: tuple[dict, ...] = ()
    kept: int = 0
    kept_bytes: int = 0
    rejected_by_reason: dict[str, int] = {}
    blank_lines: int = 0

    @property
    def records(self) -> int:
        return self.kept + sum(self.rejected_by_reason.values())


# ---- stage refs: one committed output each, with the refs it was made from ----


class StageRef(_Frozen):
    """A committed stage output: the run, its fingerprint and its directory."""

    run: str
    fingerprint: str
    uri: str


class DocumentsRef(StageRef):
    """An ingest: the documents (every later stage reads them, with attributes beside) and the rejected records."""

    documents: DatasetRef
    rejected: DatasetRef


class DedupRef(StageRef):
    """Dedup attributes aligned with `documents` partition by partition, and the kept documents' signatures
    (what a later run's `--against` compares with)."""

    attributes: DatasetRef
    index: DatasetRef
    documents: DocumentsRef


class QualityRef(StageRef):
    """Quality attributes aligned with `documents` partition by partition: the statistics, and `keep` (kept by dedup
    and by every quality rule), which is what later stages read."""

    attributes: DatasetRef
    dedup: DedupRef

    @property
    def documents(self) -> DocumentsRef:
        return self.dedup.documents


class SkillsRef(StageRef):
    """Skills of the kept documents: attributes aligned with the documents, skills.json and the embeddings."""

    attributes: DatasetRef
    skills_json: str
    embeddings: DatasetRef  # one partition per documents partition (empty ones have no file)
    k: int
    quality: QualityRef


class TokensRef(StageRef):
    """Token ids of the kept documents (one partition per documents partition) and the tokenizer."""

    attributes: DatasetRef
    tokenizer: str  # tokenizer.json
    vocab_size: int
    eos_id: int
    skills: SkillsRef


class AttributionRef(StageRef):
    """DsDm scores of the tokenized documents towards target tasks."""

    scores: DatasetRef
    documents: int  # documents scored (all of them unless --max-docs)
    tokens: TokensRef


class SkillAttributionRef(StageRef):
    """Group-level datamodels: each skill's benefit to target tasks."""

    skills_json: str
    tokens: TokensRef


class ProxyRunRef(_Frozen):
    """One committed proxy run (short training, cached by what it reads)."""

    fingerprint: str
    uri: str


class MixtureRef(StageRef):
    """A mixture over skills (mixture.json) and, for a DsDm selection, the documents it keeps."""

    mixture_json: str
    method: str
    selection: str | None = None  # selection.parquet
    tokens: TokensRef
    attribution: AttributionRef | None = None
    proxies: tuple[ProxyRunRef, ...] = ()  # the runs a fitted law (BiMix) was fitted to


class ManifestRef(StageRef):
    """An emitted manifest.json with its shards; `mixture` carries the whole chain it was made from."""

    manifest: str
    mixture: MixtureRef


class ProxiesRef(StageRef):
    """A committed design of proxy runs and their comparison."""

    comparison: str  # comparison.json
    manifest: ManifestRef
    runs: tuple[ProxyRunRef, ...]


# ---- plans: what a stage run reads and where it writes (URIs from the catalog) ----


class RunPlan(_Frozen):
    """What every stage plan has: the run, the stage's fingerprint and output directory, its work directory
    (intermediates) and report directory, and whether the output is already committed."""

    run: str
    fingerprint: str
    out: str
    work: str
    report: str
    done: bool = False


class IngestPlan(RunPlan):
    """Where one ingest run reads and writes; `out` holds the documents, `rejected` the bad records."""

    rejected: str
    given: tuple[str, ...]  # the inputs as given
    files: tuple[SourceFile, ...]
    skipped: tuple[str, ...] = ()


class DedupPlan(RunPlan):
    """One dedup run: the documents it decides, their input-order offsets, the earlier run it compares with."""

    documents: DocumentsRef
    offsets: tuple[int, ...]  # position of each documents partition's first row in input order
    against: DedupRef | None = None  # an earlier run's dedup (its index: the kept documents' signatures)


class QualityPlan(RunPlan):
    """One quality run: dedup's decisions, and where the statistics of its kept documents go (reused by any rules)."""

    dedup: DedupRef
    stats_fingerprint: str
    stats: str  # directory of the statistics partitions

    @property
    def documents(self) -> DatasetRef:
        return self.dedup.documents.documents


class SkillsPlan(RunPlan):
    """One skills run: the kept documents, where their embeddings go, and the skills' attribute directory."""

    quality: QualityRef
    model_id: str  # encoder.identity of the model's files
    embed_fingerprint: str  # embeddings params + model files
    embeddings: str  # this model's embeddings of these kept documents
    embeddings_root: str  # every embeddings of this model in the run (reused by document)
    export: str | None = None  # the OpenVINO / ONNX export the embedding tasks load, when one is needed
    exported_now: bool = False  # made by this plan (else reused from the cache)

    @property
    def documents(self) -> DatasetRef:
        return self.quality.documents.documents


class TokensPlan(RunPlan):
    """One tokens run: the kept documents with their skills, and where the tokenizer and token ids go."""

    skills: SkillsRef
    tokenizer: str  # tokenizer.json (its directory holds the tokenizer's marker)
    tokenizer_sha256: str | None = None  # of the user's tokenizer, when one is given

    @property
    def documents(self) -> DatasetRef:
        return self.skills.quality.documents.documents


class MixPlan(RunPlan):
    """One mixture: the tokens (and skills) it weighs, the attribution a selection reads, the manifest and proxy
    runs a law is fitted to."""

    tokens: TokensRef
    attribution: AttributionRef | None = None
    manifest: ManifestRef | None = None  # a fitted law: the manifest its proxies train on
    proxies: tuple[str, ...] = ()  # a fitted law: the keys of the runs it reads
    mixture_json: str
    selection: str  # where a DsDm selection's kept documents go


class EmitPlan(RunPlan):
    """One emit: the mixture (and through it the tokens) it packs, and the manifest's directory."""

    mixture: MixtureRef
    doc: MixtureDoc
    tokens: TokensSummary

    @property
    def manifest(self) -> str:
        return self.out.rstrip("/") + "/manifest.json"


class ProxySpec(_Frozen):
    """One proxy run of a design: a named mixture, a seed, the training parameters (the mixture resolved into
    explicit weights, so the run's key is what it trains on) and the run it starts from, if any."""

    name: str
    seed: int
    params: TrainParams
    init: str | None = None  # name of an earlier spec of the design whose final weights it starts from


class ProxiesPlan(RunPlan):
    """A design of proxy runs on a manifest's shards: each run's key and directory, and the design's comparison."""

    manifest: ManifestRef
    specs: tuple[ProxySpec, ...]
    runs: tuple[str, ...]  # run fingerprints, one per spec: params, start and a digest of the data read
    dirs: tuple[str, ...]  # run directories
    baseline: str | None = None


class CurateResult(_Frozen):
    """What the curate flow (`skillmix run`, the curation deployments) ends with: the manifest (its ref carries
    every stage's ref before it), its verification, and the run report."""

    manifest: ManifestRef
    verified: Verified
    report: ReportPage
