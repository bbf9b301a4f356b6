"""DsDm at corpus scale: selection by a surrogate of TRAK (scored on a sample) against full TRAK, random and
embedding similarity, on a real corpus, at equal tokens (issue 19).

    python bench/surrogate.py split --target /tmp/devcorpus/target.jsonl --out /tmp/devtarget
    python bench/surrogate.py select --run RUN --full FP --surrogate FP [--surrogate FP2] --heldout H.jsonl
        [--keep 0.25] [--train-steps 200] [--seeds 0,1,2] [--out docs/results/surrogate_select.json]

`split` cuts the held-out target set in two seeded halves: `fit.jsonl` (what attribution scores towards) and
`heldout.jsonl` (where the outcome is measured, never used to score or tune).

`select` reads two committed attribution outputs of RUN, made by the commands users run:
- `skillmix attribution --run RUN --targets fit.jsonl` (full TRAK on every kept document), and
- `skillmix attribution --run RUN --targets fit.jsonl --sample N` (TRAK on a sample, a surrogate for the rest).
Each arm keeps --keep of the kept documents' scored tokens (the first seq_len of each, as attribution scores
them), filled greedily by its order: full TRAK's top scores, the surrogate's, a random order per seed, and the
cosine of each document's stored embedding with the mean embedding of fit.jsonl. Per arm and seed a fresh proxy
trains --train-steps steps on the selection; the outcome is its mean next-token loss on heldout.jsonl.
It prints each arm's loss (mean, sd, per seed), the paired wins, the surrogate's share of full TRAK's gain over
random, the time ratio of the two attributions and the surrogate's documents per second beyond the sample.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def split(args) -> None:
    """Two seeded halves of the target JSONL, by sorted id: fit.jsonl and heldout.jsonl (named --name)."""
    rows = [json.loads(line) for line in Path(args.target).read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: r["id"])
    random.Random(args.seed).shuffle(rows)
    half = len(rows) // 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("fit", rows[:half]), ("heldout", rows[half:])):
        with open(out / f"{name}.jsonl", "w") as f:
            for r in part:
                f.write(json.dumps({"id": r["id"], "text": r["text"], "target": args.name}) + "\n")
        print(f"{out / (name + '.jsonl')}: {len(part)} examples")


def select(args) -> dict:
    import warnings

    from bench.dsdm import embedding_similarity
    from schemas.config import TrainParams
    from tasks.attribution import datamodels, dsdm, surrogate
    from tasks.attribution import stage as attribution_stage
    from tasks.common import catalog, views
    from tasks.train.loop import IGNORE

    warnings.filterwarnings("ignore", message="There is a performance drop")
    full = catalog.ref(args.run, "attribution", args.full)
    fs = catalog.summary(full)
    ids_f, by_f = views.scores(full.scores)
    name = next(iter(by_f))
    trak = by_f[name]
    doc_ids, _, ids = attribution_stage.pool(full.tokens)
    if fs.surrogate is not None or ids_f != doc_ids:
        raise SystemExit("--full must be an attribution of every document without --sample")
    sampled = {}  # arm -> (summary, scores, scored by TRAK)
    for fp in args.surrogate:
        ref = catalog.ref(args.run, "attribution", fp)
        ss = catalog.summary(ref)
        if ss.surrogate is None or ss.target_files != fs.target_files or ss.tokens_fingerprint != fs.tokens_fingerprint:
            raise SystemExit(f"{fp}: not a --sample attribution of the same targets and tokens as {args.full}")
        ids_s, by_s = views.scores(ref.scores)
        if ids_s != doc_ids:
            raise SystemExit(f"{fp}: scores the documents in another order than the run's tokens")
        in_sample = np.asarray(views_column(ref.scores, "scored_by", name), object) == "trak"
        sampled[f"surrogate-{ss.surrogate.sample}"] = (ss, by_s[name], in_sample)
    seq_len = fs.params.proxy.seq_len
    pool = attribution_stage.rows(ids, seq_len)
    ntok = (pool.y != IGNORE).sum(1)
    budget = int(args.keep * ntok.sum())
    fit_texts = attribution_stage.read_targets(fs.target_files)[name]
    heldout = attribution_stage.encode_targets(full.tokens, {"heldout": attribution_stage.read_targets(
        [args.heldout])[name]}, seq_len)["heldout"]  # fmt: skip
    t0 = time.perf_counter()
    sim = embedding_similarity(args.run, doc_ids, fit_texts)
    t_sim = time.perf_counter() - t0
    first = next(iter(sampled))
    fixed = {"trak": datamodels.select(trak, ntok, budget),
             **{arm: datamodels.select(v[1], ntok, budget) for arm, v in sampled.items()},
             "embedding": datamodels.select(sim, ntok, budget),
             f"{first}-bottom": datamodels.select(sampled[first][1], ntok, budget, lowest=True)}  # fmt: skip
    source = np.asarray(views_column(full.tokens.skills.quality.documents.documents, "source", None, doc_ids), object)
    train = TrainParams(steps=args.train_steps, seq_len=seq_len, warmup=min(20, args.train_steps // 10))
    rows, t0 = [], time.perf_counter()
    for seed in args.seeds:
        rand = datamodels.select(np.random.default_rng(10_000 + seed).random(len(ntok)), ntok, budget)
        for arm, chosen in {**fixed, "random": rand}.items():
            model = dsdm.train_proxy(pool.take(chosen), heldout, full.tokens.vocab_size,
                                     train.model_copy(update={"seed": 100 + seed}))  # fmt: skip
            loss = dsdm.target_loss(model, heldout)
            mix = {str(k): round(float((source[chosen] == k).mean()), 3) for k in sorted(set(source))}
            rows.append({"arm": arm, "seed": seed, "eval_loss": loss, "documents": len(chosen),
                         "tokens": int(ntok[chosen].sum()), "sources": mix})  # fmt: skip
            print(f"  seed {seed} {arm:>22}: held-out target loss {loss:.4f} ({len(chosen)} documents, "
                  f"{int(ntok[chosen].sum()):,} tokens, sources {mix})", flush=True)  # fmt: skip
    per = {a: np.array([r["eval_loss"] for r in rows if r["arm"] == a]) for a in [*fixed, "random"]}
    arms = {a: {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if len(x) > 1 else None,
                "per_seed": x.round(4).tolist()} for a, x in per.items()}  # fmt: skip
    gain_trak = per["random"] - per["trak"]
    top_trak = set(fixed["trak"].tolist())
    surrogates = {}
    for arm, (ss, sc, in_sample) in sampled.items():
        gain = per["random"] - per[arm]
        surrogates[arm] = {
            "sample": ss.surrogate.sample, "wins_vs_random": int((per[arm] < per["random"]).sum()),
            "wins_vs_trak": int((per[arm] < per["trak"]).sum()),
            "wins_vs_embedding": int((per[arm] < per["embedding"]).sum()),
            "gain_kept": {"per_seed": (gain / gain_trak).round(3).tolist(),
                          "of_means": float(gain.mean() / gain_trak.mean())},
            "spearman_vs_full_trak_beyond_sample": surrogate.spearman(sc[~in_sample], trak[~in_sample]),
            "spearman_sample_trak_vs_full_trak_on_sample": surrogate.spearman(sc[in_sample], trak[in_sample]),
            "top_overlap_with_trak": round(len(set(fixed[arm].tolist()) & top_trak) / len(top_trak), 3),
            "seconds": ss.seconds, "parts_seconds": ss.surrogate.seconds,
            "time_ratio": round(ss.seconds / fs.seconds, 4),
            "docs_per_second": ss.surrogate.docs_per_second,
            "targets": [t.model_dump() for t in ss.surrogate.targets],
        }  # fmt: skip
    result = {
        "run": args.run, "documents": len(doc_ids), "target": name, "keep": args.keep, "budget_tokens": budget,
        "seq_len": seq_len, "train_steps": args.train_steps, "seeds": args.seeds, "arms": arms,
        "trak_wins_vs_random": int((per["trak"] < per["random"]).sum()),
        "embedding_wins_vs_random": int((per["embedding"] < per["random"]).sum()),
        "bottom_worse_than_random": int((per[f"{first}-bottom"] > per["random"]).sum()),
        "spearman_embedding_vs_full_trak": surrogate.spearman(sim, trak),
        "top_overlap_embedding_with_trak": round(len(set(fixed["embedding"].tolist()) & top_trak) / len(top_trak), 3),
        "seconds": {"full_trak": fs.seconds, "embedding_similarity": round(t_sim, 1)},
        "surrogates": surrogates, "training_seconds": round(time.perf_counter() - t0, 1), "runs": rows,
    }  # fmt: skip
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
        Path(args.out).with_suffix(".png").write_bytes(figure(result))
    return result


def views_column(dataset, column: str, target: str | None, order: list[str] | None = None) -> list:
    """One column of a dataset's rows: of one target's rows (an attribution), or by `order` of doc_id."""
    import pyarrow as pa

    from tasks.common import io

    t = pa.concat_tables([io.read_table(p, ["doc_id", column, *(["target"] if target else [])])
                          for p in dataset.partitions if p.num_rows])  # fmt: skip
    if target is not None:
        return [v for v, g in zip(t[column].to_pylist(), t["target"].to_pylist(), strict=True) if g == target]
    by_id = dict(zip(t["doc_id"].to_pylist(), t[column].to_pylist(), strict=True))
    return [by_id[d] for d in order]


def figure(result: dict) -> bytes:
    """PNG: held-out target loss of each selection, one dot per seed with its mean; the seconds of each attribution."""
    from tasks.common import plots

    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 1]})
    for i, r in enumerate(result["arms"].values()):
        a.scatter([i] * len(r["per_seed"]), r["per_seed"], color="tab:blue", s=18)
        a.hlines(r["mean"], i - 0.25, i + 0.25, color="k")
    a.set_xticks(range(len(result["arms"])), list(result["arms"]), fontsize=8)
    a.set_ylabel("held-out target loss (nats)")
    a.set_title(f"fresh proxies on {result['keep']:.0%} of the tokens of {result['documents']:,} documents; "
                f"target {result['target']} (held-out half)", fontsize=9)  # fmt: skip
    names = ["full TRAK", *[f"sample\n{v['sample']:,}" for v in result["surrogates"].values()]]
    minutes = [result["seconds"]["full_trak"] / 60, *[v["seconds"] / 60 for v in result["surrogates"].values()]]
    b.bar(names, minutes, color=["tab:gray"] + ["tab:blue"] * len(result["surrogates"]))
    b.set_ylabel("attribution minutes (2 cores)")
    fig.tight_layout()
    return plots.png(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("split", help="seeded halves of a target JSONL: fit.jsonl and heldout.jsonl")
    p.add_argument("--target", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="kernel_docs", help="the target's name in both files")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("select", help="fresh proxies on selections by full TRAK, the surrogate, random, similarity")
    p.add_argument("--run", required=True)
    p.add_argument("--full", required=True, help="fingerprint of the attribution without --sample")
    p.add_argument(
        "--surrogate",
        required=True,
        action="append",
        help="fingerprint of an attribution with --sample (repeatable; the first one's bottom is the sign check)",
    )
    p.add_argument("--heldout", required=True, help="the target's held-out half (JSONL), to measure on")
    p.add_argument("--keep", type=float, default=0.25)
    p.add_argument("--train-steps", type=int, default=200)
    p.add_argument("--seeds", type=lambda v: [int(x) for x in v.split(",")], default=[0, 1, 2])
    p.add_argument("--out", help="write the result JSON here (and the figure beside it)")
    args = ap.parse_args()
    {"split": split, "select": select}[args.cmd](args)


if __name__ == "__main__":
    main()
