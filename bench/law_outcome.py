"""Outcome of mixtures on fresh proxies at equal tokens, paired over seeds: the mean per-skill validation loss and,
with --targets, the loss on a held-out target file; and the proxy time each mixture's method spent.

    python bench/law_outcome.py --run RUN --mixture RUN/mix/<law>/mixture.json --mixture stratified \
        --mixture natural --mixture RUN/mix/<bimix>/mixture.json --seeds 0,1,2 --steps 300 --eval-every 30 \
        [--targets heldout.jsonl] [--out docs/results/law_outcome.json]

The proxies are `skillmix proxies` runs (cached under RUN/proxies/runs/): every mixture trains the same steps of the
same batch, so every mixture sees the same number of tokens. The held-out target file is never read by the methods
(a target-optimised law is fitted to the other half). A method's proxy time is the summed training seconds of the
runs its mixture was fitted to (mixture.json's marker), 0 for a training-free mixture.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas.config import TrainParams  # noqa: E402
from schemas.outputs import ProxyRun  # noqa: E402
from tasks.attribution.targets import encode_targets, read_targets  # noqa: E402
from tasks.common import catalog, io  # noqa: E402
from tasks.mix import law_stage  # noqa: E402


def spent(spec: str) -> float:
    """Proxy seconds behind a mixture.json (the runs its marker names), 0 for any other spec."""
    if not spec.endswith(".json"):
        return 0.0
    marker = io.read_json(str(Path(spec).parent / "_SUCCESS"))
    run = str(Path(spec).parents[2])
    return float(sum(catalog.load(catalog.proxy_run(run, k), ProxyRun).seconds for k in marker.get("proxies") or []))


def paired(values: dict[str, dict[int, float]], base: str) -> list[dict]:
    rows = []
    for name, per in values.items():
        seeds = sorted(per)
        v = np.array([per[s] for s in seeds])
        row = {"mixture": name, "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
               "per_seed": [round(float(x), 4) for x in v]}  # fmt: skip
        if name != base:
            d = v - np.array([values[base][s] for s in seeds])
            row |= {"diff": float(d.mean()), "diff_sd": float(d.std(ddof=1)) if len(d) > 1 else 0.0,
                    "wins": int((d < 0).sum()), "seeds": len(d)}  # fmt: skip
        rows.append(row)
    return rows


def show(title: str, rows: list[dict], seconds: dict[str, float]) -> None:
    print(title)
    print("| mixture | mean +- sd | per seed | vs stratified (wins) | proxy time |\n|---|---|---|---|---|")
    for r in rows:
        vs = f"{r['diff']:+.4f} +- {r['diff_sd']:.4f} ({r['wins']}/{r['seeds']})" if "diff" in r else ""
        print(f"| {r['mixture']} | {r['mean']:.4f} +- {r['sd']:.4f} | {', '.join(f'{x:.4f}' for x in r['per_seed'])} "
              f"| {vs} | {seconds[r['mixture']] / 3600:.3f} h |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--mixture", action="append", required=True)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--eval-every", type=int, default=30)
    ap.add_argument("--targets", default=None)
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "law_outcome.json"))
    a = ap.parse_args()
    cmd = ["skillmix", "proxies", "--run", a.run, "--seeds", a.seeds, "--steps", str(a.steps), "--eval-every",
           str(a.eval_every), "--baseline", "stratified"]  # fmt: skip
    cmd += [x for m in a.mixture for x in ("--mixture", m)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    ref = catalog.latest(a.run, "proxies")
    comp = io.read_json(ref.comparison)
    from tasks.proxies.stage import label

    names = {m: label(m) for m in a.mixture}
    seconds = {names[m]: spent(m) for m in a.mixture}
    losses: dict[str, dict[int, float]] = {}
    for r in comp["runs"]:
        losses.setdefault(r["mixture"], {})[r["seed"]] = float(np.mean(list(r["final_val_loss"].values())))
    out = {"command": " ".join(cmd), "mean_per_skill_loss": paired(losses, "stratified"), "proxy_seconds": seconds}
    show(f"mean per-skill validation loss at step {a.steps}", out["mean_per_skill_loss"], seconds)
    if a.targets:
        tokens = catalog.latest(a.run, "tokens")
        params = TrainParams(steps=a.steps, eval_every=a.eval_every)
        rows = encode_targets(tokens, read_targets([a.targets]), params.seq_len)
        held: dict[str, dict[int, float]] = {}
        for r in comp["runs"]:
            run = catalog.load(r["uri"], ProxyRun)
            held.setdefault(r["mixture"], {})[r["seed"]] = float(np.mean(
                [law_stage.target_loss(run, v, tokens.vocab_size, params) for v in rows.values()]))  # fmt: skip
        out["held_out_target_loss"] = paired(held, "stratified")
        out["targets"] = a.targets
        show(f"\nloss on the held-out target {a.targets}", out["held_out_target_loss"], seconds)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
