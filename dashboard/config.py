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
