"""Figures as PNG bytes: headless, and the same data gives the same bytes."""

from tasks.common import plots


def _figure(values):
    plt = plots.pyplot()
    fig, ax = plt.subplots()
    ax.plot(values)
    return plots.png(fig)


def test_a_figure_is_png_bytes_and_repeatable():
    a, b = _figure([1, 3, 2]), _figure([1, 3, 2])
    assert a[:4] == b"\x89PNG" and a == b and _figure([1, 2, 3]) != a
