"""The DuckDB store: creating its schema, opening it safely, and running bound queries."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import secrets
import shutil
import warnings
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


# The app's (and the SQL lab's) connection: no file, network or extension access; no spilling to
# disk (a runaway query fails with Out of Memory instead of filling the disk beside the store);
# half the machine's memory at most; and the configuration locked, so no SQL can change any of it.
READ_ONLY_CONFIG = {"enable_external_access": False, "temp_directory": "", "memory_limit": "50%",
                    "lock_configuration": True}


class StoreUnreadable(Exception):
    """The store file is missing or cannot be opened as a store; the message names the file, the
    cause and what to do, in words fit for the app's page or the command line."""


class StoreMissing(StoreUnreadable, FileNotFoundError):
    """No file at the store's path (still a FileNotFoundError for callers that test for that)."""


def missing(path: str | os.PathLike) -> StoreMissing:
    return StoreMissing(f"No store at {path}. Build the demo with `python -m dashboard demo` "
                        "or set DASHBOARD_DB.")


def unreadable(path: str | os.PathLike, cause: BaseException | str) -> StoreUnreadable:
    """The one message for a store that exists but cannot be read: truncated, not a DuckDB file, a
    folder, or in a folder this user may not read."""
    cause = getattr(cause, "strerror", None) or str(cause)
    return StoreUnreadable(
        f"The store at {path} cannot be read ({cause}). Rebuild it with `python -m dashboard demo`, or "
        "re-import your data with `python -m dashboard import`, or point DASHBOARD_DB at a good store.")


def open_read_only(path: str | os.PathLike, memory_limit: str | None = None,
                   threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """The app's only way into the store: read-only, and unable to read or write any other file
    (enable_external_access cannot be switched back on from SQL). A store that is missing or
    cannot be opened raises StoreUnreadable with a plain message, never DuckDB's own error.
    `memory_limit` (DuckDB's words, "1GB") and `threads` replace the defaults (half the machine,
    every core): the SQL worker sets them below its own process limits."""
    real, _, _ = version(path)
    overrides = {"memory_limit": memory_limit, "threads": threads}
    settings = {**READ_ONLY_CONFIG, **{key: value for key, value in overrides.items() if value is not None}}
    try:
        return duckdb.connect(real, read_only=True, config=settings)
    except (duckdb.Error, OSError) as exc:
        raise unreadable(path, exc) from None


def version(path: str | os.PathLike) -> tuple[str, int, int]:
    """Identifies the store file on disk: (its real file, inode, mtime). It changes when an import
    or a demo build swaps in a new file, which is what lets cached connections and results be
    dropped at the right moment. Connections must open the real file named here, never the link:
    DuckDB hands back an instance already open on the same path, so a fixed name would keep
    serving the old data. Raises StoreMissing or StoreUnreadable (a folder it may not enter)."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except (FileNotFoundError, NotADirectoryError):
        raise missing(path) from None
    except OSError as exc:
        raise unreadable(path, exc) from None
    return real, st.st_ino, st.st_mtime_ns


# Publishing a new store. The store path (data/store.duckdb) is a symbolic link to one finished
# file in the folder beside it (data/store.duckdb.versions/). A writer builds a complete new file
# there and then replaces the link in one atomic rename: a reader sees the old store or the new
# one, never a half-written file, and a failed build leaves the published store untouched.
KEEP_PREVIOUS_VERSIONS = 2   # readers that resolved the link just before a swap may still open these
FINISHED = ".duckdb"
# A version is built under this suffix and renamed to its finished name only once complete, so a
# file left by a writer that died (killed, power cut) is never taken for a version worth keeping.
UNFINISHED = ".partial"


def versions_dir(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.parent / f"{path.name}.versions"


def versions(path: str | os.PathLike) -> list[Path]:
    """The finished versions of the store at path, newest first."""
    folder = versions_dir(path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"*{FINISHED}"), key=lambda f: f.stat().st_mtime_ns, reverse=True)


def new_version_file(path: str | os.PathLike) -> Path:
    """A fresh, not yet existing, unfinished file name for the next version of the store at path:
    build it there, then publish() names it finished."""
    folder = versions_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return folder / f"{stamp}-{secrets.token_hex(4)}{FINISHED}{UNFINISHED}"


def publish(built: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Makes the complete store file `built` (made by new_version_file, closed) the store at path,
    in one atomic step, then removes versions older than the last few and any unfinished ones.
    Call it holding write_lock(path): unfinished files are only safe to remove when no other writer
    can be building one."""
    built, path = Path(built), Path(path)
    finished = built.with_name(built.name.removesuffix(UNFINISHED))
    os.replace(built, finished)
    link = path.with_name(f".{path.name}.link-{os.getpid()}-{secrets.token_hex(4)}")
    os.symlink(os.path.relpath(finished, path.parent), link)
    os.replace(link, path)
    _prune(path, current=finished)
    return path


def discard(built: str | os.PathLike) -> None:
    """Removes a version file, its write-ahead log and the folder DuckDB spills to beside it."""
    for file in (Path(built), Path(f"{built}.wal")):
        file.unlink(missing_ok=True)
    shutil.rmtree(f"{built}.tmp", ignore_errors=True)


def _prune(path: Path, current: Path) -> None:
    """Keeps the current version and the KEEP_PREVIOUS_VERSIONS finished ones before it; removes
    older ones and every unfinished one (left by a writer that died: the caller holds the lock)."""
    older = [f for f in versions(path) if f.resolve() != current.resolve()]
    for stale in older[KEEP_PREVIOUS_VERSIONS:]:
        discard(stale)
    for dead in versions_dir(path).glob(f"*{FINISHED}{UNFINISHED}"):
        discard(dead)


@contextlib.contextmanager
def write_lock(path: str | os.PathLike):
    """One writer at a time per store (imports and demo builds); readers never wait."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def table_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Each table of the store and its row count."""
    names = run(con, "select table_name from information_schema.tables where table_schema = 'main' "
                     "order by table_name").to_series().to_list()
    # names come from DuckDB's own catalog, not from a user: safe to quote into the count
    return {name: run(con, f'select count(*) as n from "{name}"').item() for name in names}


def run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    """Runs one query with its parameters bound by DuckDB (never spliced into the text) on a
    cursor of its own, since a connection is shared across Streamlit's threads."""
    cursor = con.cursor()
    try:
        return rows(cursor, sql, params)
    finally:
        cursor.close()


# Rows come from execute(), not from a relation (cursor.sql): DuckDB 2.0 binds a relation when it is
# made and again when it runs, planning the query twice, which costs a fifth to a third of a page
# query's time (long SQL: macros over rollups). Arrow output of execute() copies the rows once more and
# warns so; the app's queries return aggregates, a few hundred rows, so the copy costs nothing and that
# warning alone is silenced (pytest.ini too, as pytest resets warning filters for each test).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)


def rows(cursor: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    """The query's rows as polars, planned once (parameters bound by DuckDB). Aggregates only: the
    rows are copied once on the way out."""
    return pl.from_arrow(cursor.execute(sql, params or None).to_arrow_table())
