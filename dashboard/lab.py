"""The SQL lab's logic: the schema browser, the quick chart over a result, and "Save as chart"
(a query file with its header filled in). Running the SQL itself is dashboard.guard's job."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import cachetools
import duckdb
import polars as pl
import yaml

from dashboard import catalogue, config, guard, store
from dashboard.chartspec import ChartSpec

QUICK_CHARTS = ("bar", "line", "area", "scatter")
EXAMPLE = """select team_name, count(*) as contacts, avg(wait_s) as mean_wait_s
from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
group by team_name
order by contacts desc"""
SAVE_ENV = "DASHBOARD_LAB_SAVE"   # "1": the lab may write query files into the review folder
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,79}$")
CACHE_ENV = "DASHBOARD_LAB_CACHE_MB"   # the megabytes of results the lab keeps for reruns
DEFAULT_CACHE_MB = 100
CACHE_SECONDS = 600
KEPT_KINDS = ("ok", "refused", "error")   # a stopped or busy query may fare better on a quieter server


class ResultCache:
    """The lab's results by (store version, SQL, parameters, limits), bounded in bytes as well as
    time: a Streamlit rerun (a chart picked, a title typed) must not run the query again, and no
    sequence of queries may make the server hold more than `max_bytes` of results. A result larger
    than the whole cache is simply not kept. Shared by every session, so guarded by a lock."""

    def __init__(self, max_bytes: int, seconds: float = CACHE_SECONDS):
        self._entries = cachetools.TTLCache(maxsize=max_bytes, ttl=seconds, getsizeof=_outcome_bytes)
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], guard.Outcome]) -> guard.Outcome:
        with self._lock:
            found = self._entries.get(key)
        if found is not None:
            return found
        outcome = compute()
        if outcome.kind in KEPT_KINDS:
            with self._lock:
                try:
                    self._entries[key] = outcome
                except ValueError:   # larger than the whole cache
                    pass
        return outcome

    @property
    def bytes_held(self) -> int:
        with self._lock:
            self._entries.expire()
            return int(self._entries.currsize)


def cache_bytes_from_env() -> int:
    """$DASHBOARD_LAB_CACHE_MB in bytes; raises ValueError naming a malformed setting."""
    return int(config.number_from_env(CACHE_ENV, DEFAULT_CACHE_MB, 0, "megabytes") * 2**20)


def _outcome_bytes(outcome: guard.Outcome) -> int:
    rows = outcome.frame.estimated_size() if outcome.frame is not None else 0
    return rows + len(outcome.message) + 512   # the rest of an outcome, roughly


def can_save() -> bool:
    """Writing files on the server is for a server to opt in to. Even then the lab writes only into
    the review folder (config.review_dir), never into queries/: a query checked at the lab's
    filter values can still be slow or wrong at others, so a person moves it onto the pages."""
    return os.environ.get(SAVE_ENV, "").strip().lower() in ("1", "true", "yes")


def schema(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(tables with their row counts, columns with their types), from DuckDB's own catalog."""
    columns = store.run(con, """
        select table_name as "table", column_name as "column", data_type as "type",
               is_nullable = 'YES' as nullable
        from information_schema.columns
        where table_schema = 'main'
        order by table_name, ordinal_position""")
    names = columns["table"].unique(maintain_order=True).to_list()
    # names come from DuckDB's catalog, not from a user: safe to quote into the count
    counts = [store.run(con, f'select count(*) as n from "{name}"').item() for name in names]
    tables = pl.DataFrame({"table": names, "rows": counts}, schema={"table": pl.String, "rows": pl.Int64})
    return tables, columns


def quick_chart(kind: str, x: str, y: list[str], color: str | None) -> ChartSpec:
    """A chart spec, so the lab draws with the same code as every page."""
    if kind not in QUICK_CHARTS:
        raise ValueError(f"chart must be one of {', '.join(QUICK_CHARTS)}")
    return ChartSpec(kind=kind, x=x, y=tuple(y), color=color or None)


def slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    return (words or "my_chart")[:60]


def query_file_text(sql: str, title: str, description: str, chart: str, x: str | None = None,
                    y: list[str] | None = None, color: str | None = None, page: str | None = None,
                    tags: list[str] | None = None) -> str:
    """A query file: the header the catalogue reads, then the SQL. Its params are the $names the
    SQL uses, found by DuckDB's parser. Raises catalogue.QueryFileError if the file would not
    load (the same check the app applies to queries/)."""
    params = [p for p in catalogue.KNOWN_PARAMS if p in _named_parameters(sql)]
    title, description = " ".join(title.split()), " ".join(description.split())   # one header line each
    header = {"title": title or "Untitled", "description": description or title or "Untitled",
              "chart": chart}
    if page:
        header["page"] = page
    if tags:
        header["tags"] = list(tags)
    if chart != "table":
        header.update({k: v for k, v in (("x", x), ("y", y[0] if y and len(y) == 1 else y), ("color", color)) if v})
    if params:
        header["params"] = params
    lines = [f"-- {key}: {_yaml_value(value)}" for key, value in header.items()]
    text = "\n".join(lines) + "\n" + sql.strip().rstrip(";").strip() + "\n"
    validate(text)
    return text


def validate(text: str) -> catalogue.Query:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lab_chart.sql"
        path.write_text(text, encoding="utf-8")
        query = catalogue.parse_query_file(path)
        catalogue.check_statement(query)
    return query


def save(text: str, folder: Path, name: str) -> Path:
    """Writes a new query file; never overwrites one (an edit belongs in the file itself)."""
    if Path(folder).resolve() == config.queries_dir().resolve():
        raise ValueError(f"the lab saves for review only; {folder} is the folder the pages read "
                         "(set DASHBOARD_LAB_REVIEW to another folder)")
    if not FILE_NAME.match(name):
        raise ValueError("a file name is lower-case letters, digits and _, starting with a letter or digit")
    validate(text)
    path = Path(folder) / f"{name}.sql"
    try:
        with open(path, "x", encoding="utf-8") as handle:   # "x": fails if the file exists
            handle.write(text)
    except FileExistsError:
        raise ValueError(f"{path.name} already exists in {folder}; pick another name") from None
    return path


def _named_parameters(sql: str) -> set[str]:
    try:
        statements = catalogue.parse_statements(sql)
    except duckdb.Error:
        return set()
    return {name for statement in statements for name in statement.named_parameters}


def _yaml_value(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip().removesuffix("\n...")
