"""Matplotlib set-up for report plots, headless, and figures out as PNG bytes (io writes them)."""

from __future__ import annotations

import io as _io
from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot on the headless Agg backend (imported lazily: it is slow to import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png(fig: Any) -> bytes:
    """The figure as PNG bytes, without a software tag (same data, same bytes); closes the figure."""
    buf = _io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    pyplot().close(fig)
    return buf.getvalue()
