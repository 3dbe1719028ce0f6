"""The one guarded path for ad-hoc SQL: the SQL lab page and `python -m dashboard sql` both run an
analyst's text through `run()` and nothing else.

Walls, outermost first:

1. The connection (DuckDB's own wall). The store is opened read-only with `enable_external_access`
   off (`store.open_read_only`): no file, network or extension access, and SQL cannot switch it
   back on. `run()` checks those two settings on the connection it is handed and refuses to run
   anything on a connection that lacks them. `lock_configuration` (no SET/RESET/PRAGMA can change
   any setting afterwards) is set on top; see store.READ_ONLY_CONFIG.
2. The statement check, decided by DuckDB's parser before anything runs (`check()`):
   - exactly one statement (`extract_statements`), of type SELECT. Everything else is refused:
     INSERT/UPDATE/DELETE/CREATE/DROP/ALTER, ATTACH/DETACH, COPY, EXPORT/IMPORT DATABASE,
     INSTALL/LOAD, SET/RESET/PRAGMA/USE, CHECKPOINT/CALL, EXPLAIN, PIVOT statements, transactions...
   - the SELECT's syntax tree, as DuckDB serialises it (`json_serialize_sql`), walked whole:
     subqueries, CTEs, lambdas, window clauses and function arguments included:
       * only query nodes (SELECT, set operations, recursive CTEs): a CTE that INSERTs, UPDATEs or
         DELETEs (`with x as (delete ... returning *) select ...`) is refused;
       * table functions only from ALLOWED_TABLE_FUNCTIONS plus the store's own table macros
         (filtered_interactions, ...): read_csv, read_text, glob, query, duckdb_secrets, ... are not;
       * no function from DENIED_FUNCTIONS anywhere (getenv, current_setting, write_log, ...);
       * every table named in FROM is a table or view of the store, a CTE in scope, or schema
         metadata (information_schema, duckdb_tables, ...): no file names (`from 'x.csv'`), no
         internal views that show settings or logs, no Python objects (replacement scans);
       * every `$name` is one of the parameters on offer; only those the text uses are bound.
     A statement the serialiser cannot represent (PIVOT inside a query) is refused: the check
     fails closed.
3. Running: on a cursor of its own (the app's connection is shared by Streamlit's threads), under
   a time limit enforced by DuckDB's interrupt from a watchdog thread, fetching at most
   `max_rows` rows (LIMIT max_rows + 1 is pushed into DuckDB) and at most `max_bytes` of them
   (rows are streamed in batches and the stream is dropped once the bytes pass the bound). Only
   when there are more rows than that is the total counted, inside DuckDB, with whatever time is
   left.
4. The process (dashboard/sandbox.py): the lab and the CLI call `run()` inside a worker process of
   its own, under a CPU-time and memory limit the operating system enforces and killed at the time
   limit: the watchdog's interrupt is only checked between DuckDB's steps, so one long function
   call (levenshtein over two 200,000-character strings) would otherwise outlast it.

The result is always an `Outcome` (never an exception, never a traceback for anything the SQL text
does): `kind` is "ok", "refused" (the check said no), "error" (DuckDB's own message: syntax,
binder, out of memory...) or "timeout" (stopped at the time limit); `message` is plain text for
the reader. An ok outcome carries the frame (at most max_rows rows), `total_rows` (None when
counting did not fit in the time limit) and `truncated`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb
import polars as pl
import pyarrow as pa

from dashboard import config
from dashboard.timelimit import Watchdog

DEFAULT_TIMEOUT_S = 10          # seconds a query may run before DuckDB is interrupted
DEFAULT_ROW_CAP = 10_000        # rows fetched into Python at most; the rest stays in DuckDB
DEFAULT_BYTE_CAP = 20 * 2**20   # bytes of result fetched at most: a page of 10,000 rows of 2 KB each
FETCH_BATCH_ROWS = 256          # rows per streamed batch: the overshoot past the byte cap is one batch
TIMEOUT_ENV = "DASHBOARD_SQL_TIMEOUT_S"   # overrides DEFAULT_TIMEOUT_S (seconds)
MIN_TIMEOUT_S = 0.1

# What the connection must have for run() to use it (checked on every run; fail closed).
REQUIRED_SETTINGS = {"enable_external_access": "false"}

# The store connection's configuration lives in store.READ_ONLY_CONFIG (store.open_read_only): it
# adds lock_configuration, no temp directory (a runaway fails with Out of Memory instead of
# spilling gigabytes beside the store) and a memory limit. DuckDB caches one database instance per
# file and refuses a second connection to it with another configuration, so the guard never opens
# its own: it is handed the app's connection (or store.open_read_only's in the CLI).

# Table functions a query may call (besides the store's own table macros). Anything else is
# refused: readers of files (read_*, parquet_*, glob, sniff_csv), SQL runners (query,
# query_table, json_execute_serialized_sql), settings, secrets, logs, checkpoints, Python scans.
# histogram() and histogram_values() were allowed until it was found that they are built-in table
# macros expanding into query_table(), which runs any table name given as text (pg_settings...).
ALLOWED_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_schemas", "duckdb_types",
    "duckdb_functions", "duckdb_constraints", "duckdb_indexes", "duckdb_keywords",
    "pragma_table_info", "pragma_show",
})

# Every other built-in table function and table macro of DuckDB 2.0, reviewed and refused: they
# read files, run SQL text, change state, read settings, secrets, logs, memory or the server's
# platform, or scan Python objects. A test compares this with duckdb_functions(), so a DuckDB
# upgrade that adds a table function fails the suite until someone reviews it here.
REVIEWED_REFUSED_TABLE_FUNCTIONS = frozenset("""
    arrow_scan arrow_scan_dumb checkpoint create_external_resource deregister_external_resource
    destroy_external_resource disable_logging disable_profiling duckdb_approx_database_count
    duckdb_available_metrics duckdb_connection_count duckdb_coordinate_systems duckdb_databases
    duckdb_dependencies duckdb_dialects duckdb_eviction_queues duckdb_extension_repositories
    duckdb_extensions duckdb_external_file_cache duckdb_external_resource_types
    duckdb_external_resources duckdb_grammar_extensions duckdb_log_contexts duckdb_logs
    duckdb_logs_parsed duckdb_memory duckdb_optimizers duckdb_prepared_statements
    duckdb_profiling_settings duckdb_secret_type_parameters duckdb_secret_types duckdb_secrets
    duckdb_sequences duckdb_settings duckdb_table_sample duckdb_temporary_files duckdb_triggers
    duckdb_variables enable_logging enable_profiling force_checkpoint glob histogram
    histogram_values icu_calendar_names json_execute_serialized_sql pandas_scan parquet_bloom_probe
    parquet_file_metadata parquet_full_metadata parquet_kv_metadata parquet_metadata parquet_scan
    parquet_schema pg_timezone_names pragma_collations pragma_database_size pragma_metadata_info
    pragma_platform pragma_storage_info pragma_user_agent pragma_version python_arrow_scan
    python_map_function query query_table read_blob read_csv read_csv_auto read_duckdb read_json
    read_json_auto read_json_objects read_json_objects_auto read_ndjson read_ndjson_auto
    read_ndjson_objects read_parquet read_single_csv_file read_single_json_file
    read_single_parquet_file read_text register_external_resource register_external_resource_type
    seq_scan sniff_csv summary test_all_types test_vector_types truncate_duckdb_logs which_secret
""".split())

# Functions refused wherever they appear (scalar or table), with the reason shown to the reader.
_READS_FILES = "reads files on the server"
_RUNS_SQL = "runs SQL text of its own, which the lab could not check"
_CHANGES_STATE = "changes the database or its settings"
DENIED_FUNCTIONS = {
    "getenv": "reads the server's environment",
    "current_setting": "reads the server's settings",
    "duckdb_settings": "reads the server's settings",
    "duckdb_secrets": "reads stored credentials (secrets)",
    "which_secret": "reads stored credentials (secrets)",
    "query": _RUNS_SQL,
    "query_table": _RUNS_SQL,
    "json_execute_serialized_sql": _RUNS_SQL,
    "json_serialize_plan": _RUNS_SQL,
    "write_log": _CHANGES_STATE,
    "enable_logging": _CHANGES_STATE,
    "disable_logging": _CHANGES_STATE,
    "truncate_duckdb_logs": _CHANGES_STATE,
    "enable_profiling": _CHANGES_STATE,
    "disable_profiling": _CHANGES_STATE,
    "checkpoint": _CHANGES_STATE,
    "force_checkpoint": _CHANGES_STATE,
    "nextval": _CHANGES_STATE,
    "setval": _CHANGES_STATE,
    "sleep_ms": "holds a worker without doing any work",
    **{name: _READS_FILES for name in (
        "read_csv", "read_csv_auto", "read_text", "read_blob", "read_parquet", "parquet_scan",
        "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson",
        "read_ndjson_auto", "read_ndjson_objects", "read_duckdb", "read_single_csv_file",
        "read_single_json_file", "read_single_parquet_file", "glob", "sniff_csv",
        "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
        "parquet_full_metadata", "parquet_bloom_probe")},
}

# Tables outside the store that a query may name: schema metadata only.
ALLOWED_METADATA_VIEWS = frozenset({
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_schemas", "duckdb_types",
    "duckdb_constraints", "duckdb_indexes",
})
_QUERY_NODES = {"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"}
_NODE_WORDS = {"INSERT_QUERY_NODE": "an INSERT", "UPDATE_QUERY_NODE": "an UPDATE",
               "DELETE_QUERY_NODE": "a DELETE", "MERGE_INTO_QUERY_NODE": "a MERGE"}


class Refused(Exception):
    """The check's verdict: the text will not run. `message` is plain text for the reader."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, eq=False)
class Outcome:
    kind: str                          # "ok" | "refused" | "error" | "timeout" | "busy" (sandbox)
    message: str                       # what to tell the reader (for ok: a summary of the rows)
    frame: pl.DataFrame | None = None  # ok only: at most max_rows rows
    total_rows: int | None = None      # ok only: all rows of the result; None = not counted in time
    truncated: bool = False            # ok only: the result has more rows than the frame holds
    seconds: float = 0.0
    peak_memory_bytes: int | None = None   # the worker's peak resident memory (sandbox.run only)

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def timeout_from_env() -> float:
    """The time limit: $DASHBOARD_SQL_TIMEOUT_S if set, else DEFAULT_TIMEOUT_S."""
    return config.number_from_env(TIMEOUT_ENV, DEFAULT_TIMEOUT_S, MIN_TIMEOUT_S, "seconds")


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object] | None = None, *,
        timeout_s: float | None = None, max_rows: int = DEFAULT_ROW_CAP,
        max_bytes: int = DEFAULT_BYTE_CAP) -> Outcome:
    """Checks and runs one analyst query on a cursor of its own.

    `params` are the values on offer (`filters.bound_values`: the global filters and the page
    parameters); the query may use any subset as `$name`.
    `timeout_s` defaults to timeout_from_env(). Never raises for anything the SQL does."""
    timeout = timeout_from_env() if timeout_s is None else float(timeout_s)
    if not 0 < timeout < float("inf"):
        raise ValueError("timeout_s must be a positive number of seconds")
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    params = dict(params or {})
    started = time.perf_counter()

    def outcome(kind: str, message: str, **rest) -> Outcome:
        return Outcome(kind, message, seconds=time.perf_counter() - started, **rest)

    cursor = con.cursor()
    watchdog = Watchdog(cursor, timeout)
    try:
        with watchdog:
            try:
                _require_walls(cursor)
                used = check(cursor, sql, params)
                bound = {name: params[name] for name in used} or None
                relation = cursor.sql(sql, params=bound)
                frame, cut_at_bytes = _fetch(relation, max_rows, max_bytes)
            except Refused as refusal:
                return outcome("refused", refusal.message)
            except Exception as exc:  # DuckDB's error, or a result polars cannot hold: a message, not a trace
                if watchdog.fired:
                    return outcome("timeout", timeout_message(timeout))
                return outcome("error", _plain(exc))
            if frame.height == 0 and cut_at_bytes:
                return outcome("error", _too_wide_message(max_bytes))
            if frame.height <= max_rows and not cut_at_bytes:
                return outcome("ok", _summary(frame.height, frame.height, False), frame=frame,
                               total_rows=frame.height)
            shown = min(frame.height, max_rows)
            total = None  # when counting runs out of time (or memory), say "more than"
            if not watchdog.fired:
                try:
                    total = relation.aggregate("count(*)").fetchall()[0][0]
                except duckdb.Error:
                    pass
            message = _summary(shown, total, True) + (_bytes_note(max_bytes) if cut_at_bytes else "")
            return outcome("ok", message, frame=frame.head(shown), total_rows=total, truncated=True)
    finally:
        cursor.close()


def _fetch(relation: duckdb.DuckDBPyRelation, max_rows: int, max_bytes: int) -> tuple[pl.DataFrame, bool]:
    """At most max_rows + 1 rows, streamed in batches and dropped once they pass max_bytes, so a
    wide result (50 MB strings) is never held whole. Returns (rows, cut): when cut, the rows are the
    longest head that fits in max_bytes (possibly none)."""
    reader = relation.limit(max_rows + 1).to_arrow_reader(FETCH_BATCH_ROWS)
    batches, size, cut = [], 0, False
    for batch in reader:
        batches.append(batch)
        size += batch.nbytes
        if size > max_bytes:
            cut = True
            break
    reader.close()
    table = pa.Table.from_batches(batches, schema=reader.schema)
    if cut:
        low, high = 0, table.num_rows   # the longest head within max_bytes (sizes grow with rows)
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if table.slice(0, middle).nbytes <= max_bytes else (low, middle - 1)
        table = table.slice(0, low)
    return pl.from_arrow(table), cut


def check(cursor: duckdb.DuckDBPyConnection, sql: str, params: Iterable[str] = ()) -> tuple[str, ...]:
    """The statement check (see the module's docstring). Returns the parameter names the text uses
    (all among `params`); raises Refused, or duckdb.Error for text DuckDB cannot parse."""
    available = sorted(params)
    statements = cursor.extract_statements(sql)
    if len(statements) != 1:
        if not statements:
            raise Refused("There is no SQL statement to run.")
        raise Refused(f"Only one statement at a time: this text has {len(statements)}.")
    statement = statements[0]
    try:
        kind = statement.type
    except ValueError:  # a statement type the Python client cannot even name (UPDATE EXTENSIONS)
        raise Refused("Refused: this is not a SELECT statement; the lab only reads data (SELECT).") from None
    if kind != duckdb.StatementType.SELECT:
        raise Refused(f"Refused: this is {_statement_word(kind)} statement; the lab only reads data (SELECT).")

    used = set(statement.named_parameters)
    positional = sorted(name for name in used if name.isdigit())
    if positional:
        raise Refused("Positional parameters (? or $1) are not available; use named ones: "
                      + _param_list(available) + ".")
    unknown = sorted(used - set(available))
    if unknown:
        raise Refused(f"Unknown parameter{'s' if len(unknown) > 1 else ''} "
                      + ", ".join("$" + n for n in unknown) + ". Available: " + _param_list(available) + ".")

    tree = json.loads(cursor.sql("select json_serialize_sql($sql)", params={"sql": sql}).fetchall()[0][0])
    if tree.get("error") or len(tree.get("statements", ())) != 1:
        raise Refused("Refused: the lab could not check this statement ("
                      + str(tree.get("error_message", "unsupported construct")).rstrip(".!")
                      + "). Write it as a plain SELECT; PIVOT, for one, can be written with GROUP BY.")
    _Walker(_Catalog.read(cursor)).walk(tree["statements"][0], frozenset())
    return tuple(sorted(used))


# -- the syntax tree walk --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Catalog:
    database: str                   # the store's catalog name (the file's stem)
    tables: frozenset[str]          # the store's own tables and views (lower case)
    table_macros: frozenset[str]    # the store's own table macros (filtered_interactions, ...)
    # built-in macros whose definition calls something refused -> what it calls: checking the
    # typed name is not enough when a macro expands into another function
    expanding: dict = field(default_factory=dict, hash=False)

    @classmethod
    def read(cls, cursor) -> _Catalog:
        rows = cursor.sql(
            "select 'd', current_database() "
            "union all select 't', table_name from duckdb_tables() where not internal and not temporary "
            "union all select 't', view_name from duckdb_views() where not internal and not temporary "
            "union all select 'm', function_name from duckdb_functions() "
            "where function_type = 'table_macro' and not internal").fetchall()
        def names(kind: str) -> frozenset[str]:
            return frozenset(name.lower() for k, name in rows if k == kind)
        (database,) = names("d")
        return cls(database, names("t"), names("m"), _expanding_macros(cursor))


def _expanding_macros(cursor) -> dict[tuple[str, str], str]:
    """Built-in macros whose definition calls a refused function: (kind, name) -> the refused
    function, kind 'macro' (scalar) or 'table_macro'. Kept apart because a name can be both (the
    histogram aggregate is harmless; the histogram table macro calls query_table)."""
    refused = set(DENIED_FUNCTIONS) | set(REVIEWED_REFUSED_TABLE_FUNCTIONS)
    out = {}
    for name, kind, definition in cursor.sql(
            "select function_name, function_type, macro_definition from duckdb_functions() "
            "where internal and function_type in ('macro', 'table_macro') and macro_definition is not null"
    ).fetchall():
        called = {m.lower() for m in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", definition)}
        hit = sorted((called & refused) - {name.lower()}, key=lambda n: (n not in DENIED_FUNCTIONS, n))
        if hit:
            out[(kind, name.lower())] = hit[0]   # a function that runs SQL or reads files comes first
    return out


def tables_read(cursor, sql: str) -> frozenset[str]:
    """The tables a SELECT statement names (lower case), CTE names aside, read from DuckDB's own
    syntax tree: how the catalogue finds a query file that reads agent_surveys. Raises ValueError
    with DuckDB's words for text its serializer cannot take (PIVOT, for one)."""
    tree = json.loads(cursor.sql("select json_serialize_sql($sql)", params={"sql": sql}).fetchall()[0][0])
    if tree.get("error"):
        raise ValueError(str(tree.get("error_message", "unsupported construct")).rstrip(".!"))
    collector = _TableCollector()
    collector.walk(tree.get("statements", []), frozenset())
    return frozenset(collector.tables)


class _Walker:
    """Walks DuckDB's JSON syntax tree, keeping track of the CTE names in scope."""

    judge = True   # refuse what the lab does not allow (False: only note what is read)

    def __init__(self, catalog: _Catalog | None):
        self.catalog = catalog

    def walk(self, node, scope: frozenset[str]) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item, scope)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if self.judge and isinstance(kind, str) and kind.endswith("_NODE") and kind not in _QUERY_NODES:
            what = _NODE_WORDS.get(kind, f"a {kind.removesuffix('_QUERY_NODE').removesuffix('_NODE')}")
            raise Refused(f"Refused: this query contains {what}; the lab only reads data (SELECT).")
        if kind == "TABLE_FUNCTION":
            self._table_function(node.get("function") or {})
        elif kind == "BASE_TABLE":
            self._table(node, scope)
        name = node.get("function_name") if self.judge else None
        if isinstance(name, str) and name.lower() in DENIED_FUNCTIONS:
            raise Refused(f"Refused: {name}() {DENIED_FUNCTIONS[name.lower()]}; the lab only reads "
                          "the store's tables.")
        if isinstance(name, str) and kind != "TABLE_FUNCTION" and ("macro", name.lower()) in self.catalog.expanding:
            raise Refused(f"Refused: {name}() is a built-in macro that calls "
                          f"{self.catalog.expanding[('macro', name.lower())]}(), which the lab does not allow.")
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict) and cte_map.get("map"):
            inner = set(scope)
            for entry in cte_map["map"]:
                key = str(entry.get("key", "")).lower()
                body = entry.get("value") or {}
                recursive = (body.get("query_node") or {}).get("type") == "RECURSIVE_CTE_NODE"
                # a CTE sees the ones declared before it, and itself only when recursive
                self.walk(body, frozenset(inner | ({key} if recursive else set())))
                inner.add(key)
            scope = frozenset(inner)
        for key, value in node.items():
            if key != "cte_map":
                self.walk(value, scope)

    def _table_function(self, function: dict) -> None:
        name = str(function.get("function_name", "")).lower()
        if name in DENIED_FUNCTIONS:
            return  # the generic check gives the specific reason
        if ("table_macro", name) in self.catalog.expanding:
            raise Refused(f"Refused: {name}() is a built-in table macro that calls "
                          f"{self.catalog.expanding[('table_macro', name)]}(), which the lab does not allow.")
        if name not in ALLOWED_TABLE_FUNCTIONS and name not in self.catalog.table_macros:
            offered = sorted(self.catalog.table_macros) + ["range", "generate_series", "unnest"]
            raise Refused(f"Refused: the table function {name}() is not available in the lab; it "
                          f"reads only the store. Table functions on offer: {', '.join(offered)}.")

    def _table(self, ref: dict, scope: frozenset[str]) -> None:
        name = str(ref.get("table_name", ""))
        lower = name.lower()
        schema = str(ref.get("schema_name", "")).lower()
        catalog = str(ref.get("catalog_name", "")).lower()
        if not schema and not catalog and lower in scope:
            return
        if schema == "information_schema" and catalog in ("", "system"):
            return
        if schema in ("", "main") and catalog in ("", "system") and lower in ALLOWED_METADATA_VIEWS:
            return
        store = self.catalog.database
        if lower in self.catalog.tables and (catalog, schema) in {("", ""), ("", "main"), (store, ""),
                                                                  (store, "main"), ("", store)}:
            return
        shown = ".".join(p for p in (catalog, schema, name) if p)
        raise Refused(f"Refused: '{shown}' is not a table of the store; the lab reads only the store's "
                      f"tables and views: {', '.join(sorted(self.catalog.tables))}.")


class _TableCollector(_Walker):
    """The same walk, collecting the base tables named outside any CTE of the same name."""

    judge = False

    def __init__(self):
        super().__init__(None)
        self.tables: set[str] = set()

    def _table_function(self, function: dict) -> None:
        pass   # table macros are the store's own (filtered_agents...), none of which reads agent_surveys

    def _table(self, ref: dict, scope: frozenset[str]) -> None:
        name = str(ref.get("table_name", "")).lower()
        if ref.get("schema_name") or ref.get("catalog_name") or name not in scope:
            self.tables.add(name)


# -- running ---------------------------------------------------------------------------------------

def _require_walls(cursor) -> None:
    rows = cursor.sql(
        "select name, lower(value) from duckdb_settings() where name in ('enable_external_access') "
        "union all select 'read_only', readonly::varchar from duckdb_databases() "
        "where database_name = current_database()").fetchall()
    found = dict(rows)
    wanted = {**REQUIRED_SETTINGS, "read_only": "true"}
    missing = [name for name, value in wanted.items() if found.get(name) != value]
    if missing:
        raise Refused("Refused: this connection is not read-only with external access disabled ("
                      + ", ".join(missing) + "); open the store with store.open_read_only.")


def _statement_word(kind) -> str:
    words = {
        "SELECT": "a SELECT", "INSERT": "an INSERT", "UPDATE": "an UPDATE", "DELETE": "a DELETE",
        "CREATE": "a CREATE", "DROP": "a DROP", "ALTER": "an ALTER", "ATTACH": "an ATTACH",
        "DETACH": "a DETACH", "COPY": "a COPY", "COPY_DATABASE": "a COPY DATABASE",
        "EXPORT": "an EXPORT", "LOAD": "an INSTALL or LOAD", "SET": "a SET, RESET or USE",
        "PRAGMA": "a PRAGMA (or IMPORT DATABASE)", "CALL": "a CALL (or CHECKPOINT)",
        "EXPLAIN": "an EXPLAIN", "TRANSACTION": "a transaction", "VACUUM": "a VACUUM or ANALYZE",
        "MULTI": "a PIVOT or multi-part", "MERGE_INTO": "a MERGE", "VARIABLE_SET": "a SET VARIABLE",
        "PREPARE": "a PREPARE", "EXECUTE": "an EXECUTE", "CREATE_FUNC": "a CREATE FUNCTION",
    }
    return words.get(kind.name, f"a {kind.name}")


def _param_list(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join("$" + n for n in names) if names else "none"


def _plain(exc: Exception) -> str:
    """DuckDB's message as it is (it names the error's kind, line and column), stripped."""
    text = str(exc).strip()
    if isinstance(exc, (duckdb.Error, pa.ArrowException, OSError)):   # Arrow passes DuckDB's words on
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def timeout_message(timeout: float) -> str:
    return (f"Stopped after {timeout:g} s (the time limit). Narrow the query: filter on a period or a "
            "team, aggregate with GROUP BY, or avoid joins without a condition.")


def megabytes(size: int) -> str:
    """A byte count as the messages give it: '20.0 MB'."""
    return f"{size / 2**20:,.1f} MB"


def _too_wide_message(max_bytes: int) -> str:
    return (f"The first row alone holds more than {megabytes(max_bytes)}, the most a result may bring back. "
            "Select fewer or shorter columns (left(text, 200), for one) or aggregate.")


def _bytes_note(max_bytes: int) -> str:
    return f" (a result brings back at most {megabytes(max_bytes)})"


def _summary(shown: int, total: int | None, truncated: bool) -> str:
    if not truncated:
        return f"{shown:,} row{'' if shown == 1 else 's'}"
    if total is None:
        return f"first {shown:,} rows of more than {shown:,} (counting them all ran out of time)"
    return f"first {shown:,} rows of {total:,}"
