"""Dedup quality on planted near-duplicates, and cost at scale through the CLI.

    python bench/dedup.py quality --bases 1000          # recall / precision per true-Jaccard bucket
    python bench/dedup.py scale --docs 100000 1000000   # `skillmix dedup`: docs/s and peak RSS

quality: tasks.dedup.planted documents (200 random words; copies with 0-25 substituted words, so J
from 1.0 to ~0.5), default parameters; a pair counts as found when base and copy end in one
cluster; precision is over every dropped document against the document its cluster keeps (false
when their true J < 0.7). Printed with and without exact-Jaccard verification.
scale: synthetic JSONL, ~1.5 kB documents of 220 random words, about 91% unique and 9% planted
copies (generated in chunks, cached in bench/_data/). `skillmix ingest` then `skillmix dedup`
run as the CLI under /usr/bin/time -v (Prefect + a Dask LocalCluster); dedup's figures are its
own command's: wall time, docs/s, largest process's peak RSS, and the process tree's summed RSS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import measured  # noqa: E402
from schemas.config import MinHashParams  # noqa: E402
from tasks.dedup import lsh, minhash, planted  # noqa: E402

DATA = ROOT / "bench" / "_data"
BUCKETS = [(0.0, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.85), (0.85, 0.9), (0.9, 1.0), (1.0, 1.01)]


def quality(bases: int) -> None:
    texts, origin = planted.planted(n_base=bases, seed=3)
    params = MinHashParams()
    sets = minhash.shingle_sets(texts, params)
    pairs = lsh.candidate_pairs(lsh.band_keys(minhash.signatures(texts, params), *lsh.band_rows(params)))
    copies = np.arange(bases, len(texts))
    true = np.array([lsh.jaccard(sets[origin[i]], sets[i]) for i in copies])
    print(f"{len(texts):,} docs ({bases:,} bases x {len(planted.EDITS)} copies), {len(pairs):,} candidate pairs, "
          f"bands x rows = {lsh.band_rows(params)}")  # fmt: skip
    for verify in (True, False):
        kept_pairs = pairs[lsh.verify(pairs, sets, params.threshold)] if verify else pairs
        labels = lsh.clusters(len(texts), kept_pairs)
        found = labels[copies] == labels[origin[copies]]
        dropped = np.flatnonzero(labels != np.arange(len(labels)))
        sims = np.array([lsh.jaccard(sets[labels[i]], sets[i]) for i in dropped])
        print(f"verification {'on' if verify else 'off'}: precision {np.mean(sims >= 0.7):.4f} over "
              f"{len(dropped):,} dropped; recall J>=0.85 {found[true >= 0.85].mean():.4f}")  # fmt: skip
        for lo, hi in BUCKETS:
            m = (true >= lo) & (true < hi)
            bucket = f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}"
            print(f"  J in {bucket}: {m.sum():6,} pairs, found {found[m].mean():.3f}")


def corpus(n_docs: int, chunk: int = 50_000) -> Path:
    path = DATA / f"dedup-{n_docs}.jsonl"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    tmp, written, c = path.with_suffix(".tmp"), 0, 0
    with open(tmp, "w") as f:
        while written < n_docs:
            n = min(chunk, n_docs - written)
            copies_base = max(n // 110, 1)  # each base brings 10 copies: ~9% of the chunk
            unique, _ = planted.planted(n_base=n - 11 * copies_base, words=220, edits=(), seed=10_000 + c)
            dup, _ = planted.planted(n_base=copies_base, words=220, seed=20_000 + c)
            for t in unique + dup:
                f.write(json.dumps({"text": t}) + "\n")
            written += len(unique) + len(dup)
            c += 1
    tmp.rename(path)
    return path


def scale(sizes: list[int]) -> None:
    exe = shutil.which("skillmix") or str(Path(sys.executable).parent / "skillmix")
    for n in sizes:
        src = corpus(n)
        run = DATA / f"dedup-run-{n}"
        shutil.rmtree(run, ignore_errors=True)
        ing = measured([exe, "ingest", str(src), "--run", str(run)])
        ded = measured([exe, "dedup", "--run", str(run)])
        s = json.loads((run / "report" / "dedup" / "summary.json").read_text())
        print(f"{s['documents_in']:,} docs ({src.stat().st_size / 1e9:.2f} GB JSONL): ingest {ing['seconds']:.0f} s; "
              f"dedup {ded['seconds']:.0f} s = {s['documents_in'] / ded['seconds']:,.0f} docs/s "
              f"(flow alone {s['seconds']:.0f} s), peak RSS {ded['time_v_max_rss_mib']:,.0f} MiB largest process, "
              f"{ded['tree_rss_mib']:,.0f} MiB process tree; kept {s['kept']:,}, "
              f"exact {s['dropped_by_reason']['exact_duplicate']:,}, "
              f"near {s['dropped_by_reason']['near_duplicate']:,}, "
              f"candidate pairs {s['candidate_pairs']:,}")  # fmt: skip
        shutil.rmtree(run, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--bases", type=int, default=1000)
    s = sub.add_parser("scale")
    s.add_argument("--docs", type=int, nargs="+", default=[100_000])
    args = ap.parse_args()
    quality(args.bases) if args.what == "quality" else scale(args.docs)


if __name__ == "__main__":
    main()
