"""Quality benchmarks: the statistics against DataTrove's filters on the same documents, and what each preset drops.

    python bench/quality.py throughput --input /tmp/devcorpus/pool.jsonl --docs 2000 [--procs 2]
    python bench/quality.py shares --run RUN [--lang-field lang]

throughput: the first N texts of a JSONL file (the development corpus: `../shared/corpora/`), in one run. Rows,
each over the same texts, in `--procs` processes (the texts split into equal halves, one per process, as the
stage's Dask tasks split partitions):
  skillmix    tasks.quality.stage.stats_table: every Gopher, C4 and FineWeb statistic and lid.176's language
  datatrove   GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter, FineWebQualityFilter and
              LanguageFilter (ft176 backend, pointed at the same lid.176.ftz), each on every text: the same work
              (a pipeline would stop at a document's first failing filter; the stage computes every statistic)
Per row: seconds, documents/s, MB/s (UTF-8 text), ratio to DataTrove. Then, per preset, the documents whose keep
decision and reason agree with DataTrove's filter.

shares: a run with a committed quality stage (any rules): its statistics, and each preset applied alone with its
default thresholds (lang: en, 0.65): the share of dedup's kept documents and bytes it would drop, per source, and
its commonest reasons; and lid.176's top language against the corpus's own language field, where it has one.
Nothing is recomputed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DT_FILTERS = ("gopher_repetition", "gopher_quality", "c4", "fineweb")


def read_texts(path: str, n: int) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line)["text"])
            if len(out) == n:
                break
    return out


def ours(texts: list[str]) -> dict:
    """Our statistics and language of `texts`, as columns (what the stage writes)."""
    from tasks.quality import stage

    t = stage.stats_table(np.asarray([str(i) for i in range(len(texts))]), texts)
    return {c: t[c].to_numpy(zero_copy_only=False) for c in t.column_names if c != "doc_id"}


def _datatrove_filters() -> dict:
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from datatrove.utils import _import_utils, lid

    from tasks.quality import langid

    # DataTrove asks for the distribution fasttext-numpy2-wheel and downloads lid.176.bin; give it the same
    # `fasttext` module (fasttext-predict) and the lid.176.ftz the stage reads, with the numpy scores it expects
    _import_utils._is_distribution_available = lambda name: True
    lid.cached_asset_path_or_download = lambda *a, **k: str(langid.model_path())
    lang = LanguageFilter(languages=None)

    class NumpyScores:
        def predict(self, text, k=1):
            labels, scores = langid._model().predict(text, k=k)
            return labels, np.asarray(scores)

    lang.model._model = NumpyScores()
    return {"gopher_repetition": GopherRepetitionFilter(), "gopher_quality": GopherQualityFilter(),
            "c4": C4QualityFilter(), "fineweb": FineWebQualityFilter(), "lang": lang}  # fmt: skip


def theirs(texts: list[str]) -> dict[str, list[str]]:
    """DataTrove's reason per filter and text ('' where it keeps the text); the language filter keeps all."""
    from datatrove.data import Document

    filters = _datatrove_filters()
    out: dict[str, list] = {name: [] for name in [*filters, "language", "language_score"]}
    for i, text in enumerate(texts):
        for name, f in filters.items():
            doc = Document(text=text, id=str(i))
            try:
                r = f.filter(doc)
            except ZeroDivisionError:
                r = (False, "ZeroDivisionError")
            out[name].append("" if r is True else f"{name}/{r[1]}" if isinstance(r, tuple) else "")
            if name == "lang":
                out["language"].append(doc.metadata.get("language", ""))
                out["language_score"].append(doc.metadata.get("language_score", 0.0))
    return out


def _timed(fn, texts: list[str], procs: int) -> tuple[float, list]:
    """Seconds of `fn` over `texts` split into `procs` equal parts, one process each (after a warm-up call), and
    its results in order."""
    if procs == 1:
        fn(texts[:8])  # warm up: model and tokenizer loads
        t = time.perf_counter()
        out = [fn(texts)]
        return time.perf_counter() - t, out
    parts = [list(h) for h in np.array_split(np.asarray(texts, dtype=object), procs)]
    with get_context("spawn").Pool(procs) as pool:
        pool.map(fn, [h[:8] for h in parts])  # warm up each process
        t = time.perf_counter()
        out = pool.map(fn, parts)
        return time.perf_counter() - t, out


def throughput(args: argparse.Namespace) -> dict:
    from schemas.config import QualityRule
    from tasks.quality import rules

    texts = read_texts(args.input, args.docs)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    rows = {}
    for name, fn in (("skillmix", ours), ("datatrove", theirs)):
        seconds, parts = _timed(fn, texts, args.procs)
        rows[name] = {"seconds": round(seconds, 2), "docs_per_s": round(len(texts) / seconds, 1),
                      "mb_per_s": round(mb / seconds, 3)}  # fmt: skip
        rows[name]["result"] = parts
    ratio = rows["datatrove"]["seconds"] / rows["skillmix"]["seconds"]
    stats = _merge(rows["skillmix"].pop("result"))
    dt = _merge_lists(rows["datatrove"].pop("result"))
    sources = np.asarray(["x"] * len(texts), object)
    agree = {}
    for preset in DT_FILTERS:
        _, reason = rules.decide((QualityRule(preset=preset),), stats, sources)
        agree[preset] = {"agree": int(sum(a == b for a, b in zip(reason, dt[preset], strict=True))),
                         "dropped_by_datatrove": int(sum(1 for r in dt[preset] if r))}  # fmt: skip
    scored = np.asarray([bool(t.strip()) for t in texts])
    same = (stats["language"] == np.asarray(dt["language"], object)) & scored
    close = np.abs(stats["language_score"] - np.asarray(dt["language_score"])) <= 1e-6
    agree["lang"] = {"same_language": int(same.sum()), "same_score": int((same & close).sum()),
                     "texts": int(scored.sum())}  # fmt: skip
    return {"docs": len(texts), "mb": round(mb, 2), "procs": args.procs, "rows": rows,
            "datatrove_seconds_over_skillmix": round(ratio, 2), "parity": agree}  # fmt: skip


def _merge(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _merge_lists(parts: list[dict]) -> dict:
    return {k: [x for p in parts for x in p[k]] for k in parts[0]}


def shares(args: argparse.Namespace) -> dict:
    import pyarrow as pa

    from schemas.config import QualityRule
    from tasks.common import catalog, io
    from tasks.quality import rules

    ref = catalog.latest(args.run, "quality")
    tables = []
    for doc_part, q_part in zip(ref.documents.documents.partitions, ref.attributes.partitions, strict=True):
        q = io.read_table(q_part)
        d = io.read_table(doc_part, ["source", "n_bytes", "meta"])
        lang = [json.loads(m).get(args.lang_field) if m else None for m in d["meta"].to_pylist()]
        keep = q["words"].is_valid()  # statistics exist for dedup's kept documents
        tables.append(q.append_column("source", d["source"]).append_column("n_bytes", d["n_bytes"])
                      .append_column("given_lang", pa.array(lang, pa.string())).filter(keep))  # fmt: skip
    t = pa.concat_tables(tables)
    st = rules.columns(t)
    source = t["source"].to_numpy(zero_copy_only=False)
    nbytes = t["n_bytes"].to_numpy()
    presets = {"gopher": (QualityRule(preset="gopher_repetition"), QualityRule(preset="gopher_quality")),
               "c4": (QualityRule(preset="c4"),), "fineweb": (QualityRule(preset="fineweb"),),
               "lang=en": (QualityRule(preset="lang", languages=("en",)),)}  # fmt: skip
    out = {"run": args.run, "documents": t.num_rows, "mb": round(float(nbytes.sum()) / 1e6, 2),
           "languages": dict(Counter(st["language"].tolist()).most_common(8)), "presets": {}}  # fmt: skip
    given = t["given_lang"].to_numpy(zero_copy_only=False)
    has = np.asarray([g is not None for g in given])
    if has.any():  # the corpus's own language field (from its sources' metadata) against lid.176's top label
        same = st["language"][has] == given[has]
        pairs = zip(given[has][~same].tolist(), st["language"][has][~same].tolist(), strict=True)
        out["language_vs_field"] = {
            "documents": int(has.sum()),
            "agree": round(float(same.mean()), 4),
            "confusions": {f"{a}->{b}": n for (a, b), n in Counter(pairs).most_common(6)},
        }
    for name, rs in presets.items():
        keep, reason = rules.decide(rs, st, source)
        per_source = {}
        for s in sorted(set(source.tolist())):
            m = source == s
            per_source[s] = {"documents": int(m.sum()), "dropped": round(float((~keep[m]).mean()), 3),
                             "top": dict(Counter(reason[m & ~keep].tolist()).most_common(3))}  # fmt: skip
        out["presets"][name] = {
            "dropped_documents": round(float((~keep).mean()), 3),
            "dropped_bytes": round(float(nbytes[~keep].sum() / nbytes.sum()), 3),
            "reasons": dict(Counter(reason[~keep].tolist()).most_common(5)),
            "by_source": per_source,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("throughput")
    a.add_argument("--input", required=True)
    a.add_argument("--docs", type=int, default=2000)
    a.add_argument("--procs", type=int, default=2)
    a.add_argument("--out")
    b = sub.add_parser("shares")
    b.add_argument("--run", required=True)
    b.add_argument("--lang-field", default="lang", help="meta field with the corpus's own language, if any")
    b.add_argument("--out")
    args = ap.parse_args()
    result = throughput(args) if args.cmd == "throughput" else shares(args)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
