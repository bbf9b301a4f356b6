"""The quality stage over files: attributes aligned with the documents, counts that add up across dedup and the rules,
statistics reused by new rules, later stages reading only what was kept, unknown sources refused."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from schemas.config import QualityParams, QualityRule
from tasks.common import catalog, io, views
from tasks.common.errors import InputError
from tasks.quality import stage


def _run(staged, params):
    p = stage.plan(staged.run, staged.dedup, params)
    refs = [stage.stats_partition(p, k) for k in range(len(p.documents.partitions))]
    return p, stage.resolve(p, refs, params)


def _attributes(p):
    ref = catalog.ref(p.run, "quality", p.fingerprint)
    return pa.concat_tables([io.read_table(r) for r in ref.attributes.partitions])


def test_attributes_align_with_the_documents_and_keep_only_what_dedup_kept(staged):
    s = catalog.summary(staged.quality)
    assert s.counts_add_up and s.kept == catalog.summary(staged.dedup).kept and s.statistics_computed == s.kept
    for doc_part, q_part, d_part in zip(staged.documents.documents.partitions, staged.quality.attributes.partitions,
                                        staged.dedup.attributes.partitions, strict=True):  # fmt: skip
        q, d = io.read_table(q_part), io.read_table(d_part)
        assert q["doc_id"].equals(io.read_table(doc_part, ["doc_id"])["doc_id"]) and q["keep"].equals(d["keep"])
        dropped = pc.invert(d["keep"])
        assert q.filter(dropped)["words"].null_count == q.filter(dropped).num_rows  # no statistics for duplicates
        assert q.filter(d["keep"])["words"].null_count == 0


def test_new_rules_reuse_the_statistics_and_later_stages_read_only_the_kept(staged):
    params = QualityParams(rules=(QualityRule(preset="gopher_quality", sources=("code",)),))  # 43-word documents
    p, m = _run(staged, params)
    s = m.summary
    assert s.statistics_computed == 0 and s.statistics_reused == catalog.summary(staged.quality).kept
    assert s.documents_in == s.kept + sum(s.dropped_by_reason.values()) and s.counts_add_up
    dropped = s.dropped_by_reason["gopher_quality/gopher_short_doc"]
    assert dropped == s.by_source["code"]["documents"] > 0 and s.rules[0].by_source == {"code": dropped}
    assert s.by_source["code"]["kept"] == 0 and s.by_source["space"]["kept"] == s.by_source["space"]["documents"]
    t = _attributes(p)
    assert (pc.sum(t["keep"]).as_py(), t.filter(pc.equal(t["drop_reason"], "gopher_quality/gopher_short_doc"))
            .num_rows) == (s.kept, dropped)  # fmt: skip
    assert pc.all(pc.less(t.filter(pc.equal(t["drop_reason"], "gopher_quality/gopher_short_doc"))["non_symbol_words"],
                          50)).as_py()  # fmt: skip
    ref = catalog.ref(p.run, "quality", p.fingerprint)
    kept = pa.concat_tables(
        [
            views.kept(d, q, ["source"])
            for d, q in zip(ref.documents.documents.partitions, ref.attributes.partitions, strict=True)
        ]
    )
    assert kept.num_rows == s.kept and "code" not in kept["source"].to_pylist()  # fmt: skip
    assert all(len(r.examples) <= params.examples for r in s.rules) and s.rules[0].examples[0].excerpt


def test_a_rerun_with_the_same_rules_is_already_committed(staged):
    p = stage.plan(staged.run, staged.dedup, catalog.summary(staged.quality).params)
    assert p.done and p.fingerprint == staged.quality.fingerprint


def test_an_unknown_filter_source_is_refused_before_any_work(staged):
    params = QualityParams.from_specs(["gopher"], ["nosuchsource"])
    with pytest.raises(InputError, match="--filter-source nosuchsource: no documents of that source; the sources are"):
        stage.plan(staged.run, staged.dedup, params)


def test_a_truncated_statistics_partition_is_recomputed(staged):
    p = stage.plan(staged.run, staged.dedup, QualityParams())
    uri = io.join(p.stats, "part-00000", "stats.parquet")
    io.write_table(io.read_table(stage.stats_partition(p, 0)).slice(0, 1), uri)  # fewer rows than its marker says
    ref = stage.stats_partition(p, 0)
    assert ref.num_rows == io.parquet_rows(uri) > 1
