"""The mix flow on copies of the tiny curated run: BiMix (proxies on the design mixtures, the law fitted to their
curves, its optimum written as a mixture that emit packs; a rerun trains nothing), the curate flow with
--mixture bimix end to end, and DsDm selections (the top-scored documents under a token budget, globally with
method dsdm or within skills in the combined mode) with real attribution scores."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.attribution import attribution
from flows.emit import emit
from flows.mix import mix
from schemas.config import AttributionParams, BiMixParams, EmitParams, LawParams, MixParams, TrainParams
from tasks.common import catalog
from tasks.common.errors import InputError
from tasks.emit.verify import verify
from tests.flows import pipeline

pytestmark = pytest.mark.usefixtures("prefect_harness")
PROXY = TrainParams(steps=40, eval_every=5, batch_size=4, seq_len=16, warmup=2)
BIMIX = MixParams(method="bimix", bimix=BiMixParams(proxy=PROXY, design=("stratified", "natural",
                                                                         "entropy-conditional")))  # fmt: skip
LAW = MixParams(method="law", law=LawParams(runs=6, rounds=2, folds=3, proxy=PROXY))
SCORING = AttributionParams(proxy=TrainParams(steps=4, batch_size=4, seq_len=16, warmup=1), models=2)
THREADS = ThreadPoolTaskRunner(max_workers=2)


def _mix(run, params, **kw):
    """The mix flow on the run's latest tokens (and attribution for a selection, manifest for BiMix)."""
    run = str(run)
    tokens = catalog.latest(run, "tokens")
    attribution_ = catalog.latest(run, "attribution") if params.selects else None
    manifest = catalog.latest(run, "emit") if params.method in ("bimix", "law") else None
    return catalog.summary(mix(run, tokens, params, attribution_, manifest, **kw))


def _emit(run, params):
    return emit.with_options(task_runner=THREADS)(str(run), catalog.latest(str(run), "mix"), params)


def test_bimix_fits_the_design_proxies_and_writes_its_optimum(built, tmp_path):
    run = pipeline.own_copy(built, tmp_path)
    doc = _mix(run, BIMIX)
    k = len(doc.skills)
    w = np.array(doc.weights)
    assert doc.method == "bimix" and w.sum() == pytest.approx(1.0) and (w > 0).all()
    law = doc.law
    assert set(law.design) == {"stratified", "natural", "entropy-conditional"} and len(law.proxies) == 3
    assert law.holdout.fitted_on == ["stratified", "entropy-conditional"]
    assert np.isfinite(law.holdout.mape) and len(law.r2_log_loss) == k
    assert law.design["natural"].final_step == 40 and law.target_steps == 40
    # the optimum is the law's, within the shares the design tried: no design mixture is predicted lower
    assert law.predicted_mean["bimix"] <= min(v for n, v in law.predicted_mean.items() if n != "bimix")
    assert (w >= np.array(law.bounds.lower) - 1e-9).all() and (w <= np.array(law.bounds.upper) + 1e-9).all()
    for s in doc.skills:
        assert s.bimix.A == 1.0 and 0 < s.bimix.alpha <= 2 and s.bimix.C > 0
    assert (run / "report" / "mix" / "bimix.png").read_bytes()[:4] == b"\x89PNG"
    ref = catalog.latest(str(run), "mix")
    assert [p.fingerprint for p in ref.proxies] == [p.fingerprint for p in law.proxies]  # the runs it read
    runs = sorted((run / "proxies" / "runs").iterdir())
    assert _mix(run, BIMIX) == doc and sorted((run / "proxies" / "runs").iterdir()) == runs  # nothing retrained
    out = _emit(run, EmitParams(seq_len=8, shard_tokens=1024, formats=("flat",)))
    m = json.loads(Path(out.manifest).read_text())
    assert [s["weight"] for s in m["skills"]] == pytest.approx(doc.weights) and verify(out.manifest).skills == k


def test_the_law_trains_its_swarm_in_rounds_then_proposes_within_the_caps_and_a_rerun_trains_nothing(built, tmp_path):
    run = pipeline.own_copy(built, tmp_path)
    target = tmp_path / "code.jsonl"
    target.write_text("".join(json.dumps({"text": f"def f{i}(x):\n    return x * {i}\n"}) + "\n" for i in range(6)))
    doc = _mix(run, LAW, targets=[str(target)])
    s, k = doc.swarm, len(doc.skills)
    w = np.array(doc.weights)
    assert doc.method == "law" and w.sum() == pytest.approx(1.0) and s.runs == 9
    assert s.rounds == [{"round": "r1", "runs": 6}, {"round": "r2", "runs": 3}]
    assert (w <= np.array(s.constraints["caps"]) + 1e-6).all() and s.objective_metrics == [
        f"skill_{j:02d}_val_loss" for j in range(k)]  # fmt: skip
    assert set(s.cv_mean) >= {"linear", "lightgbm"} and s.how in ("exact", "search")
    out = Path(catalog.latest(str(run), "mix").mixture_json).parent / "swarm"
    ratios, metrics = (out / "ratios.csv").read_text().splitlines(), (out / "metrics.csv").read_text().splitlines()
    assert len(ratios) == len(metrics) == 10 and metrics[0].split(",")[-1] == "target_code_loss"
    assert len(metrics[0].split(",")) == 1 + k + 1 and (run / "report" / "mix" / "law.png").exists()
    runs = sorted((run / "proxies" / "runs").iterdir())
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert _mix(run, LAW, targets=[str(target)]) == doc  # nothing retrained, the same outputs
    assert (
        sorted((run / "proxies" / "runs").iterdir()) == runs
        and {p.name: p.read_bytes() for p in out.iterdir()} == files
    )
    # the target objective: round 1's runs serve it, with their losses on the target as the metric
    target_law = LAW.model_copy(update={"law": LAW.law.model_copy(update={"objective": "target", "rounds": 1})})
    doc_t = _mix(run, target_law, targets=[str(target)])
    assert doc_t.swarm.objective_metrics == ["target_code_loss"] and doc_t.swarm.runs == 6
    assert sorted((run / "proxies" / "runs").iterdir()) == runs


def test_curate_with_bimix_trains_proxies_on_a_natural_manifest_then_emits_the_laws_optimum(tmp_path):
    out = pipeline.run_pipeline(tmp_path, "run", pipeline.PARAMS.model_copy(update={"mix": BIMIX}))
    doc = catalog.summary(out.manifest.mixture)
    assert doc.method == "bimix" and len(doc.law.proxies) == 3
    m = json.loads(Path(out.manifest.manifest).read_text())
    assert [s["weight"] for s in m["skills"]] == pytest.approx(doc.weights)
    assert m["mixture"]["fingerprint"] == doc.fingerprint and out.verified.skills == len(doc.skills)
    base = json.loads(Path(doc.provenance.manifest).read_text())  # what the proxies trained on
    assert base["mixture"]["method"] == "natural" and Path(doc.provenance.manifest) != Path(out.manifest.manifest)
    tokens = np.array([s.tokens for s in doc.skills], np.float64)
    assert [s["skill"] for s in base["skills"]] == list(range(len(tokens)))
    assert [s["weight"] for s in base["skills"]] == pytest.approx(list(tokens / tokens.sum()))  # natural


@pytest.fixture
def scored(built, tmp_path):
    """A copy of the built run with attribution scores towards code."""
    run = pipeline.own_copy(built, tmp_path)
    target = tmp_path / "code.jsonl"
    target.write_text("\n".join(json.dumps({"text": t}) for t in ("def main():\n    return 0\n", "import os\n")))
    ref = attribution(str(run), catalog.latest(str(run), "tokens"), [str(target)], SCORING)
    return run, ref, target


def _documents(run):
    tokens = catalog.latest(str(run), "tokens")
    t = pa.concat_tables(pq.read_table(p.uri, columns=["doc_id", "skill", "n_tokens"])
                         for p in tokens.attributes.partitions if p.num_rows)  # fmt: skip
    return t.to_pydict()


def test_dsdm_keeps_the_top_scores_under_the_budget_and_emit_packs_exactly_them(scored):
    run, ref, _ = scored
    doc = _mix(run, MixParams(method="dsdm", keep=0.5))
    sel = doc.selection
    docs = _documents(run)
    ntok = dict(zip(docs["doc_id"], docs["n_tokens"], strict=True))
    budget = int(0.5 * sum(docs["n_tokens"]))
    assert sel.scope == "global" and sel.tokens_scored == sum(docs["n_tokens"]) and sel.tokens <= budget
    scores = pq.read_table(ref.scores.partitions[0].uri).to_pydict()
    score = dict(zip(scores["doc_id"], scores["score"], strict=True))
    kept = pq.read_table(catalog.selection(str(run), doc.fingerprint)).to_pydict()
    assert len(kept["doc_id"]) == sel.documents == sum(k.documents for k in doc.skills)
    assert sum(kept["n_tokens"]) == sel.tokens == sum(k.tokens for k in doc.skills)
    assert kept["score"] == [score[d] for d in kept["doc_id"]]
    floor = min(kept["score"])  # greedy: a better document left out is one that did not fit what was left
    for d, x in score.items():
        if d not in set(kept["doc_id"]) and x > floor:
            assert ntok[d] > budget - sel.tokens
    w = np.array(doc.weights)
    assert w.sum() == pytest.approx(1.0)
    assert w == pytest.approx([k.tokens / sel.tokens for k in doc.skills])
    out = _emit(run, EmitParams(seq_len=8, shard_tokens=1024, formats=("flat", "megatron")))
    m = json.loads(Path(out.manifest).read_text())
    assert verify(out.manifest).skills == len(m["skills"])
    for k in m["skills"]:
        chosen = doc.skills[k["skill"]]
        flat = sum(x["tokens"] for x in k["shards"] if x["format"] == "flat")
        assert k["tokens_available"] == flat == chosen.tokens and k["documents"] == chosen.documents


def test_combined_mode_keeps_the_method_weights_and_the_best_of_every_skill(scored):
    run, _, _ = scored
    doc = _mix(run, MixParams(method="stratified", select="dsdm", keep=0.3))
    k = len(doc.skills)
    assert doc.weights == pytest.approx([1 / k] * k) and doc.selection.scope == "within skills"
    kept = pq.read_table(catalog.selection(str(run), doc.fingerprint)).to_pydict()
    for s in doc.skills:
        mine = [t for t, g in zip(kept["n_tokens"], kept["skill"], strict=True) if g == s.skill]
        assert 1 <= len(mine) == s.documents and sum(mine) == s.tokens <= s.tokens_scored
        assert s.tokens <= max(0.3 * s.tokens_scored, max(mine))


def test_bimix_in_the_combined_mode_keeps_the_laws_weights_and_selects_within_skills(scored):
    run, _, _ = scored
    law = _mix(run, BIMIX)
    both = _mix(run, BIMIX.model_copy(update={"select": "dsdm", "keep": 0.3}))
    assert both.fingerprint != law.fingerprint and both.weights == law.weights
    assert both.law.proxies == law.law.proxies  # the same proxy runs, read from their cache
    assert both.selection.scope == "within skills" and both.provenance.attribution
    kept = pq.read_table(catalog.selection(str(run), both.fingerprint)).to_pydict()
    assert sum(kept["n_tokens"]) == both.selection.tokens == sum(s.tokens for s in both.skills)
    for s in both.skills:
        mine = [t for t, g in zip(kept["n_tokens"], kept["skill"], strict=True) if g == s.skill]
        assert len(mine) >= 1 and s.tokens <= max(0.3 * s.tokens_scored, max(mine)) and s.bimix


def test_a_global_selection_may_drop_a_skill_and_emit_leaves_it_out(scored):
    run, ref, _ = scored
    part = Path(ref.scores.partitions[0].uri)
    docs = _documents(run)
    skill = dict(zip(docs["doc_id"], docs["skill"], strict=True))
    t = pq.read_table(part)  # plant scores: skill 0's documents best, then skill 1's, then skill 2's
    planted = [-float(skill[d]) for d in t["doc_id"].to_pylist()]
    pq.write_table(t.set_column(2, "score", pa.array(planted, pa.float64())), part)
    tokens0 = sum(n for n, g in zip(docs["n_tokens"], docs["skill"], strict=True) if g == 0)
    doc = _mix(run, MixParams(method="dsdm", keep=tokens0 / sum(docs["n_tokens"]) + 1e-9))
    assert [x.tokens > 0 for x in doc.skills] == [True, False, False]
    assert doc.weights == [1.0, 0.0, 0.0]
    out = _emit(run, EmitParams(seq_len=8, shard_tokens=1024, formats=("flat",)))
    m = json.loads(Path(out.manifest).read_text())
    assert [k["skill"] for k in m["skills"]] == [0] and m["skills"][0]["tokens_available"] == tokens0
    assert verify(out.manifest).skills == 1


def test_selection_needs_every_document_scored_and_a_known_target(scored):
    run, _, target = scored
    with pytest.raises(InputError, match="target 'qa' not attributed; there are code"):
        _mix(run, MixParams(method="dsdm", target="qa"))
    attribution(str(run), catalog.latest(str(run), "tokens"), [str(target)], SCORING.model_copy(
        update={"max_docs": 5}))  # fmt: skip
    with pytest.raises(InputError, match=r"scored 5 of \d+ documents \(--max-docs\)"):
        _mix(run, MixParams(method="dsdm"))


def test_a_selection_without_scores_names_the_command_to_run(built, tmp_path):
    run = pipeline.own_copy(built, tmp_path)
    with pytest.raises(InputError, match=r"attribution: no committed output; run `skillmix attribution --run .* "
                       "--targets"):  # fmt: skip
        _mix(run, MixParams(method="entropy-conditional", select="dsdm"))
