"""The quality flow through Prefect, and `skillmix run`'s chain with rules: the manifest holds only what dedup and the
rules kept, and the counts add up across both."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from schemas.config import QualityParams
from tasks.common import catalog, io
from tests.flows.pipeline import PARAMS, run_pipeline

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_curate_run_with_rules_packs_only_what_dedup_and_the_rules_kept(tmp_path):
    rules = QualityParams.from_specs(["gopher,lang=en"], ["code"])  # the 43-word code documents are too short
    out = run_pipeline(tmp_path, "run", PARAMS.model_copy(update={"quality": rules}))
    tokens = out.manifest.mixture.tokens
    quality = tokens.skills.quality
    s = catalog.summary(quality)
    assert s.counts_add_up and s.documents_in == s.kept + sum(s.dropped_by_reason.values())
    assert s.by_source["code"]["kept"] == 0 and s.dropped_by_reason["gopher_quality/gopher_short_doc"] > 0
    assert sum(r.documents for r in s.rules) == s.by_source["code"]["documents"]  # every code document, once
    assert all(set(r.by_source) <= {"code"} for r in s.rules)  # the other sources are left alone
    attrs = pa.concat_tables([io.read_table(p) for p in quality.attributes.partitions])
    kept = set(attrs.filter(attrs["keep"])["doc_id"].to_pylist())
    dropped = set(attrs.filter(pc.invert(attrs["keep"]))["doc_id"].to_pylist())
    packed = set(pa.concat_tables([io.read_table(p, ["doc_id"]) for p in tokens.attributes.partitions if p.num_rows])
                 ["doc_id"].to_pylist())  # fmt: skip
    assert packed == kept and not packed & dropped and not any(d.startswith("code-") for d in packed)
    assert catalog.summary(tokens.skills).documents_in == s.kept
    assert out.verified.skills == catalog.summary(tokens.skills).k  # the manifest verified, every skill packed
