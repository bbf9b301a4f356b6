"""The run report: one self-contained page with every section, published as a Prefect artifact, and rendered
by headless Chromium (Debian's `chromium`; the render test is skipped where it is not installed)."""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flows.report import report
from tests.flows.pipeline import artifacts

pytestmark = pytest.mark.usefixtures("prefect_harness")
SECTIONS = ["status", "ingest", "dedup", "quality", "skills", "tokens", "mixtures", "law", "skills-graph",
            "attribution", "budget"]  # fmt: skip
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.srcs, self.links = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.ids += [a["id"]] if tag == "section" else []
        self.srcs += [a["src"]] if tag == "img" else []
        self.links += [a.get("href")] if tag in ("a", "link", "script") else []


@pytest.fixture(scope="module")
def written(built, tmp_path_factory):
    run = tmp_path_factory.mktemp("report") / "run"
    shutil.copytree(built[0] / "run", run)
    return run, report(str(run))


def test_the_page_has_every_section_embeds_its_figures_and_names_what_is_missing(written):
    run, out = written
    missing = ("skills-graph", "law", "attribution")  # the tiny run has none of them
    assert out.sections == {s: s not in missing for s in SECTIONS}
    page = Path(out.html).read_text()
    p = _Page()
    p.feed(page)
    assert p.ids == SECTIONS and len(p.srcs) >= 5 and all(s.startswith("data:image/png;base64,") for s in p.srcs)
    assert all(h.startswith("#") for h in p.links)  # self-contained: nothing fetched, links stay in the page
    assert f"not run yet: skillmix skills-graph --run {run}" in page
    assert "4,291" in page  # the manifest's token budget, as the budget table prints it
    assert "24 files, tokens (flat 4,291, mds 4,224, megatron 4,291) match the manifest" in page  # curate verified it
    assert f"not run yet: skillmix attribution --run {run} --targets FILE.jsonl" in page
    assert any("## Token budget (latest manifest)" in md and "## Ingest" in md for md in artifacts("run-report"))


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_headless_chromium_renders_every_section(written, tmp_path):
    _, out = written
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    url = Path(out.html).resolve().as_uri()
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert re.findall(r'<section id="([^"]+)"', dom) == SECTIONS
    for title in ("Status", "Ingest", "Deduplication", "Skills", "Mixtures", "Token budget (latest manifest)"):
        assert f"<h2>{title}" in dom
    shot = tmp_path / "page.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1200,2400", f"--screenshot={shot}", url], capture_output=True,
                   timeout=120, check=True)  # fmt: skip
    from PIL import Image

    pixels = Image.open(shot).convert("L")
    assert pixels.size == (1200, 2400) and pixels.getextrema()[0] < 100  # not blank: text and figures drawn
