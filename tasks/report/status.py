"""`skillmix status`: what is in a run, read from the run catalog. Reads files, writes nothing.

Per stage: its committed outputs (fingerprint, what they were made from, parameters that differ from the defaults,
their main counts), which one is latest, and directories a crash left uncommitted. Then what a rerun of the curate
flow with the latest parameters would recompute: a stage whose latest output is not committed resumes it; a stage
whose latest output was made from something other than its upstream's latest (or whose input files changed) is
recomputed under a new fingerprint, and so is everything after it. Stages whose fingerprint does not change are
read back, not recomputed.
"""

from __future__ import annotations

from pydantic import BaseModel

from schemas.config import EmitParams
from schemas.status import CommittedOutput, RunStatus, StageStatus, Uncommitted
from tasks.common import catalog, io
from tasks.common.errors import InputError

UNREADABLE = "was written by another version of skillmix"


def short(params: BaseModel) -> str:
    """The parameters that differ from their defaults, as `a.b=value`; `defaults` when none do."""
    diffs = _diff(params.model_dump(mode="json"), type(params)().model_dump(mode="json"))
    return ", ".join(diffs) or "defaults"


def _diff(got: dict, default: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in got.items():
        d = default.get(k)
        if isinstance(v, dict) and isinstance(d, dict):
            out += _diff(v, d, f"{prefix}{k}.")
        elif v != d:
            out.append(f"{prefix}{k}={v}")
    return out


def _described(run: str, stage: str, fp: str) -> tuple[dict, str, str]:
    """(made from, parameters in short, main counts) of a committed output."""
    m = catalog.marker(run, stage, fp)
    made_from = dict(getattr(m, "inputs", {}) or {})
    if stage == "mix":
        doc = catalog.mixture_doc(catalog.mixture_json(run, fp))
        w = doc.weights
        return made_from, short(doc.params), f"{doc.method}: weights {min(w):.3f}-{max(w):.3f} over {len(w)} skills"
    if stage == "emit":
        params = EmitParams.model_validate(io.read_json(catalog.manifest(run, fp))["lineage"]["emit"]["params"])
        return made_from, short(params), f"{m.token_budget:,} tokens in {m.skills} skills"
    if stage == "proxies":
        c = catalog.summary(catalog.ref(run, stage, fp))
        return made_from, f"baseline={c.baseline}", f"{len(c.runs)} runs of {c.steps} steps"
    s = m.summary
    params = short(s.params) + (f"; embed: {short(s.embed)}" if stage == "skills" else "")
    facts = {
        "ingest": lambda: f"{s.kept:,} documents kept of {s.records:,} records",
        "dedup": lambda: f"{s.kept:,} kept of {s.documents_in:,} documents",
        "quality": lambda: f"{s.kept:,} kept of {s.documents_in:,} documents, {len(s.params.rules)} rules",
        "skills": lambda: f"{s.k} skills over {s.documents_in:,} documents",
        "tokens": lambda: f"{s.tokens:,} tokens of {s.documents:,} documents",
        "attribution": lambda: f"{s.documents:,} documents x {len(s.targets)} targets",
        "attribution-skills": lambda: f"{len(s.skills)} skills x {len(s.targets)} targets",
    }[stage]()
    return made_from, params, facts


def _uncommitted(run: str, stage: str) -> list[Uncommitted]:
    """Directories of `stage` without a `_SUCCESS`: its output folder's and its work folder's."""
    out = []
    committed = set(catalog.fingerprints(run, stage))
    for d in [*io.glob(catalog.out(run, stage, "*")), *io.glob(catalog.work(run, stage, "*"))]:
        fp = d.rstrip("/").rsplit("/", 1)[-1]
        if fp in committed or fp.startswith("_") or fp == "runs" or not io.isdir(d):
            continue
        parts = len(io.glob(io.join(d, "**", io.MARKER)))
        out.append(Uncommitted(fingerprint=fp, where=d, parts_committed=parts))
    return out


def _inputs_changed(run: str, fp: str) -> list[str]:
    """Input files of an ingest that are gone, new, or of another size or version now (what makes a rerun of it
    a new ingest)."""
    s = catalog.marker(run, "ingest", fp).summary
    try:
        files, _ = io.discover(s.given)
    except InputError as e:
        return [str(e)]
    now = {f.rel: (f.size, f.version) for f in files}
    then = {f.rel: (f.size, f.version) for f in s.inputs}
    return sorted(r for r in then if now.get(r) != then[r]) + sorted(set(now) - set(then))


def stage_status(run: str, stage: str) -> StageStatus:
    latest = catalog.latest_fp(run, stage)
    committed = []
    for fp in catalog.fingerprints(run, stage):
        try:
            made_from, params, facts = _described(run, stage, fp)
        except InputError:  # written by another version of skillmix: reported, not fatal
            made_from, params, facts = {}, "?", UNREADABLE
        committed.append(CommittedOutput(fingerprint=fp, latest=fp == latest, made_from=made_from, params=params,
                                         facts=facts))  # fmt: skip
    uncommitted = _uncommitted(run, stage)
    state, why = _state(run, stage, latest, committed, uncommitted)
    return StageStatus(stage=stage, folder=catalog.folder(run, stage), state=state, why=why, latest=latest,
                       committed=committed, uncommitted=uncommitted)  # fmt: skip


def _state(run: str, stage: str, latest: str | None, committed: list[CommittedOutput],
           uncommitted: list[Uncommitted]) -> tuple[str, str]:  # fmt: skip
    unfinished = f"{len(uncommitted)} started and not committed" if uncommitted else ""
    if latest is None:
        if uncommitted:
            return "interrupted", f"{unfinished}; nothing committed yet"
        return "not run", f"`{catalog.command(stage, run)}` makes it"
    current = next((c for c in committed if c.latest), None)
    if current is None:
        return "interrupted", f"its latest output {latest} is not committed"
    if current.facts == UNREADABLE:
        return "stale", f"its latest output {latest} {UNREADABLE}: rerun the stages into a new run directory"
    upstream = catalog.UPSTREAM.get(stage)
    made = current.made_from.get(upstream)
    if upstream and made != catalog.latest_fp(run, upstream):
        return "stale", f"made from {upstream} {made}; the latest {upstream} is {catalog.latest_fp(run, upstream)}"
    if stage == "ingest" and (changed := _inputs_changed(run, latest)):
        return "stale", f"input files changed since: {', '.join(changed[:3])}"
    why = f"made from {upstream} {made}" if upstream else "from its input files, unchanged"
    return "current", why + (f"; {unfinished} (other parameters)" if unfinished else "")


def status(run: str) -> RunStatus:
    """Every stage's status, and what a rerun of the curate flow with the latest parameters recomputes."""
    if not io.exists(run):
        raise FileNotFoundError(run)
    stages = [stage_status(run, s) for s in catalog.STAGES]
    by = {s.stage: s for s in stages}
    rerun, changed, reasons = [], False, []
    for name in catalog.CHAIN:
        s = by[name]
        if changed:
            rerun.append(name)
        elif s.state in ("not run", "interrupted", "stale"):
            rerun.append(name)
            resumes = s.state == "interrupted" and s.latest is not None
            changed = not resumes  # a resumed stage keeps its fingerprint: what follows it is read back
            reasons.append(f"{name} is {s.state}" + (" (a rerun resumes it)" if resumes else ""))
    why = "; ".join(reasons) or "every stage of the chain is current: a rerun reads everything back"
    if changed and len(rerun) > 1:
        why += f"; {', '.join(rerun[1:])} then get new inputs"
    return RunStatus(run=run, stages=stages, rerun=rerun, rerun_why=why)
