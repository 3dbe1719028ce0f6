"""The DuckDB store: creating its schema, opening it safely, and running bound queries."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import polars as pl

from dashboard import config


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(config.SCHEMA_SQL.read_text())


def schema_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and macros that data/schema.sql defines but the store lacks: a store built by an
    older version (its queries would fail with puzzling errors)."""
    expected = re.findall(r"^create (table|macro) (\w+)", config.SCHEMA_SQL.read_text(), flags=re.M | re.I)
    present = set(run(con, "select table_name as name from duckdb_tables() union all "
                           "select function_name from duckdb_functions() where function_type like '%macro%'")
                  .to_series().to_list())
    return [f"{kind} {name}" for kind, name in expected if name not in present]


def open_read_only(path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """The app's only way into the store: read-only, and unable to read or write any other file
    (enable_external_access cannot be switched back on from SQL)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No store at {path}. Build the demo with `python -m dashboard demo` or set DASHBOARD_DB.")
    return duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})


def version(path: str | os.PathLike) -> tuple[str, int, int]:
    """Identifies the store file on disk; it changes when an import swaps in a new file, which is
    what lets cached connections and results be dropped at the right moment."""
    st = os.stat(path)
    return str(path), st.st_ino, st.st_mtime_ns


def run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    """Runs one query with its parameters bound by DuckDB (never spliced into the text) on a
    cursor of its own, since a connection is shared across Streamlit's threads."""
    cursor = con.cursor()
    try:
        return cursor.sql(sql, params=params or None).pl()
    finally:
        cursor.close()
