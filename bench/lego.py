"""Skill-It on the LEGO synthetic at tiny scale (ALGORITHMS.md 1(g)): per-skill accuracy of imbalanced random,
skill-stratified and Skill-It mixtures, several seeds, with curves and Skill-It's weight trajectory.

    python bench/lego.py --k 5 --steps 6000 --seeds 0,1,2 [--jobs 2] [--out bench/_data/lego]
    python bench/lego.py --k 5 --steps 6000 --preset 125m --batch 32 --lr 5e-4 --device cuda --jobs 1   # a GPU

Every run is the project's one training loop (tasks.train.loop) on tasks.train.lego data, a `small` GPT-2
(4 layers, d = 128) trained from scratch, one torch thread per run, `--jobs` runs at a time. Arms:
  random      static, imbalanced 1:1:...:3:5 (Skill-It's random baseline; the last two skills get 3 and 5)
  stratified  static, uniform over the skills
  skillit     Skill-It's online rule over Skill-It's own LEGO graph (scripts/lego/pt/skillit.sh) cut to k skills,
              eta 0.5, window 3 evaluations, `--rounds` rounds
The loss trained and evaluated is the answer token's (Skill-It scores only that; see README for why training
uses it too). Accuracy is the share of the 100 validation samples per skill (seed 42) whose answer is the
model's top prediction. Prints a table per arm and writes results.json, lego.png (accuracy curves per skill)
and lego_weights.png (the mixtures over steps) to --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ARMS = ("random", "stratified", "skillit")


def arm_params(arm: str, args: argparse.Namespace, seed: int):
    from schemas.config import MixingParams, SkillItParams, TrainParams
    from tasks.train import lego

    k = args.k
    if arm == "random":
        w = [1.0] * k
        w[-2:] = [3.0, 5.0] if k >= 3 else w[-2:]
        mixing = MixingParams(weights=tuple(w))
    elif arm == "stratified":
        mixing = MixingParams(weights=(1.0,) * k)
    else:
        graph = tuple(tuple(r) for r in lego.paper_graph(k).tolist())
        mixing = MixingParams(method="skillit", update_every=args.steps // args.rounds,
                              skillit=SkillItParams(eta=0.5, window=3, graph=graph))  # fmt: skip
    return TrainParams(preset=args.preset, steps=args.steps, batch_size=args.batch, seq_len=lego.length(k) - 1,
                       lr=args.lr, warmup=args.warmup, weight_decay=0.01, eval_every=args.eval_every, seed=seed,
                       mixing=mixing)  # fmt: skip


def one_run(job: tuple[str, int, dict]) -> dict:
    """Train one arm with one seed; its metrics."""
    import torch

    from tasks.train import lego, loop, policies

    arm, seed, ns = job
    args = argparse.Namespace(**ns)
    torch.set_num_threads(args.threads)
    params = arm_params(arm, args, seed)
    data = lego.skill_data(args.k, args.n_train, seed=1000 + seed, graph=args.graph,
                           fixed_names=args.fixed_names)  # fmt: skip
    policy = policies.make(params.mixing, np.full(args.k, 1.0 / args.k), seed)
    t = loop.Trainer(loop.build_model(len(lego.VOCAB), params), data, policy, params, args.device)
    start = time.monotonic()
    for until in range(args.eval_every, params.steps + args.eval_every, args.eval_every):
        t.run(until)
        if args.verbose:
            acc = [m["val_accuracy"] for m in t.metrics[-args.k :]]
            print(f"{arm} seed {seed} step {t.step} ({time.monotonic() - start:.0f} s): accuracy {acc}", flush=True)
    return {"arm": arm, "seed": seed, "seconds": time.monotonic() - start, "metrics": t.metrics}


def table(results: list[dict], k: int, step: int) -> dict[str, dict]:
    """Per arm: accuracy per skill at `step` (mean and sd over seeds) and the mean over skills."""
    out = {}
    for arm in dict.fromkeys(r["arm"] for r in results):
        acc = np.array(
            [[m["val_accuracy"] for m in r["metrics"] if m["step"] == step] for r in results if r["arm"] == arm]
        )  # fmt: skip  (seeds, k)
        out[arm] = {"per_skill": acc.mean(0).round(4).tolist(), "per_skill_sd": acc.std(0).round(4).tolist(),
                    "mean": float(acc.mean()), "mean_sd": float(acc.mean(1).std()), "seeds": len(acc)}  # fmt: skip
    return out


def figures(results: list[dict], k: int, out: Path) -> None:
    from tasks.common import plots

    plt = plots.pyplot()
    colors = {"random": "tab:red", "stratified": "tab:blue", "skillit": "tab:green"}
    fig, axes = plt.subplots(1, k + 1, figsize=(3.2 * (k + 1), 3.2), sharey=True)
    for arm in dict.fromkeys(r["arm"] for r in results):
        runs = [r for r in results if r["arm"] == arm]
        steps = sorted({m["step"] for m in runs[0]["metrics"]})
        acc = np.array([[[m["val_accuracy"] for m in r["metrics"] if m["step"] == s] for s in steps] for r in runs])
        for j in range(k):
            axes[j].plot(steps, acc[:, :, j].mean(0), color=colors[arm], label=arm)
            axes[j].fill_between(steps, acc[:, :, j].min(0), acc[:, :, j].max(0), color=colors[arm], alpha=0.15)
        axes[k].plot(steps, acc.mean(2).mean(0), color=colors[arm], label=arm)
    for j in range(k):
        axes[j].set_title(f"skill {j + 1} ({j} resolution steps)")
        axes[j].set_xlabel("step")
    axes[0].set_ylabel("accuracy (mean; band: min-max)")
    axes[k].set_title("mean over skills")
    axes[k].legend()
    (out / "lego.png").write_bytes(plots.png(fig))
    runs = [r for r in results if r["arm"] == "skillit"]
    if runs:
        fig, axes = plt.subplots(1, len(runs), figsize=(4 * len(runs), 3.2), squeeze=False)
        for ax, r in zip(axes[0], runs, strict=True):
            steps = sorted({m["step"] for m in r["metrics"]})
            w = np.array([[m["weight"] for m in r["metrics"] if m["step"] == s] for s in steps])
            ax.stackplot(steps, w.T, labels=[f"skill {j + 1}" for j in range(k)])
            ax.set_title(f"Skill-It mixture, seed {r['seed']}")
            ax.set_xlabel("step")
        axes[0][0].legend(fontsize=7, loc="upper right")
        (out / "lego_weights.png").write_bytes(plots.png(fig))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--rounds", type=int, default=6, help="Skill-It rounds (the paper: 6 of 1000 steps)")
    ap.add_argument("--preset", default="small")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--n-train", type=int, default=40_000, help="distinct training samples per skill")
    ap.add_argument("--graph", default="chain", help="LEGO variable graph: chain, tree or disconnected")
    ap.add_argument("--fixed-names", action="store_true", help="variables always named a, b, c... (no binding)")
    ap.add_argument("--verbose", action="store_true", help="print every evaluation")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (then use --jobs 1)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time, one torch thread each by default")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "bench" / "_data" / "lego"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(arm, int(s), vars(args)) for s in args.seeds.split(",") for arm in args.arms.split(",")]
    start = time.monotonic()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one_run, jobs))
    final, mid = table(results, args.k, args.steps), table(results, args.k, args.steps // 2 // args.eval_every
                                                             * args.eval_every)  # fmt: skip
    (out / "results.json").write_text(json.dumps({"args": vars(args), "final": final, "mid": mid,
                                                  "runs": results}, indent=1))  # fmt: skip
    figures(results, args.k, out)
    print(f"LEGO k={args.k}, {args.steps} steps x {args.batch}, seeds {args.seeds}: "
          f"{time.monotonic() - start:.0f} s for {len(jobs)} runs ({args.jobs} at a time)")  # fmt: skip
    for name, t in (("final", final), (f"mid-training (step {args.steps // 2})", mid)):
        print(f"accuracy at {name}: per skill (mean over seeds), mean over skills +- sd over seeds")
        for arm, row in t.items():
            skills = " ".join(f"{a:.3f}" for a in row["per_skill"])
            print(f"  {arm:>10}: [{skills}]  mean {row['mean']:.3f} +- {row['mean_sd']:.3f}")
    print(f"plots: {out / 'lego.png'}, {out / 'lego_weights.png'}; all metrics: {out / 'results.json'}")


if __name__ == "__main__":
    main()
