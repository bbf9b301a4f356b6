"""The run report over a staged run: every section from the catalog's latest outputs, what is missing named."""

from pathlib import Path

from tasks.report import stage


def test_the_report_has_every_section_and_names_the_commands_for_what_is_missing(staged):
    page, md = stage.write(staged.run)
    assert list(page.sections) == ["status", "ingest", "dedup", "quality", "skills", "tokens", "mixtures", "law",
                                   "skills-graph", "attribution", "budget"]  # fmt: skip
    assert [s for s, present in page.sections.items() if not present] == ["law", "skills-graph", "attribution"]
    html = Path(page.html).read_text()
    assert f"not run yet: skillmix mix --run {staged.run} --method law (or bimix)" in html
    assert f"ingest {staged.documents.fingerprint}" in md and Path(page.markdown).read_text() == md
    assert "quality by skill" in md and f"quality {staged.quality.fingerprint}" in md
    assert [d.fingerprint for d in stage.mixture_docs(staged.run)] == [staged.mixture.fingerprint]


def test_a_run_without_reports_is_refused(tmp_path):
    import pytest

    from tasks.common.errors import InputError

    with pytest.raises(InputError, match="no stage has reported yet"):
        stage.check(str(tmp_path))
