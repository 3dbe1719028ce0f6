"""Where things live. Every path can be overridden from the environment, so tests and a second
instance can point the same code at another store or query folder."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_SQL = ROOT / "data" / "schema.sql"


def store_path() -> Path:
    return Path(os.environ.get("DASHBOARD_DB", ROOT / "data" / "store.duckdb"))


def queries_dir() -> Path:
    return Path(os.environ.get("DASHBOARD_QUERIES", ROOT / "queries"))


def targets_path() -> Path:
    return Path(os.environ.get("DASHBOARD_TARGETS", ROOT / "targets.yaml"))


DEFAULT_MIN_COMPARISON_N = 30


def min_comparison_n() -> int:
    """The fewest answers, contacts or requests each period needs before a tile shows a change
    (DASHBOARD_MIN_COMPARISON_N). A bad value falls back to the default."""
    text = os.environ.get("DASHBOARD_MIN_COMPARISON_N", "")
    return int(text) if text.strip().isdigit() else DEFAULT_MIN_COMPARISON_N
