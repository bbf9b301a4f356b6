"""Attribution on a copy of the tiny curated run: one score per kept document and target, committed and reused;
group-level datamodels per skill."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from flows.attribution import attribution, attribution_skills
from schemas.config import AttributionParams, SkillAttributionParams, TrainParams
from tasks.common import catalog
from tests.flows.pipeline import own_copy

pytestmark = pytest.mark.usefixtures("prefect_harness")
PARAMS = AttributionParams(proxy=TrainParams(steps=4, batch_size=4, seq_len=16, warmup=1), models=2)


def _targets(path, lines):
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return str(path)


def test_every_kept_document_gets_one_score_per_target_and_a_rerun_reads_them(built, tmp_path):
    run = own_copy(built, tmp_path)
    tokens = catalog.latest(str(run), "tokens")
    files = [_targets(tmp_path / "code.jsonl", [{"text": "def main():\n    return 0\n"}, {"text": "import os\n"}]),
             _targets(tmp_path / "other.jsonl", [{"text": "What is a skill? An answer.", "target": "qa"}])]  # fmt: skip
    ref = attribution(str(run), tokens, files, PARAMS)
    s = catalog.summary(ref)
    kept = tokens.attributes.num_rows
    table = pq.read_table(ref.scores.partitions[0].uri)
    assert s.targets == {"code": 2, "qa": 1} and s.documents == ref.documents == kept and table.num_rows == 2 * kept
    assert table.column_names == ["doc_id", "target", "score"] and np.isfinite(table["score"].to_numpy()).all()
    assert sorted(set(table["target"].to_pylist())) == ["code", "qa"]
    assert len(set(table["doc_id"].to_pylist())) == kept
    assert np.load(f"{ref.uri}/halves.npz")["masks"].shape == (2, kept)
    assert (run / "report" / "attribution" / "attribution.png").read_bytes()[:4] == b"\x89PNG"
    assert ref.tokens == tokens and catalog.latest(str(run), "attribution") == ref
    before = (run / "attributes" / "attribution" / s.fingerprint / "part-00000.parquet").stat().st_mtime_ns
    assert attribution(str(run), tokens, files, PARAMS) == ref
    assert (run / "attributes" / "attribution" / s.fingerprint / "part-00000.parquet").stat().st_mtime_ns == before


def test_skill_attribution_gives_every_skill_a_benefit_and_a_rerun_reads_it(built, tmp_path):
    run = own_copy(built, tmp_path)
    tokens = catalog.latest(str(run), "tokens")
    files = [_targets(tmp_path / "code.jsonl", [{"text": "def main():\n    return 0\n"}])]
    params = SkillAttributionParams(proxy=PARAMS.proxy, subsets=4)
    ref = attribution_skills(str(run), tokens, files, params)
    s = catalog.summary(ref)
    k = tokens.skills.k
    assert [x.skill for x in s.skills] == list(range(k)) and all(x.label for x in s.skills)
    assert sum(x.documents for x in s.skills) == tokens.attributes.num_rows
    assert all(np.isfinite(x.benefit["code"]) for x in s.skills)
    assert s.cv_spearman == {"code": None}  # 4 runs are too few for a held-out check, and it says so
    runs = np.load(f"{ref.uri}/runs.npz")
    assert runs["masks"].shape == (4, k) and runs["losses"].shape == (4, 1) and np.isfinite(runs["losses"]).all()
    assert (run / "report" / "attribution-skills" / "skills.png").read_bytes()[:4] == b"\x89PNG"
    before = (run / "attribution-skills" / s.fingerprint / "skills.json").stat().st_mtime_ns
    assert attribution_skills(str(run), tokens, files, params) == ref
    assert (run / "attribution-skills" / s.fingerprint / "skills.json").stat().st_mtime_ns == before
