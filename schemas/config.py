"""Typed parameters of every stage: frozen, no unknown keys, hashed into output paths."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

MiB = 1 << 20


class Params(BaseModel):
    """Base for stage parameters: immutable, no unknown keys, hashable into output paths."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    VERSION: ClassVar[int] = 1  # bump when the stage's outputs would change for the same params

    def fingerprint(self, *inputs: str) -> str:
        """12 hex chars over the params, the stage version and input fingerprints."""
        payload = "\n".join([f"{type(self).__name__}-v{self.VERSION}:{self.model_dump_json()}", *inputs])
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


class IngestParams(Params):
    """How raw records become DOCUMENTS rows."""

    text_field: str = Field("text", min_length=1, description="field holding the text (a.b for nested)")
    id_field: str | None = Field(
        "id", description="field holding a unique id; absent/null -> hash of file, row and text"
    )
    source_field: str | None = Field(
        "source", description="field holding the source/domain label; absent -> the input file's stem"
    )
    max_doc_bytes: int = Field(8 * MiB, ge=1, description="texts over this many UTF-8 bytes are rejected")
    partition_bytes: int = Field(64 * MiB, ge=4096, description="target text bytes per documents partition")
    split_bytes: int = Field(
        128 * MiB, ge=4096, description="plain JSONL files larger than this are read in ranges by parallel tasks"
    )
    max_reject_fraction: float = Field(
        0.5, ge=0.0, le=1.0, description="fail the run when more than this fraction of records is rejected"
    )

    @field_validator("id_field", "source_field")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("give a field name, or leave it unset")
        return v


class MinHashParams(Params):
    """MinHash-LSH near-duplicate detection; signatures equal datasketch 2.0's "affine32" scheme."""

    shingle: Literal["word", "char"] = Field("word", description="word n-grams or character n-grams")
    ngram: int = Field(5, ge=1, le=64, description="tokens per shingle")
    num_perm: int = Field(128, ge=8, le=1024, description="hash functions per signature")
    seed: int = Field(1, ge=0, lt=2**32, description="permutation seed (datasketch's `seed`)")
    hash: Literal["fast", "sha1"] = Field(
        "fast", description="per-shingle hash: 'sha1' is datasketch's default (slow), 'fast' cached word hashes"
    )
    threshold: float = Field(0.8, gt=0.0, lt=1.0, description="Jaccard similarity the LSH bands target")
    bands: int | None = Field(None, ge=1, description="LSH bands; default: datasketch's optimum for threshold")
    rows: int | None = Field(None, ge=1, description="rows per band; set together with bands")

    @model_validator(mode="after")
    def _bands_and_rows(self) -> MinHashParams:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither (then they follow from threshold)")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self


class DedupParams(Params):
    """Exact and MinHash-LSH near-duplicate removal."""

    minhash: MinHashParams = MinHashParams()
    verify: bool = Field(True, description="check candidate pairs against exact shingle Jaccard >= threshold")


# ---- quality: DataTrove's heuristic filters as rules over per-document statistics (tasks/quality) ----

# preset -> its checks in DataTrove's order: (drop reason, parameter, statistic column, drop when the statistic is
# "<" or ">" the parameter, default, least, largest). "first" (C4's lorem ipsum / curly bracket: on or off; the
# earlier line decides) and "lang" (top language listed and its score above the parameter) are special.
QualityCheck = tuple[str, str | None, str, str, float, float, float]
QUALITY_PRESETS: dict[str, tuple[QualityCheck, ...]] = {
    "gopher_repetition": (
        ("dup_para_frac", "dup_para_frac", "dup_para_frac", ">", 0.3, 0.0, 1.0),
        ("dup_para_char_frac", "dup_para_char_frac", "dup_para_char_frac", ">", 0.2, 0.0, 1.0),
        ("dup_line_frac", "dup_line_frac", "dup_line_frac", ">", 0.3, 0.0, 1.0),
        ("dup_line_char_frac", "dup_line_char_frac", "dup_line_char_frac", ">", 0.2, 0.0, 1.0),
        *(
            (f"top_{n}_gram", f"top_{n}_gram", f"top_{n}_gram", ">", t, 0.0, 1.0)
            for n, t in ((2, 0.2), (3, 0.18), (4, 0.16))
        ),
        *(
            (f"duplicated_{n}_n_grams", f"dup_{n}_gram", f"dup_{n}_gram", ">", t, 0.0, 1.0)
            for n, t in ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
        ),
    ),
    "gopher_quality": (
        ("gopher_short_doc", "min_doc_words", "non_symbol_words", "<", 50, 0, 10_000_000),
        ("gopher_long_doc", "max_doc_words", "non_symbol_words", ">", 100_000, 0, 10_000_000),
        ("gopher_below_avg_threshold", "min_avg_word_length", "mean_word_length", "<", 3, 0, 100),
        ("gopher_above_avg_threshold", "max_avg_word_length", "mean_word_length", ">", 10, 0, 100),
        ("gopher_too_many_hashes", "max_symbol_word_ratio", "hash_ratio", ">", 0.1, 0.0, 10.0),
        ("gopher_too_many_ellipsis", "max_symbol_word_ratio", "ellipsis_ratio", ">", 0.1, 0.0, 10.0),
        ("gopher_too_many_bullets", "max_bullet_lines_ratio", "bullet_lines", ">", 0.9, 0.0, 1.0),
        ("gopher_too_many_end_ellipsis", "max_ellipsis_lines_ratio", "ellipsis_lines", ">", 0.3, 0.0, 1.0),
        ("gopher_below_alpha_threshold", "min_alpha_words_ratio", "alpha_words", "<", 0.8, 0.0, 1.0),
        ("gopher_enough_stop_words", "min_stop_words", "stop_words", "<", 2, 0, 8),
    ),
    "c4": (
        ("lorem_ipsum", "filter_lorem_ipsum", "c4_lorem_line", "first", 1, 0, 1),
        ("curly_bracket", "filter_curly_bracket", "c4_curly_line", "first", 1, 0, 1),
        ("too_few_sentences", "min_num_sentences", "c4_sentences", "<", 5, 0, 1000),
    ),
    "fineweb": (
        ("empty", None, "fw_lines", "<", 1, 1, 1),
        ("line_punct_ratio", "line_punct_thr", "fw_line_punct", "<", 0.12, 0.0, 1.0),
        ("short_line_ratio", "short_line_thr", "fw_short_lines", ">", 0.67, 0.0, 1.0),
        ("char_dup_ratio", "char_duplicates_ratio", "fw_char_dup", ">", 0.01, 0.0, 1.0),
        ("list_ratio", "new_line_ratio", "fw_list_ratio", ">", 0.3, 0.0, 100.0),
    ),
    # the least is 0.5: scores are a softmax, so only the top language can pass, and the top label decides
    "lang": (("language", "language_threshold", "language_score", "lang", 0.65, 0.5, 0.99),),
}
QUALITY_ALIASES = {"gopher": ("gopher_repetition", "gopher_quality")}  # DataTrove's FineWeb order
# fastText lid.176's codes (tasks/quality/langid.py reads the same from the model; a test compares them)
LID176 = frozenset([
    "af", "als", "am", "an", "ar", "arz", "as", "ast", "av", "az", "azb", "ba", "bar", "bcl", "be", "bg", "bh",
    "bn", "bo", "bpy", "br", "bs", "bxr", "ca", "cbk", "ce", "ceb", "ckb", "co", "cs", "cv", "cy", "da", "de",
    "diq", "dsb", "dty", "dv", "el", "eml", "en", "eo", "es", "et", "eu", "fa", "fi", "fr", "frr", "fy", "ga", "gd",
    "gl", "gn", "gom", "gu", "gv", "he", "hi", "hif", "hr", "hsb", "ht", "hu", "hy", "ia", "id", "ie", "ilo", "io",
    "is", "it", "ja", "jbo", "jv", "ka", "kk", "km", "kn", "ko", "krc", "ku", "kv", "kw", "ky", "la", "lb", "lez",
    "li", "lmo", "lo", "lrc", "lt", "lv", "mai", "mg", "mhr", "min", "mk", "ml", "mn", "mr", "mrj", "ms", "mt",
    "mwl", "my", "myv", "mzn", "nah", "nap", "nds", "ne", "new", "nl", "nn", "no", "oc", "or", "os", "pa", "pam",
    "pfl", "pl", "pms", "pnb", "ps", "pt", "qu", "rm", "ro", "ru", "rue", "sa", "sah", "sc", "scn", "sco", "sd",
    "sh", "si", "sk", "sl", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl", "tr", "tt",
    "tyv", "ug", "uk", "ur", "uz", "vec", "vep", "vi", "vls", "vo", "wa", "war", "wuu", "xal", "xmf", "yi", "yo",
    "yue", "zh",
])  # fmt: skip


class QualityRule(Params):
    """One preset of checks, its thresholds (the defaults unless overridden), and the sources it applies to."""

    preset: Literal["gopher_repetition", "gopher_quality", "c4", "fineweb", "lang"]
    thresholds: dict[str, float] = Field(default_factory=dict, description="parameter -> value, for the "
                                         "parameters to change from their defaults")  # fmt: skip
    languages: tuple[str, ...] = Field((), description="lang: the language codes kept")
    sources: tuple[str, ...] = Field((), description="the sources the rule applies to; empty: every source")

    @model_validator(mode="after")
    def _valid(self) -> QualityRule:
        checks = QUALITY_PRESETS[self.preset]
        ranges = {c[1]: (c[5], c[6]) for c in checks if c[1]}
        for name, value in self.thresholds.items():
            if name not in ranges:
                raise ValueError(f"{self.preset}.{name}: no such parameter; {self.preset} has " + ", ".join(ranges))
            lo, hi = ranges[name]
            if not lo <= value <= hi:
                raise ValueError(f"{self.preset}.{name}={value:g} is outside its range [{lo:g}, {hi:g}]")
        if self.preset == "lang":
            if not self.languages:
                raise ValueError("lang needs language codes: lang=en or lang=en,de")
            unknown = [c for c in self.languages if c not in LID176]
            if unknown:
                raise ValueError(f"lang: unknown language code {', '.join(unknown)}: lid.176 knows ISO 639 codes "
                                 "such as en, de, fr, zh")  # fmt: skip
        elif self.languages:
            raise ValueError(f"{self.preset}: languages are for the lang preset")
        return self

    def describe(self) -> str:
        """`preset[=codes] param=value ... (sources ...)`, as logs and reports show a rule."""
        text = self.preset + (f"={','.join(self.languages)}" if self.languages else "")
        text += "".join(f" {k}={v:g}" for k, v in self.thresholds.items())
        return text + (f" (sources: {', '.join(self.sources)})" if self.sources else "")

    def value(self, param: str) -> float:
        """The parameter's threshold: the override, else the default."""
        default = next(c[4] for c in QUALITY_PRESETS[self.preset] if c[1] == param)
        return self.thresholds.get(param, default)


class QualityParams(Params):
    """Per-document quality and language statistics beside the documents, and the rules that drop documents by them
    (none by default: the statistics are computed, nothing is dropped)."""

    rules: tuple[QualityRule, ...] = Field((), description="checked in order; a document's drop reason is the "
                                           "first check it fails")  # fmt: skip
    examples: int = Field(3, ge=0, le=20, description="excerpts of dropped documents per reason in the report")

    @classmethod
    def from_specs(cls, specs: list[str], sources: list[str] = (), examples: int = 3) -> QualityParams:
        """`--filters` values: presets (gopher, gopher_repetition, gopher_quality, c4, fineweb), lang=en,de and
        PRESET.PARAM=VALUE overrides, comma-separated or repeated. `sources`: every rule applies to these only."""
        tokens = [t.strip() for spec in specs for t in spec.split(",") if t.strip()]
        rules: dict[str, dict] = {}
        overrides: list[tuple[str, str, str]] = []
        last = None
        for t in tokens:
            name, eq, value = t.partition("=")
            if name == "lang" and eq:
                rules.setdefault("lang", {"preset": "lang", "languages": []})["languages"].append(value)
                last = "lang"
            elif not eq and last == "lang" and name not in QUALITY_PRESETS and name not in QUALITY_ALIASES:
                rules["lang"]["languages"].append(name)  # lang=en,de: a code after lang=
            elif not eq and (name in QUALITY_PRESETS or name in QUALITY_ALIASES):
                for preset in QUALITY_ALIASES.get(name, (name,)):
                    rules.setdefault(preset, {"preset": preset})
                last = name
            elif eq and "." in name:
                preset, _, param = name.partition(".")
                overrides.append((preset, param, value))
            else:
                known = ", ".join([*QUALITY_ALIASES, *QUALITY_PRESETS, "lang=CODES"])
                raise ValueError(f"unknown filter {t!r}: give presets ({known}) or PRESET.PARAM=VALUE")
        for preset, param, value in overrides:
            if preset not in rules:
                raise ValueError(f"{preset}.{param}={value}: preset {preset} is not among the filters")
            try:
                rules[preset].setdefault("thresholds", {})[param] = float(value)
            except ValueError:
                raise ValueError(f"{preset}.{param}={value}: not a number") from None
        made = tuple(QualityRule(**r, sources=tuple(sources)) for r in rules.values())
        if sources and not made:
            raise ValueError("--filter-source names the sources the filters apply to: give --filters too")
        return cls(rules=made, examples=examples)


class EmbedParams(Params):
    """Sentence-transformers embeddings of kept documents; the fingerprint also covers the model's files."""

    model: str = Field("all-MiniLM-L6-v2", min_length=1, description="bundled model name or a local model directory")
    max_seq_length: int | None = Field(
        128,
        ge=8,
        description="word pieces per text (per chunk with pooling 'chunks'); None: the model's (256 for MiniLM); "
        "128 clustered the development corpus better than 256, in 0.6x the time (docs/BENCHMARKS.md)",
    )
    backend: Literal["torch", "onnx", "openvino"] = Field(
        "openvino",
        description="runtime: torch (sentence-transformers), or the model exported once, offline, to "
        "OpenVINO or ONNX Runtime",
    )
    precision: Literal["fp32", "bf16", "int8"] = Field(
        "bf16",
        description="bf16: torch autocast or OpenVINO's bf16 inference (fast on CPUs with AVX512-BF16/AMX, "
        "or a GPU); int8: ONNX Runtime with int8 MatMul weights",
    )
    pooling: Literal["first", "chunks"] = Field(
        "first",
        description="first: a document's first max_seq_length word pieces; chunks: the normalised mean "
        "of up to max_chunks windows spread over the whole document",
    )
    max_chunks: int = Field(4, ge=1, le=64, description="windows per document with pooling 'chunks'")
    device: str = Field("cpu", description="torch device the model runs on (cpu, cuda)")
    batch_size: int = Field(64, ge=1, le=4096, description="texts per forward pass")
    chunk: int = Field(2048, ge=1, description="texts per length-sorted encode call (progress is reported per call)")

    @model_validator(mode="after")
    def _runtime(self) -> EmbedParams:
        if self.precision == "int8" and self.backend != "onnx":
            raise ValueError(f"precision int8 runs on backend onnx, not {self.backend}")
        if self.backend == "onnx" and self.precision == "bf16":
            raise ValueError("backend onnx runs fp32 or int8; bf16 runs on backends torch and openvino")
        if self.backend != "torch" and self.device != "cpu":
            raise ValueError(f"backend {self.backend} runs on the CPU; use backend torch for device {self.device}")
        return self


class SkillsParams(Params):
    """Documents into skills: fine k-means clusters merged into skills, flat k-means, or a metadata field's
    groups; optional format statistics beside the embedding; optional SemDeDup."""

    method: Literal["merge", "kmeans"] = Field(
        "merge",
        description="merge: fine k-means clusters merged by size-weighted Ward, k at the largest gap in "
        "merge heights; kmeans: flat k-means, k by silhouette",
    )
    k: int | None = Field(None, ge=2, le=4096, description="number of skills; None = chosen automatically")
    k_candidates: tuple[int, ...] = Field(
        (8, 12, 16),
        description="k tried when k is None (merge: every k from the least to the largest); at least 8, as a "
        "mixture over fewer skills says little",
    )
    fine_k: int | None = Field(
        None,
        ge=2,
        le=100_000,
        description="fine clusters (method merge); None: sqrt(documents), 2x the largest k at least, 1,000 at most",
    )
    lexical_weight: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="weight of a lexical vector (hashed TF-IDF of the whole document, "
        "SVD to 64 dimensions) appended to each embedding (0: none)",
    )
    format_weight: float = Field(
        0.3, ge=0.0, le=10.0, description="weight of 12 format statistics appended to each embedding (0: none)"
    )
    group_by: str | None = Field(
        None, description="use this field's values as the skills (a documents column or a key of meta)"
    )
    seed: int = Field(0, ge=0, description="sampling and k-means seed")
    max_fit: int = Field(100_000, ge=100, description="centroids are fit on a uniform sample of this many documents")
    semdedup_eps: float | None = Field(
        None, gt=0.0, lt=1.0, description="SemDeDup: drop documents at cosine >= 1 - eps to an earlier one in the skill"
    )
    label_field: str | None = Field(
        "source", description="known label the report scores the skills against (purity, NMI); None: no score"
    )
    label_terms: int = Field(6, ge=1, le=50, description="distinctive terms per skill label")
    examples: int = Field(3, ge=0, le=20, description="example snippets per skill in skills.json")

    @field_validator("k_candidates")
    @classmethod
    def _candidates(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or min(v) < 2:
            raise ValueError("give at least one candidate k, each >= 2")
        return tuple(sorted(set(v)))

    @model_validator(mode="after")
    def _fine(self) -> SkillsParams:
        if self.fine_k is not None and not self.group_by:
            if self.method != "merge":
                raise ValueError("fine_k is for method merge; method kmeans clusters once, into k")
            top = self.k or min(self.k_candidates)
            if self.fine_k <= top:
                what = f"k {self.k}" if self.k else f"the least k candidate {top}"
                raise ValueError(f"fine_k {self.fine_k} must be larger than {what}: fine clusters merge into skills")
        return self

    @model_validator(mode="after")
    def _one_way(self) -> SkillsParams:
        if self.group_by is not None and self.k is not None:
            raise ValueError("give k or group_by, not both")
        return self


class TokensParams(Params):
    """The tokenizer (trained byte-level BPE, or the user's) and per-skill token statistics."""

    VERSION: ClassVar[int] = 2  # 2: the summary records the skills fingerprint the tokens were made for

    tokenizer: str | None = Field(None, description="a tokenizer.json or a directory holding one; None: train a BPE")
    vocab_size: int = Field(8192, ge=300, le=1 << 20, description="vocabulary of the trained BPE")
    train_docs: int = Field(20_000, ge=1, description="the BPE is trained on a uniform sample of this many documents")
    eos_token: str = Field("<|endoftext|>", min_length=1, description="end-of-sequence token appended to documents")
    seq_len: int = Field(1024, ge=2, description="sequence length the bigram statistics are counted within")
    seed: int = Field(0, ge=0, description="training sample seed")


class EmitParams(Params):
    """Shards per skill and the manifest."""

    formats: tuple[Literal["megatron", "mds", "flat"], ...] = Field(("megatron", "mds", "flat"), min_length=1)
    seq_len: int = Field(1024, ge=8, description="training sequence length (MDS samples, epoch size)")
    token_budget: int | None = Field(None, ge=1, description="tokens to draw in all; None: every available token")
    shard_tokens: int = Field(1 << 26, ge=1024, description="tokens per Megatron / flat shard at most")
    seed: int = Field(0, ge=0, description="recorded for the trainer's sampler")

    @field_validator("formats")
    @classmethod
    def _distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v))


PRESETS = {  # GPT-2-style sizes: tiny for CPU and tests, small for the LEGO reproduction, 125m (GPT-2 small) for GPUs
    "tiny": {"n_layer": 2, "n_embd": 128, "n_head": 4},
    "small": {"n_layer": 4, "n_embd": 128, "n_head": 4},
    "125m": {"n_layer": 12, "n_embd": 768, "n_head": 12},
}


class SkillItParams(Params):
    """Skill-It's online rule (ALGORITHMS.md 1): p ~ exp(eta * A @ window of recent per-skill losses)."""

    eta: float = Field(0.5, gt=0.0, description="step size (0.5 for LEGO, 0.2 for NI, 0.1 for addition)")
    window: int = Field(3, ge=1, description="evaluations summed (pre-training) or averaged (fine-tuning)")
    graph: tuple[tuple[float, ...], ...] | None = Field(
        None, description="skills graph A[i][j], train skill i -> eval skill j; None: the identity"
    )
    targets: tuple[int, ...] | None = Field(
        None, description="fine-tuning: the evaluation skills to improve (A's columns); None: pre-training, all"
    )

    @model_validator(mode="after")
    def _square_graph(self) -> SkillItParams:
        if self.graph is not None and len({len(r) for r in self.graph} | {len(self.graph)}) != 1:
            lengths = [len(r) for r in self.graph]
            raise ValueError(f"graph must be k x k; got {len(self.graph)} rows of lengths {lengths}")
        return self


class AioliParams(Params):
    """Aioli's LearnParams + exponentiated-gradient update (ALGORITHMS.md 2)."""

    eta: float = Field(0.2, gt=0.0, description="step size of the exponentiated-gradient update")
    gamma: float | None = Field(0.5, ge=0.0, lt=1.0, description="EMA of A (non-cumulative update); None: cumulative")
    one_hot_factor: float = Field(0.75, gt=0.0, le=1.0, description="probe mixture weight on its own skill")
    lp_steps: int = Field(2, ge=1, description="training steps per probe interval")
    sweeps: int = Field(1, ge=1, description="random orders of the m probes per round (k in the paper)")


class MixingParams(Params):
    """How the training loop sets the mixture: static weights, or an online rule updated every round."""

    method: Literal["static", "skillit", "aioli"] = Field("static", description="mixing policy")
    weights: tuple[float, ...] | None = Field(
        None, description="static mixture over the skills (normalised); None: the manifest's weights"
    )
    update_every: int = Field(50, ge=1, description="steps per round: online rules change the mixture between rounds")
    skillit: SkillItParams = SkillItParams()
    aioli: AioliParams = AioliParams()

    @field_validator("weights")
    @classmethod
    def _a_distribution(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and (min(v) < 0 or sum(v) <= 0):
            raise ValueError(f"weights must be non-negative with a positive sum; got {list(v)}")
        return v


class TrainParams(Params):
    """One training run: model size, optimisation, evaluation and mixing. Proxy runs are cached by its fingerprint."""

    preset: Literal["tiny", "small", "125m"] = Field(
        "tiny", description="model size: tiny (CPU, tests), small (4 layers) or 125m (GPT-2 small, a GPU)"
    )
    steps: int = Field(200, ge=1, description="optimizer steps")
    batch_size: int = Field(8, ge=1, description="sequences per step")
    seq_len: int = Field(128, ge=4, description="tokens per training sequence")
    lr: float = Field(1e-3, gt=0.0, description="peak learning rate (AdamW)")
    warmup: int = Field(20, ge=0, description="linear warmup steps, then cosine decay to 10% of lr")
    weight_decay: float = Field(0.1, ge=0.0)
    grad_clip: float = Field(1.0, gt=0.0, description="gradient norm clip")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout of embeddings, attention and residuals")
    eval_every: int = Field(50, ge=1, description="steps between per-skill evaluations (and checkpoints)")
    eval_windows: int = Field(8, ge=1, description="validation sequences per skill")
    seed: int = Field(0, ge=0, description="model init and batch sampling seed")
    compile: bool = Field(False, description="torch.compile the model (worth it on a GPU)")
    mixing: MixingParams = MixingParams()


class SampleCorpusParams(Params):
    """The bundled offline corpus built from text every Python installation carries."""

    max_bytes: int = Field(24 * MiB, ge=64 * 1024, description="cap on the corpus's total text bytes")
    chunk_chars: int = Field(6000, ge=500, description="long sources are split into chunks of about this size")


TRAINING_FREE = ("natural", "stratified", "temperature", "entropy-shannon", "entropy-conditional", "entropy-joint",
                 "entropy-vne")  # fmt: skip
MIX_METHODS = (*TRAINING_FREE, "dsdm", "bimix", "law")  # every `skillmix mix --method`, in the order help lists them
MixMethod = Literal[MIX_METHODS]  # type: ignore[valid-type]


class BiMixParams(Params):
    """BiMix (ALGORITHMS.md 4): proxy runs on a design of training-free mixtures, the law fitted to their
    per-skill validation curves, and its optimal mixture at `target_steps`."""

    proxy: TrainParams = TrainParams(steps=300, eval_every=30)
    design: tuple[str, ...] = Field(("stratified", "natural", "entropy-conditional", "entropy-shannon",
                                     "entropy-joint"), min_length=3, description="training-free mixtures "
                                    "the proxies train on (method names of `skillmix mix`)")  # fmt: skip
    holdout: str = Field("natural", description="design mixture left out of the checking fit and predicted")
    seeds: tuple[int, ...] = Field((0,), min_length=1, description="proxy seeds per mixture (losses averaged)")
    target_steps: int | None = Field(None, ge=1, description="steps the mixture is optimised for (default: the "
                                     "proxies' steps)")  # fmt: skip
    skip: float = Field(0.1, ge=0.0, lt=1.0, description="share of the first steps left out of the fit (warmup)")
    bounded: bool = Field(True, description="keep each skill's optimal share within the shares the design tried "
                          "(the law is not guaranteed beyond them)")  # fmt: skip

    @model_validator(mode="after")
    def _design(self) -> BiMixParams:
        bad = [m for m in self.design if m not in TRAINING_FREE]
        if bad:
            raise ValueError(f"design mixtures must be training-free methods ({', '.join(TRAINING_FREE)}); got {bad}")
        if self.holdout not in self.design:
            raise ValueError(f"holdout {self.holdout!r} is not in the design {list(self.design)}")
        return self


LAW_FAMILIES = ("auto", "linear", "log-linear", "lightgbm", "bimix")  # tasks/mixing/laws.py, and auto's choice


class LawParams(Params):
    """A mixing law fitted to a swarm of proxy runs (ALGORITHMS-2.md 1): mixtures from RegMix's sampler around the
    natural mixture, every skill's validation loss (and each target's loss) per run, the law chosen by k-fold
    cross-validation, and the mixture it predicts best under the budget's repetition caps."""

    family: Literal[LAW_FAMILIES] = Field("auto", description="law family: " + ", ".join(LAW_FAMILIES) + " (auto: "
                                          "per metric, the family or stack with the best cross-validated rank "
                                          "correlation)")  # fmt: skip
    runs: int = Field(32, ge=4, description="proxy runs of the first round")
    rounds: int = Field(1, ge=1, description="rounds of proxies; each later round trains half as many runs as the "
                        "one before, drawn from the law's predicted best region (CLIMB)")  # fmt: skip
    objective: str = Field("mean", min_length=1, description="what the mixture minimises: mean (the mean "
                           "per-skill validation loss), target (the mean loss on the --targets files) or one "
                           "metric's name")  # fmt: skip
    folds: int = Field(5, ge=2, description="cross-validation folds")
    seed: int = Field(0, ge=0, description="sampler, folds and search seed")
    max_repeat: float = Field(4.0, gt=0.0, description="most times a skill's tokens may repeat in the budget")
    budget: int | None = Field(None, ge=1, description="tokens of the run the mixture is for (default: every token "
                               "the skills hold)")  # fmt: skip
    kl: float = Field(0.0, ge=0.0, description="weight of the KL penalty to the natural mixture")
    min_share: float = Field(2e-3, ge=0.0, lt=1.0, description="sampled shares below this are set to 0")
    top_k: int = Field(128, ge=1, description="the search's answer for a law that is not convex: the mean of its "
                       "top-k mixtures")  # fmt: skip
    proxy: TrainParams = TrainParams(steps=300, eval_every=30)


class MixParams(Params):
    """A mixture over skills: training-free, or DsDm (ALGORITHMS.md 3): the documents with the highest attribution
    scores. `select="dsdm"` with a training-free method is the combined mode: the method's weights across skills,
    the top-scored documents within each."""

    method: MixMethod = Field("entropy-conditional", description="how the weights are set: " + ", ".join(TRAINING_FREE)
                              + "; dsdm: keep the run's top-scored documents (`skillmix attribution` first), the "
                              "weights their token shares; bimix: proxy runs on a design of mixtures, the BiMix law "
                              "fitted to them, its optimum")  # fmt: skip
    temperature: float = Field(2.0, gt=0.0, description="tau of the temperature mixture: weights ~ tokens^(1/tau)")
    vne_docs: int = Field(1000, ge=2, description="documents per skill sampled for the von Neumann entropy")
    seed: int = Field(0, ge=0, description="sampling seed (von Neumann entropy)")
    select: Literal["all", "dsdm"] = Field("all", description="documents kept within each skill: all, or the "
                                           "top attribution scores (`skillmix attribution`)")  # fmt: skip
    keep: float = Field(0.5, gt=0.0, le=1.0, description="DsDm: fraction of the tokens kept (of all tokens with "
                        "method dsdm, of each skill's with select dsdm)")  # fmt: skip
    target: str | None = Field(None, description="DsDm: the attribution target to select for (default: every "
                               "target, standardised scores averaged)")  # fmt: skip
    bimix: BiMixParams = BiMixParams()
    law: LawParams | None = Field(None, description="method law: the swarm, the law and the proposer")
    min_skill_quality: float | None = Field(
        None, ge=0.0, le=1.0, description="CLIMB's pruning: skills whose mean quality score (the share of the "
        "default Gopher, C4 and FineWeb checks their documents pass) is below this get weight 0 and no shards; "
        "training-free methods")  # fmt: skip

    @model_validator(mode="before")
    @classmethod
    def _selection(cls, data):
        if isinstance(data, dict) and data.get("method") == "dsdm":
            data = {**data, "select": "dsdm"}  # the dsdm method is a selection
        if isinstance(data, dict) and data.get("method") == "law" and data.get("law") is None:
            data = {**data, "law": LawParams()}
        return data

    @model_serializer(mode="wrap")
    def _without_law(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out = handler(self)  # other methods' params (and fingerprints) are as before `law` and pruning existed
        return {k: v for k, v in out.items() if not (k in ("law", "min_skill_quality") and v is None)}

    @model_validator(mode="after")
    def _pruning(self) -> MixParams:
        if self.min_skill_quality is not None and self.method not in TRAINING_FREE:
            raise ValueError(f"min_skill_quality prunes a training-free mixture, not method {self.method}")
        return self

    @property
    def selects(self) -> bool:
        return self.select == "dsdm"


class PipelineParams(Params):
    """Every stage's parameters, as the curate flow and deployment presets take them."""

    ingest: IngestParams = IngestParams()
    dedup: DedupParams = DedupParams()
    quality: QualityParams = QualityParams()
    embed: EmbedParams = EmbedParams()
    skills: SkillsParams = SkillsParams()
    tokens: TokensParams = TokensParams()
    mix: MixParams = MixParams()
    emit: EmitParams = EmitParams()


SURROGATES = ("ridge", "lightgbm", "mlp")  # tasks/attribution/surrogate.py's candidates
MIN_SURROGATE_SAMPLE = 50  # the smallest sample a surrogate is fitted to (tasks/attribution/surrogate.py)


class SurrogateParams(Params):
    """TRAK on a sample of the documents, stratified by skill, and a surrogate fitted to its scores that predicts
    the rest from the stored embedding, skill, length and source (ALGORITHMS-2.md 2.2): the candidate with the
    best k-fold held-out Spearman on the sample is used."""

    sample: int = Field(ge=MIN_SURROGATE_SAMPLE, description="documents TRAK scores, stratified by skill "
                        f"(sqrt of the skill's size, at least 20 each; >= {MIN_SURROGATE_SAMPLE})")  # fmt: skip
    candidates: tuple[Literal[SURROGATES], ...] = Field(  # type: ignore[valid-type]
        SURROGATES, min_length=1, description="models tried: " + ", ".join(SURROGATES)
    )
    folds: int = Field(5, ge=2, le=20, description="cross-validation folds on the sample")
    min_rho: float = Field(0.3, ge=-1.0, le=1.0, description="below this held-out Spearman the surrogate is "
                           "reported as weak (its scores are still written)")  # fmt: skip

    @model_validator(mode="after")
    def _distinct(self) -> SurrogateParams:
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError(f"surrogate candidates repeat: {self.candidates}")
        return self


class AttributionParams(Params):
    """DsDm attribution: TRAK on proxies trained on random halves of the pool (ALGORITHMS.md section 3). The
    proxies are ordinary training runs (`proxy`, its seq_len also the tokens scored per document); proxy m
    uses seed proxy.seed + m. With `surrogate`, TRAK scores a sample (its proxies train on halves of the
    sample) and a surrogate the other documents."""

    proxy: TrainParams = TrainParams(warmup=20)
    models: int = Field(4, ge=1, description="proxies, each on its own random half of the pool")
    proj_dim: int | None = Field(None, ge=8, description="projection dimension (default min(1024, documents / 4))")
    ridge: float = Field(0.1, ge=0, description="kernel ridge, relative to the mean diagonal of Phi^T Phi")
    projection: Literal["sparse", "gaussian"] = Field("sparse", description="sparse JL (fast on CPU) or Gaussian")
    max_docs: int | None = Field(None, ge=4, description="score a seeded sample of this many documents (default all)")
    seed: int = Field(0, ge=0, description="the halves and the document sample")
    surrogate: SurrogateParams | None = Field(None, description="TRAK on a sample, a surrogate for the rest")

    @model_serializer(mode="wrap")
    def _without_surrogate(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out = handler(self)  # full TRAK's params (and fingerprints) are as before `surrogate` existed
        return {k: v for k, v in out.items() if not (k == "surrogate" and v is None)}


class SkillAttributionParams(Params):
    """Group-level datamodels (ALGORITHMS.md 3(f).2): `subsets` proxies (`proxy`; run m uses seed proxy.seed + m),
    each trained on the documents of a random `alpha` share of the skills; their target losses regressed on which
    skills they saw give each skill's benefit."""

    proxy: TrainParams = TrainParams(warmup=20)
    subsets: int = Field(32, ge=4, description="proxy runs (ALGORITHMS.md: 2-4 x the number of skills)")
    alpha: float = Field(0.5, gt=0.0, lt=1.0, description="share of the skills each run sees")
    ridge: float = Field(1e-3, ge=0.0, description="ridge penalty of the regression")
    seed: int = Field(0, ge=0, description="the skill subsets")
