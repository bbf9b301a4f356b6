"""The skills flow on tiny ingested and deduplicated runs, with the bundled MiniLM and the Prefect test server."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.dedup import dedup
from flows.ingest import ingest
from flows.quality import quality
from flows.skills import skills
from schemas.config import DedupParams, EmbedParams, QualityParams, SkillsParams
from tasks.common import catalog
from tasks.common.errors import InputError
from tasks.skills import encoder
from tests.conftest import write_jsonl
from tests.flows.pipeline import TOPICS, corpus

pytestmark = pytest.mark.usefixtures("prefect_harness")
THREADS = ThreadPoolTaskRunner(max_workers=2)


def curate(tmp_path, records, run, **skills_kw):
    """Ingest, dedup and skills of `records` into `run`; the skills summary."""
    src = write_jsonl(tmp_path / f"in-{len(records)}.jsonl", records)
    documents = ingest.with_options(task_runner=THREADS)([str(src)], str(run))
    deduped = dedup.with_options(task_runner=THREADS)(str(run), documents, DedupParams())
    filtered = quality.with_options(task_runner=THREADS)(str(run), deduped, QualityParams())
    return skilled(run, SkillsParams(**skills_kw), filtered)


def skilled(run, params, filtered=None, embed=EmbedParams()):
    filtered = filtered or catalog.latest(str(run), "quality")
    return catalog.summary(skills.with_options(task_runner=THREADS)(str(run), filtered, embed, params))


def skills_table(s):
    return pq.read_table(f"{s.attributes}/part-00000.parquet")


def test_skills_flow_writes_skills_report_and_recovers_planted_topics(tmp_path):
    run = tmp_path / "run"
    s = curate(tmp_path, corpus(12, seed=1), run, k=3)
    assert s.documents_in == 36 and s.counts_add_up and s.k == 3 and sorted(s.sizes) == [12, 12, 12]
    assert s.agreement.field == "source" and s.agreement.nmi == pytest.approx(1.0)
    t = skills_table(s)
    assert t.column_names == ["doc_id", "skill", "distance", "semantic_dup_of"] and t.num_rows == 36
    by_source = {}
    for doc_id, skill in zip(t["doc_id"].to_pylist(), t["skill"].to_pylist(), strict=True):
        by_source.setdefault(doc_id.split("-")[0], set()).add(skill)
    assert all(len(v) == 1 for v in by_source.values())  # each topic is one skill
    described = json.loads((run / "report" / "skills" / "skills.json").read_text())["skills"]
    for entry in described:
        topic = next(iter(k for k, v in by_source.items() if entry["id"] in v))
        assert set(entry["terms"][:3]) <= set(TOPICS[topic]) | {topic}  # its label is its topic's words
        assert len(entry["examples"]) == 3 and entry["examples"][0]["doc_id"].startswith(topic)
        assert len(entry["centroid"]) == 384
    for png in ("skills_map.png", "skill_sizes.png", "skills_vs_label.png"):
        assert (run / "report" / "skills" / png).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((run / "report" / "skills" / "summary.json").read_text()) == s.model_dump(mode="json")


def test_same_seed_same_skills_and_a_rerun_recomputes_nothing(tmp_path):
    a = curate(tmp_path, corpus(8, seed=2), tmp_path / "a", seed=5)
    b = curate(tmp_path, corpus(8, seed=2), tmp_path / "b", seed=5)
    assert skills_table(a).equals(skills_table(b)) and a.k_silhouette == b.k_silhouette
    again = skilled(tmp_path / "a", SkillsParams(seed=5))
    assert again == a  # committed: loaded, not recomputed
    other_k = skilled(tmp_path / "a", SkillsParams(k=2))
    assert other_k.embedded == 0 and other_k.reused == 24  # a new k embeds nothing


def test_new_merge_settings_embed_nothing_and_skills_json_keeps_the_fine_clusters_and_tree(tmp_path):
    run = tmp_path / "run"
    first = curate(tmp_path, corpus(10, seed=4), run)  # defaults: fine clusters merged, k at the largest gap
    assert first.method == "merge" and first.embedded == 30 and first.fine_k == 30 and first.k_gap  # min(n, 2 x 16)
    doc = json.loads((run / "attributes" / "skills" / first.fingerprint / "skills.json").read_text())
    assert len(doc["fine"]) == 30 and len(doc["tree"]) == 29 and sum(f["documents"] for f in doc["fine"]) == 30
    assert {f["skill"] for f in doc["fine"]} == set(range(first.k))
    assert (run / "report" / "skills" / "skills_tree.png").read_bytes()[:4] == b"\x89PNG"
    for params in (SkillsParams(k=3, fine_k=12), SkillsParams(k=3, format_weight=0.5, lexical_weight=1.0)):
        again = skilled(run, params)
        assert again.embedded == 0 and again.reused == 30 and again.counts_add_up and again.k == 3
        assert again.agreement.nmi == pytest.approx(1.0)  # the three planted topics


def test_a_grown_corpus_embeds_only_the_new_documents(tmp_path):
    run = tmp_path / "run"
    first = curate(tmp_path, corpus(6, seed=3), run, k=3)
    assert first.embedded == 18 and first.reused == 0
    old = pq.read_table(f"{first.embeddings}/part-00000/embeddings.parquet")
    grown = curate(tmp_path, corpus(6, seed=3) + corpus(4, seed=9, start=100), run, k=3)
    assert grown.documents_in == 30 and grown.embedded == 12 and grown.reused == 18
    new = pq.read_table(f"{grown.embeddings}/part-00000/embeddings.parquet")
    ids = new["doc_id"].to_pylist()
    rows = [ids.index(d) for d in old["doc_id"].to_pylist()]
    assert new.take(rows)["embedding"].equals(old["embedding"])  # reused as they were


def test_group_by_gives_exactly_the_fields_groups(tmp_path):
    records = corpus(5, seed=4)
    s = curate(tmp_path, records, tmp_path / "run", group_by="source")
    described = json.loads((tmp_path / "run" / "report" / "skills" / "skills.json").read_text())["skills"]
    assert [k["label"] for k in described] == sorted(TOPICS) and s.method == "group_by"
    t = skills_table(s).to_pydict()
    names = [k["label"] for k in described]
    assert all(d.split("-")[0] == names[k] for d, k in zip(t["doc_id"], t["skill"], strict=True))
    by_meta = skilled(tmp_path / "run", SkillsParams(group_by="lang"))
    assert by_meta.sizes == [sum(r["lang"] == "de" for r in records), sum(r["lang"] == "en" for r in records)]
    with pytest.raises(InputError, match="--group-by colour: no kept document has this field; .*meta keys: lang"):
        skilled(tmp_path / "run", SkillsParams(group_by="colour"))


def test_semdedup_matches_a_brute_force_check_within_skills(tmp_path):
    records = corpus(6, seed=6)
    words = records[0]["text"].split()  # reversed: no shared 5-gram for MinHash, nearly the same embedding
    records.append({"id": "kitchen-reversed", "text": " ".join(reversed(words)), "source": "kitchen"})
    eps = 0.05
    s = curate(tmp_path, records, tmp_path / "run", k=3, semdedup_eps=eps)
    t = skills_table(s).to_pydict()
    e = pq.read_table(f"{s.embeddings}/part-00000/embeddings.parquet")
    x = np.stack(e["embedding"].to_numpy(zero_copy_only=False))
    assert e["doc_id"].to_pylist() == t["doc_id"]
    for j, (skill, dup_of) in enumerate(zip(t["skill"], t["semantic_dup_of"], strict=True)):
        earlier = [i for i in range(j) if t["skill"][i] == skill and x[i] @ x[j] >= 1 - eps]
        assert dup_of == (t["doc_id"][earlier[0]] if earlier else None)  # the first earlier one, same skill
    assert t["semantic_dup_of"][t["doc_id"].index("kitchen-reversed")] == records[0]["id"]
    dropped = sum(d is not None for d in t["semantic_dup_of"])
    assert s.semdedup.model_dump() == {"eps": eps, "dropped": dropped, "kept": s.documents_in - dropped}


def test_a_missing_model_is_named_before_any_work(tmp_path):
    run = tmp_path / "run"
    curate(tmp_path, corpus(2, seed=7), run, k=2)
    with pytest.raises(encoder.ModelNotFoundError, match="'/no/such/model' is not a local sentence-transformers"):
        skilled(run, SkillsParams(k=2), embed=EmbedParams(model="/no/such/model"))


def test_skills_before_quality_names_the_missing_step(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", corpus(2, seed=8))
    ingest.with_options(task_runner=THREADS)([str(src)], str(tmp_path / "run"))
    with pytest.raises(InputError, match="quality: no committed output; run `skillmix quality --run"):
        skilled(tmp_path / "run", SkillsParams())


def test_embeddings_are_normalised_and_word_pieces_counted(tmp_path):
    s = curate(tmp_path, corpus(2, seed=10), tmp_path / "run", k=2)
    t = pq.read_table(f"{s.embeddings}/part-00000/embeddings.parquet")
    x = np.stack(t["embedding"].to_numpy(zero_copy_only=False))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert (t["tokens"].to_numpy() > 40).all()  # 40 words and a note, plus [CLS] and [SEP]
