"""Errors that stop a stage. Bad *records* are never raised: they become rejected rows."""

from __future__ import annotations


class InputError(ValueError):
    """A structural problem with an input (unreadable, unknown format, missing field): names the file
    and what to change."""
