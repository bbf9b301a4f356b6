"""Tokenize-and-write throughput against raw `tokenizers` encode_batch, same documents, same run.

    python bench/tokens.py --run runs/demo [--repeat 3]

Needs a run whose tokens stage has committed (e.g. after `skillmix demo`). A copy of its tokens is
made in a temporary run directory, its token partitions and shards removed, and then, each timed
`--repeat` times (median printed), in this one process (both tokenizers use every core):
  raw encode_batch   Tokenizer.encode_batch(texts) over the kept documents (ids in memory, nothing written)
  tokens stage       tasks.tokens.stage.tokenize_partition for every partition: encode with EOS appended,
                     token-id parquet and per-skill statistics written
  + emit             the above plus tasks.emit.stage.emit_skill for every skill (Megatron, MDS, flat)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="runs/demo")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from schemas.config import EmitParams
    from tasks.common import catalog, io
    from tasks.emit import stage as emit_stage
    from tasks.tokens import stage as tokens_stage

    tmp = Path(tempfile.mkdtemp(prefix="skillmix-bench-"))
    run = tmp / "run"
    shutil.copytree(args.run, run, ignore=shutil.ignore_patterns("emit", "work", "input"))
    tokens = catalog.latest(str(run), "tokens")
    summary = catalog.summary(tokens)
    params = summary.params
    plan = tokens_stage.plan(str(run), tokens.skills, params)
    tok, _ = tokens_stage.load_tokenizer(plan)
    texts = []
    for k in range(len(plan.documents.partitions)):
        texts += tokens_stage._kept(plan, k, ["doc_id", "text"])["text"].to_pylist()
    nbytes = sum(len(t.encode()) for t in texts)
    parts = range(len(plan.documents.partitions))

    def raw() -> None:
        tok.encode_batch(texts, add_special_tokens=False)

    def stage() -> None:
        for k in parts:
            io.remove(io.join(plan.out, f"part-{k:05d}"))
        for k in parts:
            tokens_stage.tokenize_partition(plan, k, params)

    emit_params = EmitParams()

    def stage_and_emit() -> None:
        stage()
        p = emit_stage.plan(str(run), catalog.latest(str(run), "mix"), emit_params)  # the run's mixture of these tokens
        shutil.rmtree(p.out, ignore_errors=True)
        for s in emit_stage.emitted(p.doc):
            emit_stage.emit_skill(p, s, emit_params)

    out = {"documents": len(texts), "text_mb": round(nbytes / 1e6, 2), "tokens": summary.tokens}
    for name, fn in (("raw encode_batch", raw), ("tokens stage", stage), ("tokens stage + emit", stage_and_emit)):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = {
            "median_s": round(statistics.median(times), 3),
            "mb_per_s": round(nbytes / 1e6 / statistics.median(times), 2),
        }
    raw_s = out["raw encode_batch"]["median_s"]
    out["stage_vs_raw"] = round(raw_s / out["tokens stage"]["median_s"], 3)
    out["stage_and_emit_vs_raw"] = round(raw_s / out["tokens stage + emit"]["median_s"], 3)
    print(json.dumps(out, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
