"""Ingest's totals: records = kept + rejected, duplicate ids moved from kept to rejected; the reject-rate message."""

from schemas.config import IngestParams
from schemas.refs import FileResult
from tasks.ingest import summary


def test_totals_add_up_and_duplicate_ids_move_from_kept_to_rejected():
    results = [FileResult(rel="a", uri="u", kept=5, rejected_by_reason={"malformed_json": 2}, blank_lines=1),
               FileResult(rel="b", uri="v", kept=3, rejected_by_reason={"empty_text": 1})]  # fmt: skip
    c = summary.counts(results, duplicate_ids=2)
    assert (c["records"], c["kept"], c["rejected"]) == (11, 6, 5) and c["counts_add_up"] and c["blank_lines"] == 1
    assert c["rejected_by_reason"]["duplicate_id"] == 2 and c["rejected_by_reason"]["malformed_json"] == 2
    message = summary.reject_rate_message(c, IngestParams(max_reject_fraction=0.2), "w")
    assert message.startswith(
        "ingest rejected 5 of 11 records (45%; malformed_json: 2, duplicate_id: 2, empty_text: 1)"
    )
    assert "max_reject_fraction=0.2" in message and "w/files/*/rejected/" in message
