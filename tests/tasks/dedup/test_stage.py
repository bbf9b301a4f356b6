"""The dedup stage over a real ingested run, without Prefect."""

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from schemas.config import DedupParams, IngestParams
from tasks.common import catalog, io, views
from tasks.dedup import planted, stage
from tasks.ingest import stage as ingest_stage
from tests.conftest import write_jsonl

PARAMS = DedupParams()


def ingest(tmp_path, name, texts):
    recs = [{"id": f"{name}-{i}", "text": t} for i, t in enumerate(texts)]
    src = write_jsonl(tmp_path / f"{name}.jsonl", recs)
    params = IngestParams(partition_bytes=16384)  # several partitions
    p = ingest_stage.plan([str(src)], str(tmp_path / name), params)
    ingest_stage.commit(p, [ingest_stage.ingest_file(f, ingest_stage.file_uri(p, 0), params) for f in p.files], params)
    catalog.advance(catalog.ref(p.run, "ingest", p.fingerprint))
    return str(tmp_path / name)


def plan(run, params=PARAMS, against=None):
    prior = catalog.latest(against, "dedup") if against else None
    return stage.plan(run, catalog.latest(run, "ingest"), params, prior)


def dedup(run, params=PARAMS, against=None):
    p = plan(run, params, against)
    refs = [stage.signature_partition(p, k, params) for k in range(len(p.documents.documents.partitions))]
    marker = stage.resolve(p, refs, params)
    catalog.advance(catalog.ref(p.run, "dedup", p.fingerprint))
    return p, marker


def attributes(p) -> pa.Table:
    return pa.concat_tables(
        [io.read_table(r) for r in catalog.ref(p.run, "dedup", p.fingerprint).attributes.partitions]
    )


@pytest.fixture
def planted_run(tmp_path):
    texts, origin = planted.planted(n_base=40, seed=1)
    texts += [texts[0], texts[5]]  # exact copies of a base and of another base
    return ingest(tmp_path, "new", texts), origin


def test_counts_add_up_and_attributes_align_with_documents(planted_run):
    run, _ = planted_run
    p, marker = dedup(run)
    s = marker.summary
    assert s.documents_in == 442 and s.counts_add_up
    assert s.kept + s.dropped == 442 and s.dropped_by_reason["exact_duplicate"] >= 2
    assert len(p.documents.documents.partitions) > 1
    for doc_part, attr in zip(p.documents.documents.partitions, marker.partitions, strict=True):
        ids = io.read_table(doc_part, ["doc_id"])["doc_id"]
        assert io.read_table(io.dataset(p.out, "dedup", [attr.model_dump()]).partitions[0])["doc_id"].equals(ids)
    a = attributes(p).to_pylist()
    by_id = {r["doc_id"]: r for r in a}
    assert by_id["new-440"]["drop_reason"] == "exact_duplicate" and by_id["new-440"]["exact_group"] == "new-0"
    assert all(r["keep"] == (r["drop_reason"] is None) for r in a)
    assert all(by_id[r["near_cluster"]]["keep"] for r in a)  # every cluster keeps its representative
    assert s.bands == 14 and s.rows == 9 and s.datasketch == "2.0.0" and s.scheme == "affine32"


def test_rerun_is_a_no_op(planted_run):
    run, _ = planted_run
    p, marker = dedup(run)
    again = plan(run, PARAMS)
    assert again.done and again.fingerprint == p.fingerprint
    assert stage.resolve(again, [], PARAMS) == marker


def test_incremental_against_an_earlier_run_drops_only_new_copies(tmp_path):
    old_texts, _ = planted.planted(n_base=20, seed=2, edits=())
    old = ingest(tmp_path, "old", old_texts)
    old_plan, _ = dedup(old)
    old_bytes = {f: Path(f).read_bytes() for f in io.glob(f"{old_plan.out}/*.parquet")}
    fresh, _ = planted.planted(n_base=5, seed=99, edits=())
    new = ingest(tmp_path, "new", [old_texts[3], old_texts[7] + " extra", *fresh])
    p, marker = dedup(new, against=old)
    a = {r["doc_id"]: r for r in attributes(p).to_pylist()}
    assert a["new-0"]["drop_reason"] == "exact_duplicate" and a["new-0"]["exact_group"] == "old-3"
    assert a["new-1"]["drop_reason"] == "near_duplicate" and a["new-1"]["near_cluster"] == "old-7"
    assert all(a[f"new-{i}"]["keep"] for i in range(2, 7)) and marker.summary.against
    assert {f: Path(f).read_bytes() for f in io.glob(f"{old_plan.out}/*.parquet")} == old_bytes


def test_a_truncated_signature_partition_is_recomputed_not_trusted(planted_run):
    run, _ = planted_run
    p = plan(run, PARAMS)
    ref = stage.signature_partition(p, 0, PARAMS)
    data = Path(ref.uri).read_bytes()
    Path(ref.uri).write_bytes(data[: len(data) // 2])  # a crash or disk error truncated it
    again = stage.signature_partition(p, 0, PARAMS)
    assert again == ref and Path(ref.uri).read_bytes() == data


def test_natural_duplicates_in_the_sample_corpus(tmp_path):
    from schemas.config import SampleCorpusParams
    from tasks.sample import corpus

    recs = corpus.records(SampleCorpusParams(max_bytes=3 << 20))
    path = tmp_path / "sample.jsonl"
    path.write_bytes(corpus.to_jsonl(recs))
    params = IngestParams(source_field="domain")
    ip = ingest_stage.plan([str(path)], str(tmp_path / "run"), params)
    ingest_stage.commit(ip, [ingest_stage.ingest_file(ip.files[0], ingest_stage.file_uri(ip, 0), params)], params)
    catalog.advance(catalog.ref(ip.run, "ingest", ip.fingerprint))
    _, marker = dedup(str(tmp_path / "run"))
    s = marker.summary
    assert s.dropped_by_reason["exact_duplicate"] > 0 and s.dropped_by_reason["near_duplicate"] > 0
    assert max(int(k) for k in s.cluster_sizes) >= 5  # licence families: MIT, BSD, Apache
    assert os.path.basename(s.attributes) == marker.fingerprint
    assert np.isclose(sum(int(k) * v for k, v in s.cluster_sizes.items()) - sum(s.cluster_sizes.values()),
                      s.dropped)  # fmt: skip


def test_kept_view_pairs_documents_with_attributes_and_filters(planted_run):
    run, _ = planted_run
    _, marker = dedup(run)
    ref = catalog.latest(run, "dedup")
    pairs = zip(ref.documents.documents.partitions, ref.attributes.partitions, strict=True)
    kept = pa.concat_tables([views.kept(d, a, ["text"]) for d, a in pairs])
    assert kept.num_rows == marker.summary.kept and kept.column_names == ["doc_id", "text"]
    assert len(set(kept["text"].to_pylist())) == kept.num_rows  # no exact duplicate survives


def test_against_a_run_deduped_with_other_minhash_params_is_refused(tmp_path):
    texts, _ = planted.planted(n_base=5, seed=5, edits=())
    old, new = ingest(tmp_path, "old", texts), ingest(tmp_path, "new", texts)
    dedup(old, DedupParams(minhash={"num_perm": 64}))
    with pytest.raises(stage.InputError, match=r"--against .*old.*num_perm.*64.*128.*same MinHash parameters"):
        plan(new, PARAMS, against=old)
    dedup(old, DedupParams(verify=False))
    with pytest.raises(stage.InputError, match="without shingle sets"):
        plan(new, PARAMS, against=old)


def test_a_crashed_run_resumes_reusing_committed_signature_partitions(planted_run, monkeypatch):
    run, _ = planted_run
    p = plan(run, PARAMS)
    first = stage.signature_partition(p, 0, PARAMS)  # then the run dies before the other partitions
    before = Path(first.uri).stat().st_mtime_ns

    def no_recompute(*_):
        raise AssertionError("a committed signature partition was computed again")

    with monkeypatch.context() as m:
        m.setattr(stage, "signature_table", no_recompute)
        assert stage.signature_partition(p, 0, PARAMS) == first
    refs = [stage.signature_partition(p, k, PARAMS) for k in range(len(p.documents.documents.partitions))]
    assert Path(first.uri).stat().st_mtime_ns == before
    assert stage.resolve(p, refs, PARAMS).summary.counts_add_up


def test_signature_rows_are_the_same_with_or_without_verification_sets():
    texts = ["alpha beta gamma delta epsilon zeta", "!!! ---", "alpha beta gamma delta epsilon eta"]
    ids = pa.array(["a", "b", "c"])
    on = stage.signature_table(ids, texts, 10, PARAMS)
    off = stage.signature_table(ids, texts, 10, DedupParams(verify=False))
    assert on.select(["doc_id", "pos", "digest", "keys"]).equals(off.select(["doc_id", "pos", "digest", "keys"]))
    assert [len(k) for k in off["keys"].to_pylist()] == [14, 0, 14]  # no shingles: no band keys
    assert [len(s) for s in off["shingles"].to_pylist()] == [0, 0, 0]
    assert [len(s) > 0 for s in on["shingles"].to_pylist()] == [True, False, True]
