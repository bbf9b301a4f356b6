"""The report page: sections in order, values escaped, figures embedded, numbers aligned; the Markdown twin."""

from tasks.report.html import markdown, render
from tasks.report.sections import Section

PNG = b"\x89PNG\r\n\x1a\nfake"


def test_sections_render_in_order_escaped_with_embedded_figures():
    secs = [Section("a", "A <b>", facts=[("n", 1234), ("ok", True)], tables=[("t", ["x", "y"], [["<i>", 0.5]])],
                    notes=["a note"], figures=[("fig", PNG)]),
            Section("b", "B", missing="not run yet: skillmix b")]  # fmt: skip
    page = render("T", "sub", secs)
    assert page.index('<section id="a">') < page.index('<section id="b">')
    assert "A &lt;b&gt;" in page and "&lt;i&gt;" in page and "<i>" not in page
    assert '<td class="n">1,234</td>' in page and "<td>yes</td>" in page and '<td class="n">0.5</td>' in page
    assert 'src="data:image/png;base64,' in page and "not run yet: skillmix b" in page and "<p>a note</p>" in page


def test_the_markdown_twin_has_the_same_facts_and_tables_with_pipes_escaped():
    md = markdown("T", [Section("a", "A", facts=[("n", 1234)], tables=[("t", ["x"], [["a|b"]])], figures=[("f", PNG)])])
    assert "| n | 1,234 |" in md and "| a\\|b |" in md and "(figure in report.html: f)" in md
