"""The `skillmix` command: the Typer app (skillmix.app) with every command module registered on it, in this order
(it is the order `skillmix --help` lists them in):

    skillmix/stages.py       ingest, dedup, skills, tokens, mix, emit: one stage each
    skillmix/pipeline.py     run, demo, sample-corpus: the whole curate flow
    skillmix/training.py     train, proxies, skills-graph
    skillmix/attribution.py  attribution, attribution-skills
    skillmix/inspection.py   status, verify, report
    skillmix/laws.py         law fit, law predict, law propose: mixing laws on swarm CSVs
"""

from __future__ import annotations

import importlib
import sys

from skillmix.app import app

COMMAND_MODULES = ("stages", "pipeline", "training", "attribution", "inspection", "laws")
for _name in COMMAND_MODULES:
    importlib.import_module(f"skillmix.{_name}")  # each registers its commands on `app`

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover
    sys.exit(app())
