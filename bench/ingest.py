"""Ingest throughput and peak memory against plain pyarrow doing the same file, in the same run.

    python bench/ingest.py --mb 256          # skillmix ingest core vs pyarrow.json.read_json + parquet write
    python bench/ingest.py --mb 1024 --cli   # also the full CLI (Prefect + Dask) under /usr/bin/time -v

The input is JSONL generated from the sample corpus (real text: code, docs, READMEs, licences),
each record {id, text, source, url}, cached under bench/_data/. Each measured program runs in its
own process; peak RSS is that process's ru_maxrss. For the CLI, /usr/bin/time -v reports the
largest single process, so the sum over the whole process tree (CLI, Prefect server, Dask
scheduler and workers) is also sampled from /proc every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import measured  # noqa: E402

DATA = ROOT / "bench" / "_data"


def generate(mb: int) -> Path:
    """JSONL of about `mb` MiB from the sample corpus, copies made distinct by id and url."""
    path = DATA / f"corpus-{mb}mb.jsonl"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from schemas.config import SampleCorpusParams
    from tasks.sample import corpus

    recs = corpus.records(SampleCorpusParams())
    DATA.mkdir(parents=True, exist_ok=True)
    target, written, i = mb << 20, 0, 0
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        while written < target:
            r = recs[i % len(recs)]
            line = json.dumps({"id": f"doc-{i}", "text": r["text"], "source": r["domain"],
                               "url": f"https://example.org/{i}/{r['id']}"}).encode() + b"\n"  # fmt: skip
            f.write(line)
            written += len(line)
            i += 1
    tmp.rename(path)
    return path


SKILLMIX = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from schemas.config import IngestParams
from tasks.ingest import stage
t = time.perf_counter()
params = IngestParams()
plan = stage.plan([{src!r}], {run!r}, params)
results = [stage.ingest_file(f, stage.file_uri(plan, k), params) for k, f in enumerate(plan.files)]
res = stage.commit(plan, results, params)
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": res.summary.kept,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

PYARROW = """
import json, resource, time
import pyarrow.json as pj, pyarrow.parquet as pq
t = time.perf_counter()
table = pj.read_json({src!r}, read_options=pj.ReadOptions(use_threads={threads}))
pq.write_table(table, {out!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": table.num_rows,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli(src: Path, run: Path) -> dict:
    """`skillmix ingest` under /usr/bin/time -v, sampling the whole process tree's RSS."""
    exe = shutil.which("skillmix") or str(Path(sys.executable).parent / "skillmix")
    out = measured([exe, "ingest", str(src), "--run", str(run)])
    out["flow_seconds"] = json.loads((run / "report" / "ingest" / "summary.json").read_text())["seconds"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=256, help="size of the generated JSONL, MiB")
    ap.add_argument("--cli", action="store_true", help="also run the full CLI under /usr/bin/time -v")
    ap.add_argument("--skip-pyarrow", action="store_true", help="skip the pyarrow baseline (it loads the file whole)")
    args = ap.parse_args()
    src = generate(args.mb)
    size_mb = src.stat().st_size / 1e6
    print(f"input: {src} ({size_mb:,.0f} MB); machine: {os.cpu_count()} cores, {platform.platform()}")
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        ours = child(SKILLMIX.format(root=str(ROOT), src=str(src), run=f"{tmp}/run"))
        rows = [("skillmix ingest (core, 1 process)", ours)]  # order matters for the ratios below
        if not args.skip_pyarrow:
            baseline = child(PYARROW.format(src=str(src), out=f"{tmp}/pa.parquet", threads=True))
            rows.append(("pyarrow read_json + write_table", baseline))
            one = child(PYARROW.format(src=str(src), out=f"{tmp}/pa1.parquet", threads=False))
            rows.append(("pyarrow, one thread (use_threads=False)", one))
        if args.cli:
            rows.append(("skillmix ingest CLI (Prefect+Dask)", cli(src, Path(tmp) / "cli-run")))
    for name, r in rows:
        rss = r.get("rss_mib") or r["time_v_max_rss_mib"]
        extra = f", process tree {r['tree_rss_mib']:,.0f} MiB" if "tree_rss_mib" in r else ""
        if "flow_seconds" in r:  # the flow's own time, plan to commit, without process and server start-up
            extra += f"; flow alone {r['flow_seconds']:.1f} s = {size_mb / r['flow_seconds']:.1f} MB/s"
        print(f"{name:<38} {r['seconds']:7.1f} s  {size_mb / r['seconds']:7.1f} MB/s  peak RSS {rss:,.0f} MiB{extra}")
    if not args.skip_pyarrow:
        base = rows[1][1]["seconds"]
        print(f"ratio skillmix core / pyarrow throughput: {base / ours['seconds']:.2f}")
        print(f"ratio skillmix core / pyarrow one thread: {rows[2][1]['seconds'] / ours['seconds']:.2f}")
        if args.cli:
            print(f"ratio skillmix CLI flow / pyarrow throughput: {base / rows[3][1]['flow_seconds']:.2f}")


if __name__ == "__main__":
    main()
