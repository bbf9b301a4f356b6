"""Attribution on the tiny curated run: one score per kept document and target, committed and reused."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from flows.attribution import attribution
from schemas.config import AttributionParams, TrainParams
from tasks.attribution import stage
from tasks.common.errors import InputError
from tasks.tokens import stage as tokens_stage

pytestmark = pytest.mark.usefixtures("prefect_harness")
PARAMS = AttributionParams(proxy=TrainParams(steps=4, batch_size=4, seq_len=16, warmup=1), models=2)


def _targets(path, lines):
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return str(path)


def test_every_kept_document_gets_one_score_per_target_and_a_rerun_reads_them(built, tmp_path):
    tmp, _ = built
    run = str(tmp / "run")
    files = [_targets(tmp_path / "code.jsonl", [{"text": "def main():\n    return 0\n"}, {"text": "import os\n"}]),
             _targets(tmp_path / "other.jsonl", [{"text": "What is a skill? An answer.", "target": "qa"}])]  # fmt: skip
    s = attribution(run, files, PARAMS)
    _, marker = tokens_stage.latest(run)
    kept = sum(p["num_rows"] for p in marker["partitions"])
    out = tmp / "run" / "attributes" / "attribution" / s["fingerprint"]
    table = pq.read_table(out / "part-00000.parquet")
    assert s["targets"] == {"code": 2, "qa": 1} and s["documents"] == kept and table.num_rows == 2 * kept
    assert table.column_names == ["doc_id", "target", "score"] and np.isfinite(table["score"].to_numpy()).all()
    assert sorted(set(table["target"].to_pylist())) == ["code", "qa"]
    assert len(set(table["doc_id"].to_pylist())) == kept
    assert np.load(out / "halves.npz")["masks"].shape == (2, kept)
    assert (tmp / "run" / "report" / "attribution" / "attribution.png").read_bytes()[:4] == b"\x89PNG"
    before = (out / "part-00000.parquet").stat().st_mtime_ns
    assert attribution(run, files, PARAMS)["fingerprint"] == s["fingerprint"]
    assert (out / "part-00000.parquet").stat().st_mtime_ns == before  # read, not recomputed


def test_bad_target_files_are_named_with_their_line(tmp_path):
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": \n')
    with pytest.raises(InputError, match=r"t.jsonl:2: not JSON"):
        stage.read_targets([str(bad)])
    bad.write_text('{"text": "fine"}\n{"title": "no text"}\n')
    with pytest.raises(InputError, match=r"t.jsonl:2: needs a non-empty 'text'"):
        stage.read_targets([str(bad)])
    with pytest.raises(InputError, match="no such file"):
        stage.read_targets([str(tmp_path / "missing.jsonl")])


def test_rows_score_a_documents_first_tokens_and_never_its_padding():
    r = stage.rows([np.array([5, 6, 7]), np.arange(10, 30)], seq_len=4)
    assert r.x.tolist() == [[5, 6, 7, 0, 0], [10, 11, 12, 13, 14]]
    assert r.y.tolist() == [[6, 7, -100, -100], [11, 12, 13, 14]]


def test_skill_attribution_gives_every_skill_a_benefit_and_a_rerun_reads_it(built, tmp_path):
    from flows.attribution import attribution_skills
    from schemas.config import SkillAttributionParams

    tmp, _ = built
    run = str(tmp / "run")
    files = [_targets(tmp_path / "code.jsonl", [{"text": "def main():\n    return 0\n"}])]
    params = SkillAttributionParams(proxy=PARAMS.proxy, subsets=4)
    s = attribution_skills(run, files, params)
    _, marker = tokens_stage.latest(run)
    k = len(marker["summary"]["skills"])
    assert [x["skill"] for x in s["skills"]] == list(range(k)) and all(x["label"] for x in s["skills"])
    assert sum(x["documents"] for x in s["skills"]) == sum(p["num_rows"] for p in marker["partitions"])
    assert all(np.isfinite(x["benefit"]["code"]) for x in s["skills"])
    assert s["cv_spearman"] == {"code": None}  # 4 runs are too few for a held-out check, and it says so
    out = tmp / "run" / "attribution-skills" / s["fingerprint"]
    runs = np.load(out / "runs.npz")
    assert runs["masks"].shape == (4, k) and runs["losses"].shape == (4, 1) and np.isfinite(runs["losses"]).all()
    assert (tmp / "run" / "report" / "attribution-skills" / "skills.png").read_bytes()[:4] == b"\x89PNG"
    before = (out / "skills.json").stat().st_mtime_ns
    assert attribution_skills(run, files, params) == s
    assert (out / "skills.json").stat().st_mtime_ns == before
