"""DsDm evidence on a run's documents: the linear datamodeling score (LDS) of the attribution scores, and the
target loss of fresh proxies trained on DsDm's selection against baselines of the same token count.

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

    python bench/dsdm.py select --run runs/demo --package sklearn [--examples 40] [--docs 0] [--keep 0.25]
        [--steps 200] [--models 4] [--train-steps 200] [--seeds 0,1,2]

1. Target: code blocks of an installed package that is not in the sample corpus (its code is the standard
   library's), cut as the corpus cuts code; a seeded half scores ("score"), the other half is held out ("eval").
2. Scores: `dsdm.attribute` of every document (--docs 0) towards the score half, as `skillmix attribute` does.
3. Selections of the same token budget (--keep of the scored tokens): DsDm's top scores, DsDm's bottom scores
   (the sign check), a random one per seed, and the documents most similar to the target by embedding (cosine
   of the run's all-MiniLM-L6-v2 document embedding with the mean embedding of the score half).
4. Outcome: per selection and seed a fresh proxy trained --train-steps steps on it; its loss on the held-out half.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def lds(args) -> dict:
    import warnings

    import numpy as np

    from schemas.config import AttributionParams, TrainParams
    from tasks.attribution import datamodels, dsdm
    from tasks.attribution import stage as attribution_stage
    from tasks.common import catalog

    warnings.filterwarnings("ignore", message="There is a performance drop")
    proxy = TrainParams(steps=args.steps, seq_len=args.seq_len, warmup=min(20, args.steps // 10), seed=args.seed)
    params = AttributionParams(proxy=proxy, models=args.models, max_docs=args.docs, seed=args.seed)
    tokens = catalog.latest(args.run, "tokens")
    doc_ids, _, ids = attribution_stage.pool(tokens, params.max_docs, params.seed)
    targets = attribution_stage.read_targets([args.targets])
    name = next(iter(targets))
    target_rows = attribution_stage.encode_targets(tokens, {name: targets[name]}, args.seq_len)
    vocab = tokens.vocab_size
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
        losses = [dsdm.target_loss(dsdm.train_proxy(pool.take(np.flatnonzero(mask)), target_rows[name], vocab,
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


def package_code(package: str, n: int, seed: int, max_chars: int = 1000) -> list[str]:
    """2n code blocks (at least 200 characters, tests excluded) of an installed package, in a seeded order."""
    import importlib
    import random

    from tasks.sample.chunking import code_blocks, parse

    root = Path(importlib.import_module(package).__file__).parent
    blocks = []
    for f in sorted(root.rglob("*.py")):
        if "tests" in f.parts:
            continue
        src = f.read_text(errors="replace")
        blocks += [b for b in code_blocks(src, parse(src), max_chars) if len(b) >= 200]
    random.Random(seed).shuffle(blocks)
    if len(blocks) < 2 * n:
        raise SystemExit(f"{package}: {len(blocks)} code blocks, need {2 * n}")
    return blocks[: 2 * n]


def embedding_similarity(run: str, doc_ids: list[str], texts: list[str]) -> np.ndarray:
    """Cosine of each document's stored embedding (skills stage) with the mean embedding of `texts`."""
    from tasks.common import catalog, views
    from tasks.skills import encoder

    skills = catalog.latest(run, "skills")
    summary = catalog.summary(skills)
    emb = {}
    for part in skills.embeddings.partitions:
        ids, x, _ = views.embeddings(part)
        emb.update(zip(ids.to_pylist(), x, strict=True))
    model = encoder.load(summary.embed.model)
    model.max_seq_length = summary.max_seq_length
    t = encoder.embed(texts, model).mean(0)
    t /= np.linalg.norm(t)
    return np.array([emb[d] @ t for d in doc_ids])


def select(args) -> dict:
    import warnings

    from schemas.config import TrainParams
    from tasks.attribution import datamodels, dsdm
    from tasks.attribution import stage as attribution_stage
    from tasks.common import catalog
    from tasks.train.loop import IGNORE

    warnings.filterwarnings("ignore", message="There is a performance drop")
    blocks = package_code(args.package, args.examples, args.seed)
    proxy = TrainParams(steps=args.steps, seq_len=args.seq_len, warmup=min(20, args.steps // 10), seed=args.seed)
    tokens = catalog.latest(args.run, "tokens")
    doc_ids, _, ids = attribution_stage.pool(tokens, args.docs or None, args.seed)
    halves = {"score": blocks[: args.examples], "eval": blocks[args.examples :]}
    target_rows = attribution_stage.encode_targets(tokens, halves, args.seq_len)
    vocab = tokens.vocab_size
    pool = attribution_stage.rows(ids, args.seq_len)
    t0 = time.perf_counter()
    scores, _ = dsdm.attribute(pool, {"score": target_rows["score"]}, vocab, proxy, models=args.models,
                               seed=args.seed, progress=lambda m: print("  " + m, flush=True))  # fmt: skip
    t_attr = time.perf_counter() - t0
    score = scores["score"]
    sim = embedding_similarity(args.run, doc_ids, halves["score"])
    tokens = (pool.y != IGNORE).sum(1)
    budget = int(args.keep * tokens.sum())
    source = np.array([d.split("/")[0] for d in doc_ids])
    fixed = {"dsdm": datamodels.select(score, tokens, budget), "bottom": datamodels.select(score, tokens, budget,
             lowest=True), "embedding": datamodels.select(sim, tokens, budget)}  # fmt: skip
    train = proxy.model_copy(update={"steps": args.train_steps, "warmup": min(20, args.train_steps // 10)})
    rows, t0 = [], time.perf_counter()
    for seed in args.seeds:
        rand = datamodels.select(np.random.default_rng(10_000 + seed).random(len(tokens)), tokens, budget)
        for arm, chosen in {**fixed, "random": rand}.items():
            model = dsdm.train_proxy(pool.take(chosen), target_rows["eval"], vocab,
                                     train.model_copy(update={"seed": 100 + seed}))  # fmt: skip
            loss = dsdm.target_loss(model, target_rows["eval"])
            mix = {str(k): round(float((source[chosen] == k).mean()), 3) for k in sorted(set(source))}
            rows.append({"arm": arm, "seed": seed, "eval_loss": loss, "documents": len(chosen),
                         "tokens": int(tokens[chosen].sum()), "sources": mix})  # fmt: skip
            print(f"  seed {seed} {arm:>9}: held-out target loss {loss:.4f} ({len(chosen)} documents, "
                  f"{int(tokens[chosen].sum()):,} tokens, sources {mix})", flush=True)  # fmt: skip
    arms = {}
    for arm in ("dsdm", "random", "embedding", "bottom"):
        x = np.array([r["eval_loss"] for r in rows if r["arm"] == arm])
        arms[arm] = {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if len(x) > 1 else None,
                     "per_seed": x.round(4).tolist()}  # fmt: skip
    rnd = np.array(arms["random"]["per_seed"])
    result = {"documents": len(doc_ids), "package": args.package, "examples": args.examples, "keep": args.keep,
              "budget_tokens": budget, "seq_len": args.seq_len, "proxy_steps": args.steps, "models": args.models,
              "train_steps": args.train_steps, "seeds": args.seeds, "arms": arms,
              "dsdm_wins_vs_random": int((np.array(arms["dsdm"]["per_seed"]) < rnd).sum()),
              "bottom_worse_than_random": int((np.array(arms["bottom"]["per_seed"]) > rnd).sum()),
              "attribution_seconds": round(t_attr, 1), "examples_per_second": round(len(doc_ids) * args.models
                                                                                    / t_attr, 2),
              "training_seconds": round(time.perf_counter() - t0, 1), "runs": rows}  # fmt: skip
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
        Path(args.out).with_suffix(".png").write_bytes(figure(result))
    return result


def figure(result: dict) -> bytes:
    """PNG: held-out target loss of each selection, one dot per seed, with its mean."""
    from tasks.common import plots

    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, a in enumerate(result["arms"].values()):
        ax.scatter([i] * len(a["per_seed"]), a["per_seed"], color="tab:blue", s=18)
        ax.hlines(a["mean"], i - 0.25, i + 0.25, color="k")
    ax.set_xticks(range(len(result["arms"])), list(result["arms"]))
    ax.set_ylabel("held-out target loss (nats)")
    ax.set_title(f"fresh proxies on {result['keep']:.0%} of the tokens, {result['documents']:,} documents, "
                 f"target: {result['package']} code", fontsize=9)  # fmt: skip
    return plots.png(fig)


def plot(args) -> None:
    png = figure(json.loads(Path(args.result).read_text()))
    Path(args.png or Path(args.result).with_suffix(".png")).write_bytes(png)


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
    p = sub.add_parser("select", help="fresh proxies on DsDm vs random vs embedding-similarity vs bottom selections")
    p.add_argument("--run", required=True)
    p.add_argument("--package", default="sklearn", help="installed package whose code is the held-out target")
    p.add_argument("--examples", type=int, default=40, help="target examples to score with (as many held out)")
    p.add_argument("--docs", type=int, default=0, help="documents in the pool (0: all)")
    p.add_argument("--keep", type=float, default=0.25)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--steps", type=int, default=200, help="attribution proxies' steps")
    p.add_argument("--models", type=int, default=4)
    p.add_argument("--train-steps", type=int, default=200, help="fresh proxies' steps")
    p.add_argument("--seeds", type=lambda v: [int(x) for x in v.split(",")], default=[0, 1, 2])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="write the result JSON here")
    p = sub.add_parser("plot", help="the figure of a `select --out` result JSON, next to it")
    p.add_argument("result")
    p.add_argument("--png", help="where to write it (default: beside the JSON)")
    args = ap.parse_args()
    {"lds": lds, "select": select, "plot": plot}[args.cmd](args)


if __name__ == "__main__":
    main()
