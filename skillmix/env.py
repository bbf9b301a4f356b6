"""Process settings for offline, quiet runs; applied before Prefect or HF libraries are imported.

Only defaults: a value the user exported wins.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "HF_HUB_OFFLINE": "1",  # nothing may download weights at run time
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "1",  # Prefect client analytics
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # Prefect server telemetry heartbeat
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",  # first start migrates a fresh DB (~12 s)
    "DASK_LOGGING__DISTRIBUTED": "warning",  # scheduler/nanny INFO chatter drowns the run's own logs
}


def configure() -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
