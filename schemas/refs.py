"""Refs: what tasks pass and return instead of tables (URIs + row counts)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PartitionRef(BaseModel):
    """Pointer to one committed parquet partition; cheap to pass, persist and log."""

    model_config = ConfigDict(frozen=True)
    uri: str
    num_rows: int
    table: str  # key into schemas.tables.TABLES

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


class DatasetRef(BaseModel):
    """A committed directory of partitions of one table."""

    model_config = ConfigDict(frozen=True)
    uri: str
    table: str
    partitions: tuple[PartitionRef, ...] = ()

    @property
    def num_rows(self) -> int:
        return sum(p.num_rows for p in self.partitions)


class SourceFile(BaseModel):
    """One input file found by ingest: where it is, how to read it, and what identifies its version."""

    model_config = ConfigDict(frozen=True)
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


class FileResult(BaseModel):
    """What ingesting one input file staged: partitions (names relative to `uri`) and counts."""

    model_config = ConfigDict(frozen=True)
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


class RunPlan(BaseModel):
    """What every stage plan has: the run directory, the stage's fingerprint, whether it is committed."""

    model_config = ConfigDict(frozen=True)
    run: str
    fingerprint: str
    done: bool = False

    def _under_run(self, *parts: str) -> str:
        return "/".join([self.run.rstrip("/"), *parts])


class IngestPlan(RunPlan):
    """Where one ingest run reads and writes; `done` when its output is already committed."""

    files: tuple[SourceFile, ...]
    skipped: tuple[str, ...] = ()

    @property
    def documents_uri(self) -> str:
        return self._under_run("documents", self.fingerprint)

    @property
    def rejected_uri(self) -> str:
        return self._under_run("rejected", self.fingerprint)

    @property
    def work_uri(self) -> str:
        return self._under_run("work", "ingest", self.fingerprint)

    @property
    def report_uri(self) -> str:
        return self._under_run("report", "ingest")


class IngestResult(BaseModel):
    """Committed ingest output: the documents and rejected datasets and the summary."""

    model_config = ConfigDict(frozen=True)
    documents: DatasetRef
    rejected: DatasetRef
    summary: dict


class DedupPlan(RunPlan):
    """One dedup run: the documents it decides, their input-order offsets, the earlier run it compares with."""

    documents: DatasetRef
    offsets: tuple[int, ...]  # position of each documents partition's first row in input order
    against: DatasetRef | None = None  # an earlier run's dedup index (kept documents' signatures)

    @property
    def attributes_uri(self) -> str:
        return self._under_run("attributes", "dedup", self.fingerprint)

    @property
    def work_uri(self) -> str:
        return self._under_run("work", "dedup", self.fingerprint)

    @property
    def report_uri(self) -> str:
        return self._under_run("report", "dedup")


class SkillsPlan(RunPlan):
    """One skills run: the kept documents (documents + dedup partitions), where their embeddings go, and the
    skills' attribute directory (`fingerprint`, covering embeddings and skills params)."""

    documents: DatasetRef
    dedup: DatasetRef  # aligned with `documents` partition by partition
    model_id: str  # encoder.identity of the model's files
    embed_fingerprint: str  # embeddings params + model files
    dedup_fingerprint: str

    @property
    def embeddings_root(self) -> str:
        """Every embeddings of this model in the run, whatever documents they were made for (reused by doc)."""
        return self._under_run("attributes", "embeddings", self.embed_fingerprint)

    @property
    def embeddings_uri(self) -> str:
        return self._under_run("attributes", "embeddings", self.embed_fingerprint, self.dedup_fingerprint)

    @property
    def attributes_uri(self) -> str:
        return self._under_run("attributes", "skills", self.fingerprint)

    @property
    def work_uri(self) -> str:
        return self._under_run("work", "skills", self.fingerprint)

    @property
    def report_uri(self) -> str:
        return self._under_run("report", "skills")


class TokensPlan(RunPlan):
    """One tokens run: the kept documents with their skills, and where the tokenizer and token ids go."""

    documents: DatasetRef
    dedup: DatasetRef
    skills: DatasetRef  # partitions aligned with `documents`
    skills_fingerprint: str
    k: int  # number of skills
    tokenizer_sha256: str | None = None  # of the user's tokenizer, when one is given

    @property
    def tokenizer_uri(self) -> str:
        return self._under_run("tokens", self.fingerprint, "tokenizer.json")

    @property
    def attributes_uri(self) -> str:
        return self._under_run("attributes", "tokens", self.fingerprint)

    @property
    def work_uri(self) -> str:
        return self._under_run("work", "tokens", self.fingerprint)

    @property
    def report_uri(self) -> str:
        return self._under_run("report", "tokens")


class EmitPlan(RunPlan):
    """One emit: the token partitions, the tokens summary and mixture it packs, and the manifest's directory."""

    tokens: dict  # the tokens stage's summary (tokenizer, per-skill counts)
    mixture: dict  # mixture.json
    partitions: tuple[PartitionRef, ...]  # token partitions, in input order

    @property
    def out(self) -> str:
        return self._under_run("shards", self.fingerprint)

    @property
    def manifest_uri(self) -> str:
        return self._under_run("shards", self.fingerprint, "manifest.json")
