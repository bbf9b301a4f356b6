"""The attribution stage over files: the run's tokenized kept documents and target JSONL files ->
attributes/attribution/<fp>/part-00000.parquet (doc_id, target, score). No Prefect.

A document is scored on its first `seq_len` next tokens (shorter ones are padded and their padding is not
scored); a target example likewise. Targets: JSONL files, one object per line with "text" and optionally
"target" (the task's name; default the file's name without extension).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from schemas.config import AttributionParams
from schemas.tables import ATTRIBUTION
from tasks.attribution import dsdm
from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.skills import cluster
from tasks.tokens import stage as tokens_stage
from tasks.train.loop import IGNORE


def rows(ids: list[np.ndarray], seq_len: int) -> dsdm.Rows:
    """Rows of each id sequence's first seq_len + 1 tokens; the pad's targets are IGNORE."""
    x = np.zeros((len(ids), seq_len + 1), np.int64)
    y = np.full((len(ids), seq_len), IGNORE, np.int64)
    for i, a in enumerate(ids):
        a = np.asarray(a[: seq_len + 1], np.int64)
        x[i, : len(a)] = a
        y[i, : len(a) - 1] = a[1:]
    return dsdm.Rows(x, y)


def read_targets(files: list[str]) -> dict[str, list[str]]:
    """{target name: texts} from JSONL files; a bad line is named with its file and line number."""
    out: dict[str, list[str]] = {}
    for f in files:
        try:
            lines = io.read_bytes(f).decode().splitlines()
        except FileNotFoundError as e:
            raise InputError(f"--targets {f}: no such file") from e
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{f}:{n}: not JSON ({e.msg}); one object per line with a 'text'") from e
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not rec["text"].strip():
                raise InputError(f"{f}:{n}: needs a non-empty 'text' string")
            out.setdefault(str(rec.get("target") or Path(f).name.split(".")[0]), []).append(rec["text"])
    if not out:
        raise InputError(f"--targets {', '.join(files)}: no target examples")
    return out


def pool(run: str, params: AttributionParams) -> tuple[list[str], np.ndarray, list[np.ndarray], dict]:
    """(doc_ids, skills, token ids, tokens marker) of the run's kept documents (a seeded sample of max_docs)."""
    uri, marker = tokens_stage.latest(run)
    ref = io.dataset(uri, "tokens", marker["partitions"])
    doc_ids, skills, ids = [], [], []
    for part in ref.partitions:
        t = io.read_table(part, ["doc_id", "skill", "ids"])
        doc_ids += t["doc_id"].to_pylist()
        skills.append(t["skill"].to_numpy())
        ids += [np.asarray(a, np.int64) for a in t["ids"].to_numpy(zero_copy_only=False)]
    skills_arr = np.concatenate(skills) if skills else np.zeros(0, np.int32)
    if params.max_docs and params.max_docs < len(doc_ids):
        keep = cluster.sample(len(doc_ids), params.max_docs, params.seed)
        doc_ids, skills_arr, ids = [doc_ids[i] for i in keep], skills_arr[keep], [ids[i] for i in keep]
    if len(doc_ids) < 4:
        raise InputError(f"{run}: {len(doc_ids)} tokenized documents; attribution needs at least 4")
    return doc_ids, skills_arr, ids, marker


def encode_targets(run: str, tokens_fp: str, targets: dict[str, list[str]], seq_len: int
                   ) -> tuple[dict[str, dsdm.Rows], int]:  # fmt: skip
    """(rows of each target's texts under the run's tokenizer of tokens stage `tokens_fp`, its vocabulary size)."""
    from tokenizers import Tokenizer

    from tasks.tokens import bpe

    tok = Tokenizer.from_str(io.read_bytes(io.join(run, "tokens", tokens_fp, "tokenizer.json")).decode())
    eos = io.committed(io.join(run, "tokens", tokens_fp))["eos_id"]
    return {name: rows(bpe.encode(texts, tok, eos), seq_len) for name, texts in targets.items()}, tok.get_vocab_size()


def attribute(run: str, target_files: list[str], params: AttributionParams, progress=None) -> dict:
    """Score every kept document towards each target (or read the committed scores); the stage summary."""
    targets = read_targets(target_files)
    tfp = tokens_stage.latest(run)[1]["summary"]["fingerprint"]
    digest = hashlib.sha256(json.dumps(targets, sort_keys=True).encode()).hexdigest()
    fp = params.fingerprint(tfp, digest)
    out = io.join(run, "attributes", "attribution", fp)
    if (done := io.committed(out)) is not None:
        io.point_latest(io.join(run, "attributes", "attribution"), fp)
        return done["summary"]
    doc_ids, skills, ids, _ = pool(run, params)  # read only when scoring: a committed rerun needs no token ids
    target_rows, vocab = encode_targets(run, tfp, targets, params.proxy.seq_len)
    start = time.perf_counter()
    scores, masks = dsdm.attribute(rows(ids, params.proxy.seq_len), target_rows, vocab,
                                   params.proxy, models=params.models, seed=params.seed, proj_dim=params.proj_dim,
                                   ridge=params.ridge, sparse=params.projection == "sparse",
                                   progress=progress)  # fmt: skip
    names = list(scores)
    table = pa.table({"doc_id": doc_ids * len(names), "target": np.repeat(names, len(doc_ids)).tolist(),
                      "score": np.concatenate([scores[n] for n in names])}, schema=ATTRIBUTION)  # fmt: skip
    n = io.write_table(table, io.join(out, "part-00000.parquet"))
    io.write_arrays(io.join(out, "halves.npz"), masks=masks)  # which documents each proxy saw, for LDS checks
    summary = {"stage": "attribution", "fingerprint": fp, "tokens_fingerprint": tfp, "documents": len(doc_ids),
               "rows": n, "targets": {k: len(v) for k, v in targets.items()}, "target_files": target_files,
               "params": params.model_dump(), "seconds": round(time.perf_counter() - start, 1),
               "sign": "higher = more beneficial to the target",
               "per_skill_mean": {name: skill_means(scores[name], skills) for name in names}}  # fmt: skip
    report = io.join(run, "report", "attribution")
    io.write_json(io.join(report, "summary.json"), summary)
    io.write_bytes(io.join(report, "attribution.png"), figure(scores, skills))
    io.commit(out, {"summary": summary, "partitions": [{"name": "part-00000.parquet", "num_rows": n}]})
    io.point_latest(io.join(run, "attributes", "attribution"), fp)
    return summary


def latest(run: str) -> tuple[str, dict]:
    """(URI, marker) of the run's latest attribution."""
    fp = io.latest(io.join(run, "attributes", "attribution"))
    marker = io.committed(io.join(run, "attributes", "attribution", fp)) if fp else None
    if marker is None:
        raise InputError(f"{run}: no attribution scores; run `skillmix attribute --run {run} --targets FILE.jsonl` "
                         "first")  # fmt: skip
    return io.join(run, "attributes", "attribution", fp), marker


def read_scores(uri: str, marker: dict) -> tuple[list[str], dict[str, np.ndarray]]:
    """(doc_ids, {target: score per document in that order}) of a committed attribution."""
    t = io.read_table(io.dataset(uri, "attribution", marker["partitions"]).partitions[0])
    target = t["target"].to_numpy(zero_copy_only=False)
    names = list(dict.fromkeys(target.tolist()))
    ids = np.asarray(t["doc_id"].to_pylist(), object)
    score = t["score"].to_numpy()
    first = target == names[0]
    doc_ids = ids[first].tolist()
    out = {}
    for n in names:
        rows = target == n
        if ids[rows].tolist() != doc_ids:
            raise InputError(f"{uri}: target {n!r} scores other documents than {names[0]!r}")
        out[n] = score[rows]
    return doc_ids, out


def skill_means(score: np.ndarray, skills: np.ndarray) -> dict[str, float]:
    """Mean score of each skill's documents: the per-skill aggregate the mixture stage can use."""
    return {str(int(s)): float(score[skills == s].mean()) for s in np.unique(skills)}


def figure(scores: dict[str, np.ndarray], skills: np.ndarray) -> bytes:
    """PNG: the score distribution per target, and each skill's mean score per target."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    ks = np.unique(skills)
    width = 0.8 / len(scores)
    for i, (name, s) in enumerate(scores.items()):
        a.hist(s, bins=40, alpha=0.6, label=name)
        b.bar(np.arange(len(ks)) + i * width, [s[skills == k].mean() for k in ks], width, label=name)
    a.set_xlabel("score (higher = more beneficial)")
    a.set_ylabel("documents")
    b.axhline(0, color="k", lw=0.5)
    b.set_xticks(np.arange(len(ks)) + 0.4 - width / 2, [str(int(k)) for k in ks])
    b.set_xlabel("skill")
    b.set_ylabel("mean score")
    a.legend(fontsize=7)
    b.legend(fontsize=7)
    return plots.png(fig)
