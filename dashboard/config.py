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


def review_dir() -> Path:
    """Where the SQL lab saves query files when DASHBOARD_LAB_SAVE is on (DASHBOARD_LAB_REVIEW):
    a folder beside the queries folder that no page reads, so a saved chart reaches viewers only
    after someone moves it into the queries folder."""
    queries = queries_dir()
    return Path(os.environ.get("DASHBOARD_LAB_REVIEW", queries.with_name(f"{queries.name}-review")))


def audit_path() -> Path:
    """The audit trail (DASHBOARD_AUDIT_LOG): audit.log in the store's folder unless set, so a
    second instance with its own store keeps its own trail."""
    return Path(os.environ.get("DASHBOARD_AUDIT_LOG", "").strip() or store_path().parent / "audit.log")


def targets_path() -> Path:
    return Path(os.environ.get("DASHBOARD_TARGETS", ROOT / "targets.yaml"))


def number_from_env(name: str, default: float, minimum: float, unit: str) -> float:
    """$name read as a number of `unit`, at least `minimum` and finite; `default` when unset.
    Raises ValueError naming the setting and what it accepts (the caller says what it falls back to)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return float(default)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not minimum <= value < float("inf"):
        raise ValueError(f"{name} must be a number of {unit}, at least {minimum:g}, not {text!r}")
    return value


DEFAULT_MIN_COMPARISON_N = 30


def min_comparison_n() -> int:
    """The fewest answers, contacts or requests each period needs before a tile shows a change
    (DASHBOARD_MIN_COMPARISON_N). A bad value falls back to the default."""
    text = os.environ.get("DASHBOARD_MIN_COMPARISON_N", "")
    return int(text) if text.strip().isdigit() else DEFAULT_MIN_COMPARISON_N


# The demo's slowest page query takes about 1.5 s at 10M contacts; 5 s leaves room for a busy
# server (sessions sharing its cores) while a runaway query frees its core within seconds.
DEFAULT_PAGE_QUERY_TIMEOUT_S = 5.0


def page_query_timeout_s() -> float:
    """Seconds a page's query may run before DuckDB interrupts it (DASHBOARD_PAGE_QUERY_TIMEOUT_S).
    A bad value (not a positive number) falls back to the default."""
    try:
        return number_from_env("DASHBOARD_PAGE_QUERY_TIMEOUT_S", DEFAULT_PAGE_QUERY_TIMEOUT_S, 0.001, "seconds")
    except ValueError:
        return DEFAULT_PAGE_QUERY_TIMEOUT_S


# A page's queries run this many at a time before its sections draw (DASHBOARD_QUERY_WORKERS). Most
# take 5-60 ms, a good part of it DuckDB planning them, which one thread does alone: on 2 cores, three
# at a time ran the escalations page's ten queries at 10M contacts in 137 ms against 260 ms one by one.
DEFAULT_QUERY_WORKERS = 3
MAX_QUERY_WORKERS = 16   # more would only queue inside DuckDB, whose own threads share the same cores


def query_workers() -> int:
    """How many of a page's queries run at once (DASHBOARD_QUERY_WORKERS, 1 to 16; 1 runs them one by
    one). A bad value falls back to the default."""
    try:
        return min(MAX_QUERY_WORKERS, int(number_from_env("DASHBOARD_QUERY_WORKERS", DEFAULT_QUERY_WORKERS, 1,
                                                          "queries")))
    except ValueError:
        return DEFAULT_QUERY_WORKERS


# Agents answer surveys on the promise that nobody sees their own answers: no agent-survey figure
# is shown for a group of fewer respondents than this (DASHBOARD_MIN_RESPONDENTS, at least 2).
DEFAULT_MIN_RESPONDENTS = 5


def min_respondents() -> int:
    """The fewest agent-survey respondents a figure may rest on. A bad value falls back to the
    default, never to a smaller group."""
    try:
        return int(number_from_env("DASHBOARD_MIN_RESPONDENTS", DEFAULT_MIN_RESPONDENTS, 2, "respondents"))
    except ValueError:
        return DEFAULT_MIN_RESPONDENTS


def access_path() -> Path:
    """Who may sign in, with which role and scope (DASHBOARD_ACCESS; dashboard/access.py)."""
    return Path(os.environ.get("DASHBOARD_ACCESS", ROOT / "access.yaml"))
