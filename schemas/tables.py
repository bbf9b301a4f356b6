"""Arrow schemas of every table that crosses a stage boundary.

Declarations only. `io.read_table` checks a partition against the schema named in its ref.
"""

from __future__ import annotations

import pyarrow as pa

DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False, metadata={"doc": "stable id assigned at ingest"}),
        pa.field("text", pa.string(), nullable=False, metadata={"doc": "NFC-normalised, control chars stripped"}),
        pa.field("source", pa.string(), nullable=False, metadata={"doc": "source/label field, else file stem"}),
        pa.field("meta", pa.string(), metadata={"doc": "JSON object of the record's other fields"}),
        pa.field("file", pa.string(), nullable=False, metadata={"doc": "input file, relative to its input root"}),
        pa.field("row", pa.int64(), nullable=False, metadata={"doc": "1-based line (JSONL), 0-based row (Parquet)"}),
        pa.field("n_bytes", pa.int64(), nullable=False, metadata={"doc": "UTF-8 bytes of text"}),
    ]
)

REJECTED = pa.schema(
    [
        pa.field("file", pa.string(), nullable=False),
        pa.field("row", pa.int64(), nullable=False, metadata={"doc": "as in DOCUMENTS.row"}),
        pa.field("reason", pa.string(), nullable=False, metadata={"doc": "one of tasks.ingest.records.REASONS"}),
        pa.field("detail", pa.string(), nullable=False),
        pa.field("excerpt", pa.string(), nullable=False, metadata={"doc": "start of the raw record"}),
        pa.field("doc_id", pa.string(), metadata={"doc": "the id, where one was read"}),
    ]
)

DEDUP = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("exact_group", pa.string(), nullable=False, metadata={"doc": "doc_id kept for this exact text"}),
        pa.field("near_cluster", pa.string(), nullable=False, metadata={"doc": "doc_id kept for this cluster"}),
        pa.field("keep", pa.bool_(), nullable=False),
        pa.field("drop_reason", pa.string(), metadata={"doc": "exact_duplicate | near_duplicate | null"}),
    ]
)

QUALITY_META = [
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("keep", pa.bool_(), nullable=False, metadata={"doc": "kept by dedup and by every quality rule"}),
    pa.field(
        "drop_reason",
        pa.string(),
        metadata={"doc": "dedup's reason, or the first failed rule's <preset>/<check>; null if kept"},
    ),
]
# quality statistics (tasks/quality/stats.py): name -> (dtype, what it is), in the attribute table's order
QUALITY_STATS: dict[str, tuple[str, str]] = {
    "words": ("int32", "spaCy word tokens"),
    "non_symbol_words": ("int32", "words with a character outside PUNCTUATION_SET"),
    "mean_word_length": ("float64", "mean length of the non-symbol words"),
    "hash_ratio": ("float64", "count of # / words"),
    "ellipsis_ratio": ("float64", "count of ... and … / words"),
    "bullet_lines": ("float64", "share of lines starting with • or -"),
    "ellipsis_lines": ("float64", "share of lines ending with ... or …"),
    "alpha_words": ("float64", "share of words with an alphabetic character"),
    "stop_words": ("int8", "distinct Gopher stop words present"),
    "dup_para_frac": ("float64", "duplicate paragraphs / paragraphs"),
    "dup_para_char_frac": ("float64", "characters of duplicate paragraphs / characters"),
    "dup_line_frac": ("float64", "duplicate lines / lines"),
    **{f"top_{n}_gram": ("float64", f"characters of the most frequent word {n}-gram / characters") for n in (2, 3, 4)},
    **{f"dup_{n}_gram": ("float64", f"characters in duplicated word {n}-grams / characters") for n in range(5, 11)},
    "dup_line_char_frac": ("float64", "characters of duplicate lines / characters"),
    "c4_lines": ("int32", "lines"),
    "c4_kept_lines": ("int32", "lines C4's line rules keep"),
    "c4_sentences": ("int32", "sentences in the kept lines"),
    "c4_lorem_line": ("int32", "first kept-so-far line with 'lorem ipsum' (-1: none)"),
    "c4_curly_line": ("int32", "first kept-so-far line with '{' (-1: none)"),
    "fw_lines": ("int32", "non-blank lines"),
    "fw_line_punct": ("float64", "share of non-blank lines ending in terminal punctuation"),
    "fw_short_lines": ("float64", "share of non-blank lines of 30 characters or fewer"),
    "fw_char_dup": ("float64", "characters of duplicate non-blank lines / characters without newlines"),
    "fw_list_ratio": ("float64", "newlines / words"),
}


QUALITY_LANG = [
    pa.field("language", pa.string(), metadata={"doc": "lid.176's top ISO 639 code ('' for no text)"}),
    pa.field("language_score", pa.float64(), metadata={"doc": "its probability"}),
]
# statistics of dedup's kept documents (reused by any rules); QUALITY: every document, null statistics for the ones
# dedup dropped
QUALITY_STATS_TABLE = pa.schema([pa.field("doc_id", pa.string(), nullable=False)]
                                + [pa.field(k, pa.from_numpy_dtype(dt), metadata={"doc": d})
                                   for k, (dt, d) in QUALITY_STATS.items()] + QUALITY_LANG)  # fmt: skip
QUALITY = pa.schema(QUALITY_META + list(QUALITY_STATS_TABLE)[1:])

# dedup intermediate, one row per document: what the run-wide step needs, never the text
DEDUP_SIGNATURES = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("pos", pa.int64(), nullable=False, metadata={"doc": "document index in input order"}),
        pa.field("digest", pa.binary(16), nullable=False, metadata={"doc": "blake2b-128 of the text"}),
        pa.field("keys", pa.list_(pa.uint64()), nullable=False, metadata={"doc": "LSH band keys"}),
        pa.field("shingles", pa.list_(pa.uint32()), nullable=False, metadata={"doc": "shingle hash set"}),
    ]
)

EMBEDDINGS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("digest", pa.binary(16), nullable=False, metadata={"doc": "blake2b-128 of the text embedded"}),
        pa.field("embedding", pa.list_(pa.float32()), nullable=False, metadata={"doc": "L2-normalised vector"}),
        pa.field("tokens", pa.int32(), nullable=False, metadata={"doc": "model word pieces before truncation"}),
    ]
)

SKILLS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("skill", pa.int32(), nullable=False, metadata={"doc": "skill id, an index into skills.json"}),
        pa.field("distance", pa.float32(), nullable=False, metadata={"doc": "cosine distance to the skill centroid"}),
        pa.field(
            "semantic_dup_of",
            pa.string(),
            metadata={"doc": "earlier doc_id of the same skill at cosine >= 1 - eps; null: kept (or SemDeDup off)"},
        ),
    ]
)

TOKENS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("skill", pa.int32(), nullable=False),
        pa.field("n_tokens", pa.int32(), nullable=False, metadata={"doc": "tokens, EOS included"}),
        pa.field("ids", pa.list_(pa.uint32()), nullable=False, metadata={"doc": "token ids, EOS appended"}),
    ]
)

TRAIN_METRICS = pa.schema(
    [
        pa.field("step", pa.int64(), nullable=False, metadata={"doc": "optimizer steps done when evaluated"}),
        pa.field("skill", pa.int32(), nullable=False),
        pa.field("val_loss", pa.float64(), nullable=False, metadata={"doc": "mean cross-entropy, nats"}),
        pa.field("val_accuracy", pa.float64(), nullable=False, metadata={"doc": "share of scored targets predicted"}),
        pa.field("weight", pa.float64(), nullable=False, metadata={"doc": "the skill's mixture weight at that step"}),
    ]
)

ATTRIBUTION = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("target", pa.string(), nullable=False, metadata={"doc": "target task name"}),
        pa.field("score", pa.float64(), nullable=False,
                 metadata={"doc": "TRAK datamodel score, higher = more beneficial to the target (lowers its loss)"}),
        pa.field("scored_by", pa.string(), nullable=False,
                 metadata={"doc": "trak, or surrogate (predicted from a TRAK-scored sample; same scale and sign)"}),
    ]
)  # fmt: skip

SELECTION = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("skill", pa.int32(), nullable=False),
        pa.field("n_tokens", pa.int32(), nullable=False),
        pa.field("score", pa.float64(), nullable=False, metadata={"doc": "the attribution score it was selected by"}),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "rejected": REJECTED,
    "dedup": DEDUP,
    "dedup_signatures": DEDUP_SIGNATURES,
    "quality": QUALITY,
    "quality_stats": QUALITY_STATS_TABLE,
    "embeddings": EMBEDDINGS,
    "skills": SKILLS,
    "tokens": TOKENS,
    "train_metrics": TRAIN_METRICS,
    "attribution": ATTRIBUTION,
    "selection": SELECTION,
}
