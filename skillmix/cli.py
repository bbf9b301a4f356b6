"""The `skillmix` command: one subcommand per stage, each with the same `--run RUN` convention.

Heavy imports (Prefect, Dask, torch) happen inside commands, so `skillmix --help` stays fast.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from skillmix import train_cli
from skillmix.common import (
    CURATE_STAGES,
    INPUTS_HELP,
    DaskOpt,
    RunOpt,
    WorkersOpt,
    _fail,
    _local_api,
    _proxy,
    _run_flow,
    _validated,
    _with_progress,
    app,
    console,
)


def _size(n: float) -> str:
    """Bytes as B / kB / MB / GB (decimal, as the throughput figures in docs/BENCHMARKS.md)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def _counts_table(
    title: str, unit: str, total: tuple[str, int], kept: int, removed: dict[str, int], ok: bool, hide_zero: bool
) -> None:
    """The stage's in = kept + removed-by-reason table; `hide_zero` leaves out reasons with no records."""
    t = Table(title=title, show_header=True, header_style="bold")
    t.add_column("outcome")
    t.add_column(unit, justify="right")
    t.add_row(total[0], f"{total[1]:,}")
    t.add_row("[green]kept", f"[green]{kept:,}")
    for reason, n in removed.items():
        if n or not hide_zero:
            t.add_row(f"[red]{escape(reason)}", f"[red]{n:,}")
    t.add_row("counts add up", "yes" if ok else "[bold red]NO")
    console.print(t)


def _print_ingest(summary: dict) -> None:
    rejected = {f"rejected: {k}": v for k, v in summary["rejected_by_reason"].items()}
    _counts_table(f"ingest {summary['fingerprint']}", "records", ("input records", summary["records"]),
                  summary["kept"], rejected, summary["counts_add_up"], hide_zero=True)  # fmt: skip
    by_source = ", ".join(f"{k} {v:,}" for k, v in summary["kept_by_source"].items())
    console.print(f"kept by source: {escape(by_source)}")
    size, secs = summary["bytes_in"], summary["seconds"]
    rate = f" in {secs:.1f} s ({_size(size / secs)}/s)" if secs else ""
    console.print(f"read {_size(size)}{rate}; kept {_size(summary['kept_text_bytes'])} of text")
    if summary["skipped_files"]:
        console.print(f"[yellow]skipped {len(summary['skipped_files'])} files of unknown type[/]: "
                      + escape(", ".join(summary["skipped_files"][:5])))  # fmt: skip


def _print_dedup(s: dict) -> None:
    dropped = {f"dropped: {k}": v for k, v in s["dropped_by_reason"].items()}
    _counts_table(f"dedup {s['fingerprint']}", "documents", ("documents in", s["documents_in"]), s["kept"],
                  dropped, s["counts_add_up"], hide_zero=False)  # fmt: skip
    curve = ", ".join(f"J={j}: {p:.2f}" for j, p in s["s_curve"].items())
    console.print(f"LSH {s['bands']} bands x {s['rows']} rows; P(candidate): {curve}")
    verified = f"{s['verified_pairs']:,} verified" if s["params"]["verify"] else "verification off"
    sizes = sorted(s["cluster_sizes"].items(), key=lambda kv: int(kv[0]))  # JSON keys sort as strings
    console.print(f"candidate pairs {s['candidate_pairs']:,} ({verified}); clusters by size (size: count): "
                  + ", ".join(f"{k}: {v}" for k, v in sizes))  # fmt: skip
    if s["against"]:
        console.print(f"deduplicated against: {escape(s['against'])}")


@app.command()
def dedup(
    run: RunOpt,
    against: Annotated[str | None, typer.Option(help="an earlier run: drop what duplicates its kept documents")] = None,
    threshold: Annotated[float, typer.Option(help="Jaccard similarity of near duplicates")] = 0.8,
    shingle: Annotated[str, typer.Option(help="word or char n-grams")] = "word",
    ngram: Annotated[int, typer.Option(help="tokens per shingle")] = 5,
    num_perm: Annotated[int, typer.Option(help="MinHash permutations")] = 128,
    bands: Annotated[int | None, typer.Option(help="LSH bands (with --rows; default: from --threshold)")] = None,
    rows: Annotated[int | None, typer.Option(help="rows per band")] = None,
    hash_: Annotated[str, typer.Option("--hash", help="fast, or sha1 (datasketch's default)")] = "fast",
    verify: Annotated[bool, typer.Option(help="check candidates against exact Jaccard")] = True,
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Find exact and near duplicates (MinHash-LSH) of RUN's documents -> RUN/attributes/dedup/."""
    from flows.dedup import dedup as dedup_flow
    from flows.runtime import task_runner
    from schemas.config import DedupParams, MinHashParams

    params = _validated("dedup", lambda: DedupParams(
        minhash=MinHashParams(threshold=threshold, shingle=shingle, ngram=ngram, num_perm=num_perm,
                              bands=bands, rows=rows, hash=hash_),
        verify=verify,
    ))  # fmt: skip
    _local_api(dask_address)
    flow = dedup_flow.with_options(task_runner=task_runner(dask_address, workers))
    s = _with_progress(run, ["dedup"], flow, run, params, against)
    _print_dedup(s)
    console.print(f"attributes: {s['attributes']}")
    console.print(f"summary:    {run.rstrip('/')}/report/dedup/summary.json (+ dedup.png)")


def _print_skills(s: dict) -> None:
    from tasks.common import io

    skills = io.read_json(io.join(s["attributes"], "skills.json"))["skills"]
    t = Table(title=f"skills {s['fingerprint']} ({s['method']})", show_header=True, header_style="bold")
    for col, justify in (("skill", "right"), ("label", "left"), ("documents", "right"), ("share", "right")):
        t.add_column(col, justify=justify)
    for k in skills:
        t.add_row(str(k["id"]), escape(k["label"]), f"{k['documents']:,}", f"{k['share']:.1%}")
    t.add_row("", "total", f"{sum(k['documents'] for k in skills):,}", "")
    console.print(t)
    console.print(f"embeddings: {s['embedded']:,} computed now, {s['reused']:,} reused; "
                  f"{s['truncated_share']:.0%} of documents longer than {s['max_seq_length']} word pieces "
                  "(embedded from their beginning)")  # fmt: skip
    if s["k_silhouette"]:
        scores = ", ".join(f"k={k}: {v:.3f}" for k, v in sorted(s["k_silhouette"].items(), key=lambda kv: int(kv[0])))
        console.print(f"k chosen by silhouette: {scores}")
    if s["semdedup"]["eps"] is not None:
        d = s["semdedup"]
        console.print(f"SemDeDup at cosine >= {1 - d['eps']:.3f}: {d['dropped']:,} dropped, {d['kept']:,} kept")
    if a := s["agreement"]:
        console.print(f"against {escape(a['field'])}: purity {a['purity']:.3f}, NMI {a['nmi']:.3f}")
    console.print(f"counts add up: {'yes' if s['counts_add_up'] else '[bold red]NO'}")


@app.command()
def skills(
    run: RunOpt,
    k: Annotated[str, typer.Option("--k", help="number of skills or 'auto' (best silhouette)")] = "auto",
    k_candidates: Annotated[str, typer.Option(help="comma-separated k tried by 'auto'")] = "4,6,8,12,16",
    group_by: Annotated[
        str | None, typer.Option(help="use a field's values as the skills (source, file, or a meta key)")
    ] = None,
    model: Annotated[str, typer.Option(help="bundled all-MiniLM-L6-v2 or a local sentence-transformers dir")] = (
        "all-MiniLM-L6-v2"
    ),
    max_seq_length: Annotated[
        int | None, typer.Option(help="truncate texts to this many word pieces (default: the model's, 256)")
    ] = None,
    precision: Annotated[str, typer.Option(help="fp32, or bf16 (fast only with AVX512-BF16/AMX or a GPU)")] = "fp32",
    device: Annotated[str, typer.Option(help="torch device: cpu or cuda")] = "cpu",
    batch_size: Annotated[int, typer.Option(help="texts per forward pass")] = 64,
    semdedup_eps: Annotated[
        float | None, typer.Option(help="SemDeDup: drop documents at cosine >= 1 - eps to an earlier one in the skill")
    ] = None,
    label_field: Annotated[str, typer.Option(help="known label to score skills against ('' = none)")] = "source",
    seed: Annotated[int, typer.Option(help="sampling and k-means seed")] = 0,
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Embed RUN's kept documents and group them into skills -> RUN/attributes/skills/, skills.json, report."""
    from flows.runtime import task_runner
    from flows.skills import skills as skills_flow
    from schemas.config import EmbedParams, SkillsParams
    from tasks.common.errors import InputError
    from tasks.skills import encoder

    if k != "auto" and not k.isdigit():
        _fail(f"invalid skills option: --k {k!r}: give a whole number of skills or 'auto'")
    try:
        candidates = tuple(int(c) for c in k_candidates.split(",") if c.strip())
    except ValueError:
        _fail(f"invalid skills option: --k-candidates {k_candidates!r}: give whole numbers separated by commas")
    embed = _validated(
        "embedding",
        lambda: EmbedParams(
            model=model, max_seq_length=max_seq_length, precision=precision, device=device, batch_size=batch_size
        ),
    )
    params = _validated("skills", lambda: SkillsParams(
        k=None if k == "auto" else int(k), k_candidates=candidates, group_by=group_by or None, seed=seed,
        semdedup_eps=semdedup_eps, label_field=label_field or None))  # fmt: skip
    try:
        encoder.model_path(embed.model)  # a missing model fails before Prefect or Dask start
    except InputError as e:
        _fail(str(e))
    _local_api(dask_address)
    flow = skills_flow.with_options(task_runner=task_runner(dask_address, workers))
    s = _with_progress(run, ["skills"], flow, run, embed, params)
    _print_skills(s)
    console.print(f"attributes: {s['attributes']} (+ skills.json)")
    console.print(f"report:     {run.rstrip('/')}/report/skills/ (summary.json, skills.json, skills_map.png, "
                  "skill_sizes.png" + (", skills_vs_label.png)" if s["agreement"] else ")"))  # fmt: skip


def _print_tokens(s: dict) -> None:
    t = Table(title=f"tokens {s['fingerprint']}", show_header=True, header_style="bold")
    for col in ("skill", "documents", "tokens", "shannon", "conditional", "joint"):
        t.add_column(col, justify="right")
    for k in s["skills"]:
        t.add_row(str(k["skill"]), f"{k['documents']:,}", f"{k['tokens']:,}", f"{k['shannon']:.3f}",
                  f"{k['conditional']:.3f}", f"{k['joint']:.3f}")  # fmt: skip
    t.add_row("total", f"{s['documents']:,}", f"{s['tokens']:,}", "", "", "")
    console.print(t)
    tok = s["tokenizer"]
    eos = f"EOS {escape(tok['eos_token'])} = {tok['eos_id']}"
    console.print(f"tokenizer: {escape(tok['source'])}, vocabulary {tok['vocab_size']:,}, {eos}, "
                  f"sha256 {tok['sha256'][:16]}...; entropies in nats")  # fmt: skip


def _print_mixture(doc: dict) -> None:
    sel = doc.get("selection")
    t = Table(title=f"{doc['method']} mixture {doc['fingerprint']}", show_header=True, header_style="bold")
    law = doc.get("law")
    cols = ["skill", "label", "tokens", "weight"] + (["kept", "mean score"] if sel else [])
    cols += ["alpha", "R2 (log L)"] if law else []
    for col in cols:
        t.add_column(col, justify="left" if col == "label" else "right")
    for k in doc["skills"]:
        more = [f"{k['tokens'] / max(1, k['tokens_scored']):.0%}", f"{k['attribution_mean']:+.3g}"] if sel else []
        more += [f"{k['bimix']['alpha']:.3f}", f"{k['bimix']['r2']:.3f}"] if law else []
        t.add_row(str(k["skill"]), escape(k["label"]), f"{k['tokens']:,}", f"{k['weight']:.4f}", *more)
    t.add_row("", "sum", f"{sum(k['tokens'] for k in doc['skills']):,}", f"{sum(doc['weights']):.4f}")
    console.print(t)
    if law:
        h = law["holdout"]
        pred = ", ".join(f"{escape(n)} {v:.4f}" for n, v in law["predicted_mean"].items())
        console.print(f"BiMix: {len(law['proxies'])} proxy runs; {h['mixture']} held out of the fit and predicted with "
                      f"mean abs. error {h['mape']:.2%} ({h['mape_final']:.2%} at its last step); predicted mean "
                      f"loss at {law['target_steps']} steps: {pred}; figure: report/mix/bimix.png")  # fmt: skip
    if sel:
        target = sel["target"] if isinstance(sel["target"], str) else ", ".join(sel["target"])
        console.print(f"DsDm selection ({sel['scope']}, target {escape(target)}): {sel['documents']:,} of "
                      f"{sel['documents_scored']:,} documents, {sel['tokens']:,} of {sel['tokens_scored']:,} tokens "
                      "(score: higher = more beneficial); figure: report/mix/selection.png")  # fmt: skip


def _print_manifest(uri: str) -> None:
    from tasks.common import io

    m = io.read_json(uri)
    t = Table(title=f"manifest: {m['token_budget']:,} tokens, seq_len {m['seq_len']}", header_style="bold")
    for col in ("skill", "weight", "available", "to draw", "repeat", "shards"):
        t.add_column(col, justify="right")
    for k in m["skills"]:
        t.add_row(str(k["skill"]), f"{k['weight']:.4f}", f"{k['tokens_available']:,}", f"{k['tokens_to_draw']:,}",
                  f"{k['repeat_factor']:.2f}x", str(len(k["shards"])))  # fmt: skip
    console.print(t)
    repeated = [str(k["skill"]) for k in m["skills"] if k["repeat_factor"] > 1]
    if repeated:
        console.print(f"[yellow]repeated[/]: skills {', '.join(repeated)} hold fewer tokens than their share of the "
                      "budget; the trainer draws them more than once (repeat factor above)")  # fmt: skip


@app.command()
def tokens(
    run: RunOpt,
    tokenizer: Annotated[
        str | None, typer.Option(help="tokenizer.json or a directory with one (default: train)")
    ] = None,
    vocab_size: Annotated[int, typer.Option(help="vocabulary of the trained byte-level BPE")] = 8192,
    eos_token: Annotated[str, typer.Option(help="end-of-sequence token appended to every document")] = "<|endoftext|>",
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Train (or load) a tokenizer, tokenize RUN's kept documents, per-skill token statistics -> attributes/tokens/."""
    from flows.runtime import task_runner
    from flows.tokens import tokens as tokens_flow
    from schemas.config import TokensParams

    params = _validated("tokens", lambda: TokensParams(tokenizer=tokenizer, vocab_size=vocab_size, eos_token=eos_token))
    _local_api(dask_address)
    flow = tokens_flow.with_options(task_runner=task_runner(dask_address, workers))
    s = _with_progress(run, ["tokens"], flow, run, params)
    _print_tokens(s)
    console.print(f"attributes: {s['attributes']}\ntokenizer:  {s['tokenizer']['path']}")


def _bimix(steps: int, eval_every: int | None = None, preset: str = "tiny", **kw):
    """BiMixParams whose proxies train `steps` steps, evaluated every `eval_every` (default: ten evaluations)."""
    from schemas.config import BiMixParams

    return BiMixParams(proxy=_proxy(preset, steps, eval_every=eval_every or max(1, steps // 10)), **kw)


@app.command()
def mix(
    run: RunOpt,
    method: Annotated[
        str,
        typer.Option(
            help="natural, stratified, temperature, entropy-shannon, entropy-conditional, entropy-joint, "
            "entropy-vne, dsdm: keep the top-scored documents of the whole run (`skillmix attribute` first), or "
            "bimix: proxy runs on --design, the BiMix law fitted to them, its optimal mixture"
        ),
    ] = "entropy-conditional",
    temperature: Annotated[float, typer.Option(help="tau for --method temperature: weights ~ tokens^(1/tau)")] = 2.0,
    select: Annotated[str, typer.Option(help="all, or dsdm: the top-scored documents within each skill")] = "all",
    keep: Annotated[float, typer.Option(help="DsDm: fraction of the tokens kept")] = 0.5,
    target: Annotated[str | None, typer.Option(help="DsDm: the target to select for (default: all targets)")] = None,
    design: Annotated[str, typer.Option(help="BiMix: comma-separated training-free mixtures the proxies train on")] = (
        "stratified,natural,entropy-conditional,entropy-shannon,entropy-joint"
    ),
    holdout: Annotated[str, typer.Option(help="BiMix: design mixture predicted from a fit on the others")] = "natural",
    proxy_steps: Annotated[int, typer.Option(min=1, help="BiMix: steps of each proxy run")] = 300,
    eval_every: Annotated[int, typer.Option(min=1, help="BiMix: steps between the proxies' evaluations")] = 30,
    seeds: Annotated[str, typer.Option(help="BiMix: comma-separated proxy seeds per mixture")] = "0",
    target_steps: Annotated[
        int | None, typer.Option(help="BiMix: steps to optimise for (default: proxy steps)")
    ] = None,
    preset: Annotated[str, typer.Option(help="BiMix: proxy model size")] = "tiny",
) -> None:
    """Weights over RUN's skills (and a DsDm selection of documents) -> RUN/mixture/<fp>/mixture.json."""
    from flows.mix import mix as mix_flow
    from schemas.config import MixParams
    from tasks.common.errors import InputError
    from tasks.mixing import stage as mixing_stage

    try:
        seed_list = tuple(int(s) for s in seeds.split(","))
    except ValueError:
        _fail(f"invalid mix option: --seeds {seeds!r}: comma-separated integers")

    def build() -> MixParams:
        bimix = _bimix(proxy_steps, eval_every, preset, design=tuple(d.strip() for d in design.split(",") if d.strip()),
                       holdout=holdout, seeds=seed_list, target_steps=target_steps)  # fmt: skip
        return MixParams(method=method, temperature=temperature, select=select, keep=keep, target=target, bimix=bimix)

    params = _validated("mix", build)
    if params.selects:
        try:  # before a server starts: is there an attribution of these tokens?
            t, _, _ = mixing_stage.inputs(run)
            mixing_stage.attribution_for(run, t)
        except InputError as e:
            _fail(str(e))
    _local_api(None)
    doc = _with_progress(run, ["proxies"] if method == "bimix" else [], mix_flow, run, params)
    _print_mixture(doc)


@app.command()
def emit(
    run: RunOpt,
    seq_len: Annotated[int, typer.Option(help="training sequence length (MDS samples)")] = 1024,
    token_budget: Annotated[int | None, typer.Option(help="tokens to draw in all (default: all available)")] = None,
    formats: Annotated[str, typer.Option(help="comma-separated: megatron, mds, flat")] = "megatron,mds,flat",
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Per-skill shards (Megatron .bin/.idx, MDS, flat .bin) and manifest.json -> RUN/shards/<fp>/."""
    from flows.emit import emit as emit_flow
    from flows.runtime import task_runner
    from schemas.config import EmitParams

    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    params = _validated("emit", lambda: EmitParams(seq_len=seq_len, token_budget=token_budget, formats=fmts))
    _local_api(dask_address)
    uri = _run_flow(emit_flow.with_options(task_runner=task_runner(dask_address, workers)), run, params)
    _print_manifest(uri)
    console.print(f"manifest: {uri}\ncheck it:  skillmix verify {uri}")


@app.command()
def verify(manifest: Annotated[str, typer.Argument(help="a manifest.json written by `skillmix emit`")]) -> None:
    """Recompute every shard's sha256, token and document counts; exit 1 naming the first mismatch."""
    from tasks.shards.verify import VerifyError
    from tasks.shards.verify import verify as verify_manifest

    try:
        out = verify_manifest(manifest)
    except VerifyError as e:
        _fail(str(e), code=1)
    per_format = ", ".join(f"{f} {n:,}" for f, n in out["tokens"].items())
    console.print(f"[green]ok[/]: {out['skills']} skills, {out['shards']} shards, {out['files']} files, tokens "
                  f"({per_format}) match {escape(manifest)}")  # fmt: skip


@app.command()
def run(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP)],
    run: RunOpt,
    source_field: Annotated[str, typer.Option(help="field with the source/domain label ('' = file name)")] = "source",
    k: Annotated[str, typer.Option("--k", help="number of skills or 'auto'")] = "auto",
    mixture: Annotated[
        str, typer.Option(help="mixture method (see `skillmix mix --help`); bimix trains proxy runs first")
    ] = "entropy-conditional",
    proxy_steps: Annotated[int, typer.Option(min=1, help="--mixture bimix: steps of each proxy run")] = 300,
    seq_len: Annotated[int, typer.Option(help="training sequence length")] = 1024,
    against: Annotated[str | None, typer.Option(help="an earlier run: drop what duplicates its kept documents")] = None,
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """The whole curate flow: ingest -> dedup -> skills -> tokens -> mix -> emit, ending in a verified manifest."""
    from schemas.config import EmitParams, IngestParams, MixParams, PipelineParams, SkillsParams
    from tasks.common import io
    from tasks.common.errors import InputError

    if k != "auto" and not k.isdigit():
        _fail(f"invalid skills option: --k {k!r}: give a whole number of skills or 'auto'")
    params = _validated("run", lambda: PipelineParams(
        ingest=IngestParams(source_field=source_field or None), skills=SkillsParams(k=None if k == "auto" else int(k)),
        mix=MixParams(method=mixture, bimix=_bimix(proxy_steps)), emit=EmitParams(seq_len=seq_len)))  # fmt: skip
    try:
        io.discover(inputs)
    except InputError as e:
        _fail(str(e))
    _local_api(dask_address)
    _curate_and_report(run, inputs, params, dask_address, workers, against)


def _curate_and_report(run: str, inputs: list[str], params, dask_address, workers, against=None) -> dict:
    from flows.curate import curate
    from tasks.shards.verify import VerifyError
    from tasks.shards.verify import verify as verify_manifest

    stages = list(CURATE_STAGES) + (["proxies"] if params.mix.method == "bimix" else [])
    summaries = _with_progress(run, stages, curate, inputs, run, params, dask_address, workers, against)
    _print_ingest(summaries["ingest"])
    _print_dedup(summaries["dedup"])
    _print_skills(summaries["skills"])
    _print_tokens(summaries["tokens"])
    _print_mixture(summaries["mix"])
    _print_manifest(summaries["manifest"])
    try:
        checked = verify_manifest(summaries["manifest"])
    except VerifyError as e:
        _fail(f"the manifest just written does not verify: {e}", code=1)
    per_format = ", ".join(f"{f} {n:,}" for f, n in checked["tokens"].items())
    console.print(f"[green]verified[/]: {checked['shards']} shards, tokens {per_format} "
                  f"(skillmix verify {summaries['manifest']})")  # fmt: skip
    console.print(f"report: {summaries['report']}")
    return summaries


@app.command()
def report(run: RunOpt) -> None:
    """RUN/report/report.html: one self-contained page of every stage's counts and figures, the mixtures, the law
    fits and the manifest's token budget; the same sections as a Prefect Markdown artifact (`run-report`)."""
    from flows.report import report as report_flow
    from tasks.common.errors import InputError
    from tasks.report import stage

    try:
        stage.check(run)  # before a server starts
    except InputError as e:
        _fail(str(e))
    _local_api(None)
    out = _run_flow(report_flow, run)
    missing = [k for k, present in out["sections"].items() if not present]
    console.print(f"report: {out['html']} (+ {out['markdown'].rsplit('/', 1)[-1]})")
    if missing:
        console.print(f"sections not run yet: {', '.join(missing)} (the page names the command for each)")


@app.command("sample-corpus")
def sample_corpus(
    out: Annotated[str, typer.Argument(help="output .jsonl or .jsonl.gz file (a directory gets sample-corpus.jsonl)")],
    max_mb: Annotated[float, typer.Option(help="cap on total text, MB")] = 24.0,
    chunk_chars: Annotated[int, typer.Option(help="long sources are cut into chunks of about this many chars")] = 6000,
) -> None:
    """Build the offline sample corpus from text this Python installation carries (code, docs, READMEs, licences)."""
    from schemas.config import SampleCorpusParams
    from tasks.common import io
    from tasks.sample import corpus

    if Path(out).is_dir():
        out = str(Path(out) / "sample-corpus.jsonl")
    params = SampleCorpusParams(max_bytes=int(max_mb * (1 << 20)), chunk_chars=chunk_chars)
    with console.status("collecting stdlib code, docs, package READMEs and licences"):
        recs, changed = corpus.write(out, params)
    by_domain: dict[str, int] = {}
    for r in recs:
        by_domain[r["domain"]] = by_domain.get(r["domain"], 0) + 1
    size = len(io.read_bytes(out))
    note = "written" if changed else "unchanged (identical file already there)"
    console.print(f"{out}: {len(recs):,} documents, {size / 1e6:.1f} MB, {note}")
    console.print("domains: " + ", ".join(f"{k} {v:,}" for k, v in by_domain.items()))


@app.command()
def ingest(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP)],
    run: RunOpt,
    text_field: Annotated[str, typer.Option(help="field with the text (a.b for nested)")] = "text",
    id_field: Annotated[str, typer.Option(help="field with a unique id ('' = always hash)")] = "id",
    source_field: Annotated[str, typer.Option(help="field with the source/domain label ('' = file name)")] = "source",
    max_doc_mb: Annotated[float, typer.Option(help="reject texts larger than this, MB")] = 8.0,
    partition_mb: Annotated[float, typer.Option(help="target text MB per documents partition")] = 64.0,
    max_reject_fraction: Annotated[float, typer.Option(help="fail when more records than this are rejected")] = 0.5,
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Read raw files into RUN/documents/ (parquet) and RUN/rejected/ (one reason per bad record)."""
    from schemas.config import IngestParams

    options = dict(
        text_field=text_field, id_field=id_field, source_field=source_field,
        max_doc_bytes=int(max_doc_mb * (1 << 20)), partition_bytes=int(partition_mb * (1 << 20)),
        max_reject_fraction=max_reject_fraction,
    )  # fmt: skip
    params = _validated("ingest", lambda: IngestParams(**{k: (None if v == "" else v) for k, v in options.items()}))
    from flows.ingest import ingest as ingest_flow
    from flows.runtime import task_runner
    from tasks.common import io
    from tasks.common.errors import InputError

    try:
        io.discover(inputs)  # fail before starting Prefect or Dask on a typo'd path or unknown format
    except InputError as e:
        _fail(str(e))
    _local_api(dask_address)
    flow = ingest_flow.with_options(task_runner=task_runner(dask_address, workers))
    result = _with_progress(run, ["ingest"], flow, inputs, run, params)
    _print_ingest(result.summary)
    console.print(f"documents: {result.documents.uri}\nrejected:  {result.rejected.uri}")
    console.print(f"summary:   {run.rstrip('/')}/report/ingest/summary.json (+ ingest.png)")


@app.command()
def demo(
    run: Annotated[str, typer.Option("--run", help="run directory")] = "runs/demo",
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """The main job: the sample corpus through every stage to a verified manifest; prints where the results are."""
    from schemas.config import IngestParams, PipelineParams, SampleCorpusParams
    from tasks.common import io
    from tasks.sample import corpus

    start = time.monotonic()
    corpus_uri = io.join(run, "input", "sample-corpus.jsonl")
    with console.status("building the sample corpus from this Python installation"):
        recs, _ = corpus.write(corpus_uri, SampleCorpusParams())
    console.print(f"[bold]sample corpus[/]: {len(recs):,} documents -> {corpus_uri}")
    params = PipelineParams(ingest=IngestParams(source_field="domain"))
    _local_api(dask_address)
    summaries = _curate_and_report(run, [corpus_uri], params, dask_address, workers)
    console.rule("results")
    s = summaries["ingest"]
    rows = [("documents", s["documents"]), ("rejected", s["rejected_uri"]),
            ("dedup", summaries["dedup"]["attributes"]), ("skills", summaries["skills"]["attributes"]),
            ("tokens", summaries["tokens"]["attributes"]), ("manifest", summaries["manifest"]),
            ("run report", summaries["report"])]  # fmt: skip
    rows += [(f"{stage} report", io.join(run, "report", stage, f"summary.json (+ {stage}.png)"))
             for stage in ("ingest", "dedup")]  # fmt: skip
    rows += [("skills report", io.join(run, "report", "skills", "summary.json (+ skills.json, skills_map.png, "
                                                                "skill_sizes.png, skills_vs_label.png)"))]  # fmt: skip
    for name, uri in rows:
        console.print(f"{name:>14}: {uri}")
    console.print(f"demo finished in {time.monotonic() - start:.0f} s")


app.command()(train_cli.train)
app.command()(train_cli.proxies)
app.command("skills-graph")(train_cli.skills_graph)
app.command()(train_cli.attribute)
app.command("attribute-skills")(train_cli.attribute_skills)


def main() -> None:  # pragma: no cover
    sys.exit(app())
