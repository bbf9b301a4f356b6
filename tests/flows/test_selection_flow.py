"""DsDm selection through mix and emit: the top-scored documents under a token budget, globally (method dsdm)
or within skills (the combined mode), on a copy of the tiny curated run with real attribution scores."""

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.attribution import attribution
from flows.emit import emit
from flows.mix import mix
from schemas.config import AttributionParams, EmitParams, MixParams, TrainParams
from tasks.common.errors import InputError
from tasks.shards.verify import verify
from tasks.tokens import stage as tokens_stage
from tests.flows.test_bimix_flow import PARAMS as BIMIX

pytestmark = pytest.mark.usefixtures("prefect_harness")
PARAMS = AttributionParams(proxy=TrainParams(steps=4, batch_size=4, seq_len=16, warmup=1), models=2)


@pytest.fixture
def scored(built, tmp_path):
    """A copy of the built run (the shared one keeps its latest mixture) with attribution scores towards code."""
    run = tmp_path / "run"
    shutil.copytree(built[0] / "run", run)
    target = tmp_path / "code.jsonl"
    target.write_text("\n".join(json.dumps({"text": t}) for t in ("def main():\n    return 0\n", "import os\n")))
    s = attribution(str(run), [str(target)], PARAMS)
    return run, s, target


def _documents(run):
    uri, marker = tokens_stage.latest(str(run))
    t = pa.concat_tables(pq.read_table(f"{uri}/{p['name']}", columns=["doc_id", "skill", "n_tokens"])
                         for p in marker["partitions"] if p["num_rows"])  # fmt: skip
    return t.to_pydict()


def test_dsdm_keeps_the_top_scores_under_the_budget_and_emit_packs_exactly_them(scored):
    run, s, _ = scored
    doc = mix(str(run), MixParams(method="dsdm", keep=0.5))
    sel = doc["selection"]
    docs = _documents(run)
    ntok = dict(zip(docs["doc_id"], docs["n_tokens"], strict=True))
    budget = int(0.5 * sum(docs["n_tokens"]))
    assert sel["scope"] == "global" and sel["tokens_scored"] == sum(docs["n_tokens"]) and sel["tokens"] <= budget
    scores = pq.read_table(run / "attributes" / "attribution" / s["fingerprint"] / "part-00000.parquet").to_pydict()
    score = dict(zip(scores["doc_id"], scores["score"], strict=True))
    kept = pq.read_table(run / "mixture" / doc["fingerprint"] / "selection.parquet").to_pydict()
    assert len(kept["doc_id"]) == sel["documents"] == sum(k["documents"] for k in doc["skills"])
    assert sum(kept["n_tokens"]) == sel["tokens"] == sum(k["tokens"] for k in doc["skills"])
    assert kept["score"] == [score[d] for d in kept["doc_id"]]
    floor = min(kept["score"])  # greedy: a better document left out is one that did not fit what was left
    for d, x in score.items():
        if d not in set(kept["doc_id"]) and x > floor:
            assert ntok[d] > budget - sel["tokens"]
    w = np.array(doc["weights"])
    assert w.sum() == pytest.approx(1.0)
    assert w == pytest.approx([k["tokens"] / sel["tokens"] for k in doc["skills"]])
    out = emit(str(run), EmitParams(seq_len=8, shard_tokens=1024, formats=("flat", "megatron")))
    m = json.loads(Path(out).read_text())
    assert verify(out)["skills"] == len(m["skills"])
    for k in m["skills"]:
        chosen = doc["skills"][k["skill"]]
        flat = sum(x["tokens"] for x in k["shards"] if x["format"] == "flat")
        assert k["tokens_available"] == flat == chosen["tokens"] and k["documents"] == chosen["documents"]


def test_combined_mode_keeps_the_method_weights_and_the_best_of_every_skill(scored):
    run, _, _ = scored
    doc = mix(str(run), MixParams(method="stratified", select="dsdm", keep=0.3))
    k = len(doc["skills"])
    assert doc["weights"] == pytest.approx([1 / k] * k) and doc["selection"]["scope"] == "within skills"
    kept = pq.read_table(run / "mixture" / doc["fingerprint"] / "selection.parquet").to_pydict()
    for s in doc["skills"]:
        mine = [t for t, g in zip(kept["n_tokens"], kept["skill"], strict=True) if g == s["skill"]]
        assert 1 <= len(mine) == s["documents"] and sum(mine) == s["tokens"] <= s["tokens_scored"]
        assert s["tokens"] <= max(0.3 * s["tokens_scored"], max(mine))


def test_bimix_in_the_combined_mode_keeps_the_laws_weights_and_selects_within_skills(scored):
    run, _, _ = scored
    law = mix(str(run), BIMIX)
    both = mix(str(run), BIMIX.model_copy(update={"select": "dsdm", "keep": 0.3}))
    assert both["fingerprint"] != law["fingerprint"] and both["weights"] == law["weights"]
    assert both["law"]["proxies"] == law["law"]["proxies"]  # the same proxy runs, read from their cache
    assert both["selection"]["scope"] == "within skills" and both["provenance"]["attribution"]
    kept = pq.read_table(run / "mixture" / both["fingerprint"] / "selection.parquet").to_pydict()
    assert sum(kept["n_tokens"]) == both["selection"]["tokens"] == sum(s["tokens"] for s in both["skills"])
    for s in both["skills"]:
        mine = [t for t, g in zip(kept["n_tokens"], kept["skill"], strict=True) if g == s["skill"]]
        assert len(mine) >= 1 and s["tokens"] <= max(0.3 * s["tokens_scored"], max(mine)) and "bimix" in s


def test_a_global_selection_may_drop_a_skill_and_emit_leaves_it_out(scored):
    run, s, _ = scored
    part = run / "attributes" / "attribution" / s["fingerprint"] / "part-00000.parquet"
    docs = _documents(run)
    skill = dict(zip(docs["doc_id"], docs["skill"], strict=True))
    t = pq.read_table(part)  # plant scores: skill 0's documents best, then skill 1's, then skill 2's
    planted = [-float(skill[d]) for d in t["doc_id"].to_pylist()]
    pq.write_table(t.set_column(2, "score", pa.array(planted, pa.float64())), part)
    tokens0 = sum(n for n, g in zip(docs["n_tokens"], docs["skill"], strict=True) if g == 0)
    doc = mix(str(run), MixParams(method="dsdm", keep=tokens0 / sum(docs["n_tokens"]) + 1e-9))
    assert [x["tokens"] > 0 for x in doc["skills"]] == [True, False, False]
    assert doc["weights"] == [1.0, 0.0, 0.0]
    out = emit(str(run), EmitParams(seq_len=8, shard_tokens=1024, formats=("flat",)))
    m = json.loads(Path(out).read_text())
    assert [k["skill"] for k in m["skills"]] == [0] and m["skills"][0]["tokens_available"] == tokens0
    assert verify(out)["skills"] == 1


def test_selection_needs_every_document_scored_and_a_known_target(scored):
    run, _, target = scored
    with pytest.raises(InputError, match="target 'qa' not attributed; there are code"):
        mix(str(run), MixParams(method="dsdm", target="qa"))
    attribution(str(run), [str(target)], PARAMS.model_copy(update={"max_docs": 5}))
    with pytest.raises(InputError, match=r"scored 5 of \d+ documents \(--max-docs\)"):
        mix(str(run), MixParams(method="dsdm"))


def test_a_selection_without_scores_names_the_command_to_run(built, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(built[0] / "run", run, ignore=shutil.ignore_patterns("attribution"))
    with pytest.raises(InputError, match=r"no attribution scores; run `skillmix attribute --run .* --targets"):
        mix(str(run), MixParams(method="entropy-conditional", select="dsdm"))
