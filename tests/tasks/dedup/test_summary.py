"""The dedup summary: counts add up, cluster sizes, the plot."""

import pyarrow as pa

from schemas.config import DedupParams
from schemas.refs import DatasetRef, DedupPlan, DocumentsRef
from tasks.dedup import summary


def _plan() -> DedupPlan:
    empty = DatasetRef(uri="r/documents/f", table="documents")
    documents = DocumentsRef(run="r", fingerprint="f", uri="r/documents/f", documents=empty, rejected=empty)
    return DedupPlan(run="r", fingerprint="d", out="r/attributes/dedup/d", work="w", report="rep",
                     documents=documents, offsets=(0,))  # fmt: skip


def test_counts_add_up_by_reason_and_clusters_are_counted_by_size():
    attrs = pa.table(
        {
            "doc_id": list("abcdef"),
            "exact_group": list("abcdef"),
            "near_cluster": list("aacddd"),
            "keep": [True, False, True, True, False, False],
            "drop_reason": [None, "near_duplicate", None, None, "exact_duplicate", "near_duplicate"],
        }
    )
    d = {"candidate_pairs": 5, "verified_pairs": 3}
    s = summary.build(_plan(), DedupParams(), attrs, d, 1.234, {"datasketch": "2.0.0", "scheme": "affine32"})
    assert (s.documents_in, s.kept, s.dropped) == (6, 3, 3) and s.counts_add_up
    assert s.dropped_by_reason == {"exact_duplicate": 1, "near_duplicate": 2}
    assert s.cluster_sizes == {"2": 1, "3": 1} and s.bands * s.rows <= 128 and s.seconds == 1.23
    assert summary.figure(s)[:4] == b"\x89PNG"
