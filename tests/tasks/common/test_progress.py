"""Progress files: written at most once a period (unless forced), read back by a glob that skips vanished files."""

import json

from tasks.common import progress


def test_updates_are_throttled_unless_forced_and_read_back(tmp_path):
    bar = progress.ProgressFile(str(tmp_path / "a.json"), 10, "part 0", unit="docs", every=3600)
    bar.update(1, force=True)
    bar.update(5)  # within the period: not written
    assert json.loads((tmp_path / "a.json").read_text())["done"] == 1
    bar.update(7, force=True)
    (tmp_path / "b.json").write_text("{not json")  # being written by another process
    recs = progress.read_all(str(tmp_path / "*.json"))
    assert [(r["done"], r["total"], r["unit"]) for r in recs] == [(7, 10, "docs")]
