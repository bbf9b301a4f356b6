"""DsDm evidence on a run's documents: the linear datamodeling score (LDS) of the attribution scores.

    python bench/dsdm.py lds --run runs/demo --targets T.jsonl [--docs 400] [--seq-len 64] [--steps 100]
        [--models 4] [--halves 20] [--repeats 1] [--seed 0]

1. Scores: `tasks.attribution.dsdm.attribute` on a seeded sample of --docs of the run's tokenized kept documents
   (each scored on its first --seq-len tokens) towards the first target in T.jsonl, --models proxies on random
   halves.
2. Truth: for each of --halves random halves of the same documents (independent of step 1), --repeats fresh
   proxies trained from scratch with different seeds, and the target's loss (mean next-token cross-entropy)
   averaged over them: repeats take the initialisation's noise out of what the halves are compared by.
3. LDS: Spearman correlation between the datamodel's predicted loss of each half (minus the sum of its
   documents' scores: higher score = more beneficial = lower loss) and the measured loss. 0 is no signal; the
   TRAK paper reports about 0.1-0.5 depending on the setting.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def target_loss(model, rows) -> float:
    import torch
    import torch.nn.functional as F

    from tasks.train.loop import IGNORE

    with torch.no_grad():
        logits = model(input_ids=torch.as_tensor(rows.x[:, :-1])).logits
        y = torch.as_tensor(rows.y)
        return float(F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE))


def lds(args) -> dict:
    import warnings

    import numpy as np

    from schemas.config import AttributionParams, TrainParams
    from tasks.attribution import datamodels, dsdm
    from tasks.attribution import stage as attribution_stage

    warnings.filterwarnings("ignore", message="There is a performance drop")
    proxy = TrainParams(steps=args.steps, seq_len=args.seq_len, warmup=min(20, args.steps // 10), seed=args.seed)
    params = AttributionParams(proxy=proxy, models=args.models, max_docs=args.docs, seed=args.seed)
    doc_ids, _, ids, marker = attribution_stage.pool(args.run, params)
    targets = attribution_stage.read_targets([args.targets])
    name = next(iter(targets))
    target_rows, vocab = attribution_stage.encode_targets(args.run, marker["summary"]["fingerprint"],
                                                          {name: targets[name]}, args.seq_len)  # fmt: skip
    pool = attribution_stage.rows(ids, args.seq_len)
    t0 = time.perf_counter()
    scores, _ = dsdm.attribute(pool, target_rows, vocab, proxy, models=args.models, seed=args.seed,
                               progress=lambda m: print("  " + m, flush=True))  # fmt: skip
    t_attr = time.perf_counter() - t0
    score = scores[name]
    halves = datamodels.random_subsets(len(doc_ids), args.halves, alpha=0.5, seed=args.seed + 1000)
    actual = np.empty(args.halves)
    t0 = time.perf_counter()
    for h, mask in enumerate(halves):
        losses = [target_loss(dsdm.train_proxy(pool.take(np.flatnonzero(mask)), target_rows[name], vocab,
                                               proxy.model_copy(update={"seed": args.seed + 1000 + h + 10_000 * r})),
                              target_rows[name]) for r in range(args.repeats)]  # fmt: skip
        actual[h] = np.mean(losses)
        print(f"  half {h + 1}/{args.halves}: target loss {actual[h]:.4f} (sd over seeds "
              f"{np.std(losses):.4f})", flush=True)  # fmt: skip
    predicted = datamodels.predicted_loss(halves, score)
    result = {"documents": len(doc_ids), "target": name, "target_examples": len(targets[name]),
              "seq_len": args.seq_len, "proxy_steps": args.steps, "models": args.models, "halves": args.halves,
              "repeats": args.repeats,
              "lds": datamodels.lds(predicted, actual), "actual_loss_range": [float(actual.min()), float(actual.max())],
              "attribution_seconds": round(t_attr, 1), "truth_seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
    print(json.dumps(result, indent=1))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("lds", help="linear datamodeling score over random halves")
    p.add_argument("--run", required=True)
    p.add_argument("--targets", required=True, help="JSONL of target examples (the first target is used)")
    p.add_argument("--docs", type=int, default=400)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--models", type=int, default=4)
    p.add_argument("--halves", type=int, default=20)
    p.add_argument("--repeats", type=int, default=1, help="proxies (seeds) per half, their losses averaged")
    p.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    lds(args)


if __name__ == "__main__":
    main()
