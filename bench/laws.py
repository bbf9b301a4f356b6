"""Mixing laws on RegMix's public swarm (../shared/data/regmix): every family and `auto` fitted on the 512 training
runs, measured on the 256 held-out runs, beside LightGBM configured as RegMix's notebook configures it, fitted in
the same run with the raw library.

    python bench/laws.py [--data ../shared/data/regmix] [--out docs/results/laws_regmix.json]
                         [--png docs/img/law_regmix.png]

Only the training files are used to fit and to choose (auto's k-fold choice sees the training runs alone); the test
files are read once, after every law is fitted, to score them. RegMix's notebook early-stops on the test runs; that
would tune on the held-out set, so its configuration runs here without early stopping (all 1,000 rounds). The
files' shares are rounded to 3 decimals, so rows are accepted within 0.005 of 1 and renormalised.
Prints, per law, held-out Spearman rho and mean absolute error for Pile-CC and averaged over the 13 metrics.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.common import plots  # noqa: E402
from tasks.mixing import laws, select, swarm  # noqa: E402

PILE_CC = "metric/the_pile_pile_cc_val_loss"


def regmix_lightgbm(X: np.ndarray, Y: np.ndarray, Xt: np.ndarray) -> np.ndarray:
    """RegMix's regression notebook: one LGBMRegressor per target, its parameters, no early stopping."""
    import lightgbm as lgb

    out = []
    for i in range(Y.shape[1]):
        m = lgb.LGBMRegressor(boosting_type="gbdt", objective="regression", metric=["l1", "l2"], n_estimators=1000,
                              learning_rate=1e-2, seed=42, verbose=-1)  # fmt: skip
        out.append(m.fit(X, Y[:, i]).predict(Xt))
    return np.column_stack(out)


def score(Y: np.ndarray, P: np.ndarray, i: int) -> dict:
    rho = [float(spearmanr(Y[:, j], P[:, j]).statistic) for j in range(Y.shape[1])]
    mae = np.abs(P - Y).mean(axis=0)
    return {"pile_cc_rho": rho[i], "pile_cc_mae": float(mae[i]), "mean_rho": float(np.mean(rho)),
            "mean_mae": float(mae.mean()), "rho": rho}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "regmix"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "laws_regmix.json"))
    ap.add_argument("--png", default=str(ROOT / "docs" / "img" / "law_regmix.png"))
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    d = Path(a.data)
    r, m = (
        swarm.read(str(d / "train_mixture_1m.csv"), "ratios", 0.005),
        swarm.read(str(d / "train_pile_loss_1m.csv"), "metrics"),
    )
    _, X, Y = swarm.join(r, m)
    own = swarm.own_domains(r.columns, m.columns)
    fitted, seconds = {}, {}
    for name in laws.FAMILIES:
        t = time.perf_counter()
        fitted[name] = laws.make(name).fit(X, Y, own)
        seconds[name] = time.perf_counter() - t
    t = time.perf_counter()
    fitted["auto"], report = select.auto(X, Y, own, k=a.folds, seed=0)
    seconds["auto"] = time.perf_counter() - t
    # held out: read only now, after every law is fitted
    rt, mt = (
        swarm.read(str(d / "test_mixture_1m.csv"), "ratios", 0.005),
        swarm.read(str(d / "test_pile_loss_1m.csv"), "metrics"),
    )
    _, Xt, Yt = swarm.join(rt, mt)
    i = m.columns.index(PILE_CC)
    preds = {n: law.predict(Xt) for n, law in fitted.items()}
    t = time.perf_counter()
    preds["lightgbm (RegMix's notebook, raw library)"] = regmix_lightgbm(X, Y, Xt)
    seconds["lightgbm (RegMix's notebook, raw library)"] = time.perf_counter() - t
    rows = {n: score(Yt, P, i) | {"fit_seconds": round(seconds[n], 1)} for n, P in preds.items()}
    print(
        f"RegMix 1M swarm: {len(X)} training runs, {len(Xt)} held-out runs, {X.shape[1]} domains, {Y.shape[1]} metrics"
    )
    print(f"{'law':44s} {'Pile-CC rho':>11s} {'Pile-CC MAE':>11s} {'mean rho':>9s} {'mean MAE':>9s} {'fit s':>6s}")
    for n, s in rows.items():
        print(f"{n:44s} {s['pile_cc_rho']:11.4f} {s['pile_cc_mae']:11.4f} {s['mean_rho']:9.4f} {s['mean_mae']:9.4f} "
              f"{s['fit_seconds']:6.1f}")  # fmt: skip
    best_single = max(laws.FAMILIES, key=lambda n: rows[n]["pile_cc_rho"])
    best_mean = max(laws.FAMILIES, key=lambda n: rows[n]["mean_rho"])
    print(f"auto vs the best single family: Pile-CC {rows['auto']['pile_cc_rho']:.4f} vs {best_single} "
          f"{rows[best_single]['pile_cc_rho']:.4f}; mean {rows['auto']['mean_rho']:.4f} vs {best_mean} "
          f"{rows[best_mean]['mean_rho']:.4f}")  # fmt: skip
    print("auto's choice per metric (k-fold on the training runs): " + ", ".join(
        f"{c}: {report['chosen'].count(c)}" for c in sorted(set(report["chosen"]))))  # fmt: skip
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"rows": rows, "chosen": dict(zip(m.columns, report["chosen"], strict=True)),
                                       "metrics": m.columns}, indent=1))  # fmt: skip
    figure(Yt[:, i], {n: preds[n][:, i] for n in ("auto", "lightgbm", "log-linear", "linear", "bimix")}, rows, a.png)


def figure(y: np.ndarray, preds: dict, rows: dict, path: str) -> None:
    plt = plots.pyplot()
    fig, axes = plt.subplots(1, len(preds), figsize=(3.3 * len(preds), 3.3))
    for ax, (n, p) in zip(axes, preds.items(), strict=True):
        ax.scatter(y, p, s=5)
        lo, hi = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.5)
        ax.set_title(f"{n}: rho {rows[n]['pile_cc_rho']:.3f}", fontsize=8)
        ax.set_xlabel("measured Pile-CC loss (held out)", fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0].set_ylabel("predicted", fontsize=7)
    fig.suptitle("RegMix 1M swarm: 256 held-out runs", fontsize=9)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(plots.png(fig))


if __name__ == "__main__":
    main()
