"""Attribution on a copy of the tiny curated run: one score per kept document and target, committed and reused;
group-level datamodels per skill."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from flows.attribution import attribution, attribution_skills
from schemas.config import AttributionParams, SkillAttributionParams, SurrogateParams, TrainParams
from tasks.attribution import stage
from tasks.common import catalog
from tasks.common.errors import InputError
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
    assert (
        table.column_names == ["doc_id", "target", "score", "scored_by"]
        and np.isfinite(table["score"].to_numpy()).all()
    )
    assert sorted(set(table["target"].to_pylist())) == ["code", "qa"] and set(table["scored_by"].to_pylist()) == {
        "trak"
    }
    assert s.surrogate is None and "surrogate" not in s.params.model_dump()
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


SAMPLED = PARAMS.model_copy(update={"surrogate": SurrogateParams(sample=60, candidates=("ridge", "mlp"))})


def test_a_trak_sample_and_a_surrogate_score_every_kept_document_once_and_a_rerun_trains_nothing(built, tmp_path):
    run = own_copy(built, tmp_path)
    tokens = catalog.latest(str(run), "tokens")
    files = [_targets(tmp_path / "code.jsonl", [{"text": "def main():\n    return 0\n"}, {"text": "import os\n"}])]
    ref = attribution(str(run), tokens, files, SAMPLED)
    s = catalog.summary(ref)
    kept = tokens.attributes.num_rows
    table = pq.read_table(ref.scores.partitions[0].uri).to_pydict()
    assert len(table["doc_id"]) == len(set(table["doc_id"])) == kept == s.documents  # exactly one score each
    assert Counter(table["scored_by"]) == {"trak": 60, "surrogate": kept - 60} == s.surrogate.scored_by
    assert np.isfinite(table["score"]).all()
    sample = np.load(f"{ref.uri}/halves.npz")["sample"]
    assert len(sample) == 60 and {table["doc_id"][i] for i in sample} == {
        d for d, b in zip(table["doc_id"], table["scored_by"], strict=True) if b == "trak"
    }
    (t,) = s.surrogate.targets
    assert t.target == "code" and t.chosen in ("ridge", "mlp") and set(t.candidates) == {"ridge", "mlp"}
    assert t.weak == (t.rho is None or t.rho < 0.3) and s.surrogate.weak == t.weak
    assert (
        set(s.surrogate.seconds) == {"trak", "features", "fit", "predict"}
        and s.surrogate.docs_per_second["predict"] > 0
    )
    assert (run / "report" / "attribution" / "surrogate.png").read_bytes()[:4] == b"\x89PNG"
    before = (run / "attributes" / "attribution" / s.fingerprint / "part-00000.parquet").stat().st_mtime_ns
    assert attribution(str(run), tokens, files, SAMPLED) == ref  # read back: no proxy trains again
    assert (run / "attributes" / "attribution" / s.fingerprint / "part-00000.parquet").stat().st_mtime_ns == before
    assert s.fingerprint != PARAMS.fingerprint(tokens.fingerprint)


def test_a_sample_larger_than_the_corpus_or_a_run_without_embeddings_fails_before_training(built, tmp_path):
    run = own_copy(built, tmp_path)
    tokens = catalog.latest(str(run), "tokens")
    files = [_targets(tmp_path / "code.jsonl", [{"text": "def main():\n    return 0\n"}])]
    kept = tokens.attributes.num_rows
    too_many = PARAMS.model_copy(update={"surrogate": SurrogateParams(sample=kept + 1)})
    with pytest.raises(InputError, match=f"a TRAK sample of {kept + 1} documents, but {kept} are scored"):
        attribution(str(run), tokens, files, too_many)
    for part in tokens.skills.embeddings.partitions:
        Path(part.uri).unlink()
    with pytest.raises(InputError, match="needs each kept document's embedding.*run `skillmix skills --run"):
        stage.check_sample(tokens, SAMPLED)
    with pytest.raises(InputError, match="run `skillmix skills"):
        attribution(str(run), tokens, files, SAMPLED)
    assert not (run / "work" / "attribution").exists()  # nothing started
