"""The query catalogue: one SQL file per chart in queries/, each opening with a YAML header in
SQL comments that declares what the chart is. The catalogue reads the files, binds filter values as
DuckDB parameters and returns polars frames.

    -- title: CSAT by wait time
    -- description: Share of 4-5 answers by how long the customer queued.
    -- page: wait-times
    -- chart: line
    -- x: wait_bucket
    -- y: csat_pct
    -- params: [date_from, date_to, team]
    select ...
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import yaml

from dashboard import confidential, config, guard, kpis, pages, store
from dashboard.chartspec import CHART_KINDS, NEEDS_AXES, READING_KINDS, READING_ORDERS, ChartSpec, Reading
from dashboard.mapping import store_columns
from dashboard.timelimit import Watchdog

# Every parameter a query may declare. The global filters supply the first six (filters.Filters);
# page parameters come from a control on the page that shows the chart, with a default that
# `check` and other pages use.
FILTER_PARAMS = {
    "date_from": "first day of the period (DATE)",
    "date_to": "last day of the period, inclusive (DATE)",
    "site": "site name, or NULL for all sites",
    "team": "team name, or NULL for all teams",
    "channel": "channel (phone, chat, messaging), or NULL for all",
    "touchpoint": "touchpoint name, or NULL for all",
}
PAGE_PARAMS = {
    "grant_limit": ("what-if: money an agent may grant without approval (escalations page)", 300.0),
}
# parameters bound from the server's settings, read at run time: no control, link or --param can
# set them (a link must not lower the respondent threshold a query bands agents by)
SETTING_PARAMS = {
    "min_respondents": ("the respondent threshold (DASHBOARD_MIN_RESPONDENTS): the fewest agents an "
                        "agent-survey figure may rest on", config.min_respondents),
}
KNOWN_PARAMS = {**FILTER_PARAMS, **{name: text for name, (text, _) in {**PAGE_PARAMS, **SETTING_PARAMS}.items()}}


def page_param_defaults() -> dict:
    """Every non-filter parameter's value: page parameters at their defaults, settings as they stand."""
    return {**{name: default for name, (_, default) in PAGE_PARAMS.items()},
            **{name: read() for name, (_, read) in SETTING_PARAMS.items()}}
# "data": the result feeds Python on the page (statistics, what-ifs), not drawn as it is
REQUIRED = ("title", "description", "chart")
OPTIONAL = ("page", "x", "y", "color", "z", "params", "order", "tags", "y_title", "x_title", "labels",
            "error_low", "error_high", "hover", "needs", "column_needs", "row_needs", "n", "unknown", "drill",
            "log_x", "annotate_events", "barmode", "dodge", "value_labels", "target", "respondents", "reading")


UNTAGGED = "Untagged"


class QueryFileError(Exception):
    """A problem in one query file, located by line so an analyst can go straight to it."""

    def __init__(self, path: Path, line: int, message: str):
        self.path, self.line, self.message = Path(path), line, message
        super().__init__(f"{self.path}:{line}: {message}")

    @property
    def location(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass(frozen=True)
class Query:
    """A query file: its SQL and what it needs; how it is drawn is its spec (dashboard/chartspec.py)."""
    name: str                 # the file's stem: overview_customer_kpis
    path: Path
    title: str
    description: str
    sql: str                  # the whole file: DuckDB's line numbers then match the file's
    spec: ChartSpec = field(default_factory=ChartSpec)
    page: str | None = None
    params: tuple[str, ...] = ()
    order: int = 100
    tags: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()      # tables (or table.column) that must hold data for the chart to mean anything
    # result column -> the needs its values rest on: without them the column is blanked (no data, never 0)
    column_needs: dict = field(default_factory=dict, hash=False)
    # an x or colour value (a series of a long-form chart) -> its needs: without them its rows are dropped
    row_needs: dict = field(default_factory=dict, hash=False)
    header_lines: dict = field(default_factory=dict, hash=False)  # header key -> line number
    # agent-survey figure column -> the column counting its respondents (dashboard/confidential.py);
    # None: not declared, {}: the file returns only counts of agent answers
    respondents: dict | None = field(default=None, hash=False)

    def bind(self, values: dict) -> dict:
        """Only the parameters this query declares: DuckDB refuses any extra one."""
        return {name: values[name] for name in self.params}

    def line_of_sql_start(self) -> int:
        return max(self.header_lines.values(), default=0) + 1


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


# Limits on what the catalogue reads, so that one file cannot stall a page or fill the server's
# memory: the largest shipped query file is a few KB, the largest header line under 300 characters.
MAX_FILE_BYTES = 256 * 1024
MAX_HEADER_LINES = 60
MAX_HEADER_LINE_CHARS = 2_000


MAX_HEADER_DEPTH = 10   # nesting of lists and maps: labels and column_needs use two


class ShallowSafeLoader(yaml.SafeLoader):
    """safe_load without aliases and with shallow nesting: a header needs neither, an alias bomb
    (`a: &a [x, x]`, `b: &b [*a, *a]`, ...) builds billions of nodes from a few lines, and deep
    nesting (`[[[[...`) exhausts Python's recursion limit."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here",
                                              event.start_mark)
        if self.depth >= MAX_HEADER_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"values nest deeper than {MAX_HEADER_DEPTH} levels",
                                              event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_text(path: Path) -> str:
    """The file's text, refused when it is larger than MAX_FILE_BYTES (never read whole)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise QueryFileError(path, 1, f"the file is larger than {MAX_FILE_BYTES // 1024} KB, the most a query "
                             "file may hold; a chart's query is one SELECT of a few KB")
    return data.decode("utf-8")


def parse_header(path: Path, text: str) -> tuple[dict, dict]:
    """The leading `-- key: value` comment lines, read as YAML; returns (fields, key -> line)."""
    lines, numbers, where = [], [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            if lines:
                break
            continue
        if not stripped.startswith("--"):
            break
        if len(line) > MAX_HEADER_LINE_CHARS:
            raise QueryFileError(path, number, f"header line of {len(line):,} characters; a header line may hold "
                                 f"at most {MAX_HEADER_LINE_CHARS:,}")
        if len(lines) == MAX_HEADER_LINES:
            raise QueryFileError(path, number, f"the header is longer than {MAX_HEADER_LINES} lines; end it with "
                                 "the SQL (a line that is not a -- comment)")
        body = stripped[2:].removeprefix(" ")
        key = re.match(r"([A-Za-z_]+)\s*:", body)
        if key:
            where[key.group(1)] = number
        lines.append(body)
        numbers.append(number)
    if not lines:
        raise QueryFileError(path, 1, "no header: the file must open with '-- title: ...' comment lines")
    try:
        fields = yaml.load("\n".join(lines), Loader=ShallowSafeLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = numbers[min(mark.line, len(numbers) - 1)] if mark is not None else numbers[0]
        raise QueryFileError(path, line, f"header is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(fields, dict):
        raise QueryFileError(path, numbers[0], "header must be 'key: value' lines")
    return fields, where


def parse_query_file(path: Path) -> Query:
    path = Path(path)
    text = read_text(path)
    fields, where = parse_header(path, text)
    for key in REQUIRED:
        if not fields.get(key):
            raise QueryFileError(path, 1, f"header lacks '{key}'")
    for key in fields:
        if key not in REQUIRED and key not in OPTIONAL:
            raise QueryFileError(path, where.get(key, 1), f"unknown header field '{key}' (known: "
                                 f"{', '.join(REQUIRED + OPTIONAL)})")
    chart = str(fields["chart"])
    if chart not in CHART_KINDS:
        raise QueryFileError(path, where.get("chart", 1), f"chart '{chart}' is not one of {sorted(CHART_KINDS)}")
    if chart in NEEDS_AXES:
        for axis in ("x", "y") + (("z",) if chart == "heatmap" else ()):
            if not fields.get(axis):
                raise QueryFileError(path, where.get("chart", 1), f"a {chart} chart needs '{axis}' in its header")
    if fields.get("barmode") not in (None, "group", "stack", "relative", "overlay"):
        raise QueryFileError(path, where.get("barmode", 1), "barmode must be group, stack, relative or overlay")
    if fields.get("drill") and fields["drill"] != "team_name":
        raise QueryFileError(path, where.get("drill", 1), "drill can only be team_name (it narrows the team filter)")
    _check_page(path, where, fields.get("page"))
    params = _as_tuple(fields.get("params"))
    for name in params:
        if name not in KNOWN_PARAMS:
            raise QueryFileError(path, where.get("params", 1), f"unknown parameter '{name}' (known: "
                                 f"{', '.join(KNOWN_PARAMS)})")
    _check_needs(path, where, "needs", _as_tuple(fields.get("needs")))
    column_needs = _needs_by_key(path, where, "column_needs", fields.get("column_needs"))
    row_needs = _needs_by_key(path, where, "row_needs", fields.get("row_needs"))
    for key in ("n", "unknown"):
        if key in fields and not isinstance(fields[key], str):
            raise QueryFileError(path, where.get(key, 1), f"{key} must be one {'column name' if key == 'n' else 'text'}")
    try:
        order = int(fields.get("order", 100))
    except (TypeError, ValueError):
        raise QueryFileError(path, where.get("order", 1), "order must be a whole number") from None
    y = _as_tuple(fields.get("y"))
    spec = ChartSpec(
        kind=chart, x=fields.get("x"), y=y, color=fields.get("color"), z=fields.get("z"),
        labels=dict(fields.get("labels") or {}), x_title=fields.get("x_title"), y_title=fields.get("y_title"),
        error_low=fields.get("error_low"), error_high=fields.get("error_high"), hover=_as_tuple(fields.get("hover")),
        n=fields.get("n"), unknown=fields.get("unknown"), drill=fields.get("drill"), log_x=bool(fields.get("log_x")),
        annotate_events=None if fields.get("annotate_events") is None else bool(fields.get("annotate_events")),
        barmode=fields.get("barmode"), dodge=bool(fields.get("dodge")), value_labels=bool(fields.get("value_labels")),
        targets=_targets(path, where, fields.get("target"), y), reading=_reading(path, where, fields, chart, y))
    return Query(
        name=path.stem, path=path, title=str(fields["title"]), description=str(fields["description"]),
        sql=text, spec=spec, page=fields.get("page") or None, params=params, order=order,
        tags=_as_tuple(fields.get("tags")), needs=_as_tuple(fields.get("needs")), column_needs=column_needs,
        row_needs=row_needs, header_lines=where, respondents=_respondents(path, where, fields.get("respondents")),
    )


def _respondents(path: Path, where: dict, value) -> dict[str, str] | None:
    try:
        return confidential.parse(value)
    except confidential.RespondentsError as exc:
        raise QueryFileError(path, where.get("respondents", 1), str(exc)) from None


def _targets(path: Path, where: dict, value, y: tuple[str, ...]) -> dict[str, str]:
    """target: a KPI id (the chart's one y) or {y column: KPI id}; each KPI must be known."""
    if value is None:
        return {}
    line = where.get("target", 1)
    if isinstance(value, str) and len(y) == 1:
        value = {y[0]: value}
    if not isinstance(value, dict):
        raise QueryFileError(path, line, "target must map y columns to KPI ids, as in {service_level: service_level}"
                             " (or name one KPI id when the chart has one y)")
    for column, kpi in value.items():
        if column not in y:
            raise QueryFileError(path, line, f"target names '{column}', which is not one of the chart's y "
                                 f"({', '.join(y) or 'none'})")
        if kpi not in kpis.KPIS:
            raise QueryFileError(path, line, f"target '{kpi}' is not a KPI id (known: {', '.join(kpis.KPIS)})")
    return {str(column): str(kpi) for column, kpi in value.items()}


READING_KEYS = (*READING_KINDS, "hits", "n", "by", "leave_out", "unit")
READING_EXAMPLES = "{compare: ends, hits: satisfied_answers}, {medians: first, unit: h} or {correlate: teams}"


def _reading(path: Path, where: dict, fields: dict, chart: str, y: tuple[str, ...]) -> Reading | None:
    """reading: how the chart is read in words under it (chartspec.Reading), checked against the
    rest of the header so that a reading that could not be drawn is an error, not a silent gap."""
    value = fields.get("reading")
    if value is None:
        return None
    line = where.get("reading", 1)

    def refuse(message: str):
        raise QueryFileError(path, line, f"reading: {message}")

    if not isinstance(value, dict):
        refuse(f"must map keys to values, as in {READING_EXAMPLES}")
    if unknown := [str(k) for k in value if k not in READING_KEYS]:
        refuse(f"unknown key '{unknown[0]}' (known: {', '.join(READING_KEYS)})")
    kinds = [k for k in READING_KINDS if k in value]
    if len(kinds) != 1:
        refuse(f"needs exactly one of {', '.join(READING_KINDS)}, as in {READING_EXAMPLES}")
    kind, how = kinds[0], value[kinds[0]]
    if chart not in NEEDS_AXES or chart == "heatmap":
        refuse(f"a {chart} chart has no reading; a reading reads a line, bar, area or scatter chart")
    if len(y) != 1:
        refuse(f"reads one y column; this chart has {len(y)} ({', '.join(y)})")
    for key in ("hits", "n", "by", "unit"):
        if key in value and not (isinstance(value[key], str) and value[key].strip()):
            refuse(f"{key} must be one {'text' if key == 'unit' else 'column name'}")
    if kind == "correlate":
        if not isinstance(how, str) or not how.strip():
            refuse("correlate names what one point is, in words, as in {correlate: teams}")
        for key in ("hits", "n", "unit"):
            if key in value:
                refuse(f"'{key}' belongs to compare or medians, not correlate (it reads the chart's x and y)")
    else:
        if how not in READING_ORDERS:
            refuse(f"{kind} must be ends (the last category of x against the first) or first (every category "
                   f"against the first), not '{how}'")
        if kind == "compare" and "hits" not in value:
            refuse("compare needs hits: the column counting the hits out of n (say satisfied_answers), so "
                   "the difference gets its interval")
        if kind == "medians" and "hits" in value:
            refuse("'hits' belongs to compare; medians reads the chart's y (a median) and n")
        if kind == "compare" and "unit" in value:
            refuse("'unit' belongs to medians; compare reads a share in %")
        if not value.get("n") and not isinstance(fields.get("n"), str):
            refuse(f"{kind} needs n, the count column behind each row: in the reading or the header's n")
    by, color = value.get("by"), fields.get("color")
    if by is not None and by != color:
        refuse(f"by must be the chart's color column ({color or 'the chart has none'}), not '{by}'")
    if kind != "correlate" and color and by is None:
        refuse(f"the chart draws one series per {color}: say by: {color} to read each apart")
    leave_out = _as_tuple(value.get("leave_out"))
    if leave_out and by is None:
        refuse("leave_out names series of the by column; add by")
    return Reading(kind=kind, against=how if kind != "correlate" else "ends", hits=value.get("hits"),
                   n=value.get("n") or (fields.get("n") if kind != "correlate" else None),
                   points=how.strip() if kind == "correlate" else None, by=by, leave_out=leave_out,
                   unit=value.get("unit"))


def _check_page(path: Path, where: dict, page) -> None:
    """A chart on a page the app does not have would be drawn nowhere, so it is an error."""
    if page and page not in pages.pageable_paths():
        raise QueryFileError(path, where.get("page", 1), f"page '{page}' is not a page a chart can be on (known: "
                             f"{', '.join(pages.pageable_paths())}; no page: the Query catalogue)")


def _check_needs(path: Path, where: dict, key: str, needs: tuple[str, ...]) -> None:
    for need in needs:
        table, _, column = need.partition(".")
        known = store_columns().get(table)
        if known is None or (column and column not in known):
            raise QueryFileError(path, where.get(key, 1), f"{key} '{need}': not a store table or table.column")


def _needs_by_key(path: Path, where: dict, key: str, value) -> dict[str, tuple[str, ...]]:
    """column_needs or row_needs: {name: need or [needs]}, each need a store table or table.column."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise QueryFileError(path, where.get(key, 1), f"{key} must map names to needs, as in "
                             "{escalation_pct: interactions.escalation_depth}")
    out = {}
    for name, needs in value.items():
        out[str(name)] = _as_tuple(needs)
        _check_needs(path, where, key, out[str(name)])
    return out


_parser = threading.local()


def _parsing_connection() -> duckdb.DuckDBPyConnection:
    # one in-memory connection per thread just to parse: opening one per file cost ~50 ms each
    if not hasattr(_parser, "con"):
        _parser.con = duckdb.connect()
    return _parser.con


def parse_statements(sql: str) -> list:
    return _parsing_connection().extract_statements(sql)


def check_statement(query: Query) -> None:
    """One SELECT statement whose $parameters are exactly those the header declares, judged by
    DuckDB's own parser rather than by matching keywords."""
    try:
        statements = parse_statements(query.sql)
    except duckdb.Error as exc:
        raise QueryFileError(query.path, _error_line(query, str(exc)), _first_line(exc)) from None
    if len(statements) != 1:
        raise QueryFileError(query.path, query.line_of_sql_start(),
                             f"expected one SQL statement, found {len(statements)}")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise QueryFileError(query.path, query.line_of_sql_start(),
                             f"a chart needs a select query; this is a {statement.type.name} statement")
    used = set(statement.named_parameters)
    for name in sorted(used - set(query.params)):
        raise QueryFileError(query.path, _line_of(query.sql, "$" + name),
                             f"${name} is used but not declared in the header's params")
    for name in sorted(set(query.params) - used):
        raise QueryFileError(query.path, query.header_lines.get("params", 1),
                             f"parameter '{name}' is declared but the SQL never uses ${name}")
    _check_respondents_declared(query)


def _check_respondents_declared(query: Query) -> None:
    """A file that reads agent_surveys says which of its columns are agent-survey figures and what
    counts their respondents (dashboard/confidential.py), or that it returns only counts: without
    that, a figure for one agent could reach a page. The tables are DuckDB's parse, not a text match."""
    if query.respondents is not None:
        return
    try:
        tables = guard.tables_read(_parsing_connection(), query.sql)
    except (ValueError, duckdb.Error) as exc:
        raise QueryFileError(query.path, query.line_of_sql_start(), "cannot tell which tables this query reads "
                             f"({_first_line(exc)}); write it without that construct") from None
    if confidential.AGENT_SURVEYS in tables:
        raise QueryFileError(query.path, _line_of(query.sql, confidential.AGENT_SURVEYS),
                             "reads agent_surveys but its header has no 'respondents': map each agent-survey "
                             "figure column to the column counting its respondents (distinct agents), as in "
                             "-- respondents: {agent_satisfaction: agent_respondents}, or write "
                             f"-- respondents: {confidential.COUNTS_ONLY} when it returns only counts of answers")


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line and not line.lstrip().startswith("--"):
            return number
    return 1


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _error_line(query: Query, message: str) -> int:
    """DuckDB names the line for syntax errors; for others, find the name the error is about."""
    match = re.search(r"LINE (\d+):", message)
    if match:
        return int(match.group(1))
    named = re.search(r'(?:with name |column |")([A-Za-z_][A-Za-z0-9_.]*)', message)
    if named:
        pattern = re.compile(r"\b" + re.escape(named.group(1).split(".")[-1]) + r"\b")
        for number, line in enumerate(query.sql.splitlines(), start=1):
            if number >= query.line_of_sql_start() and pattern.search(line):
                return number
    return query.line_of_sql_start()


class QueryStopped(QueryFileError):
    """A query that ran past the page's time limit and was interrupted."""

    @property
    def location(self) -> str:
        return self.path.name   # the whole query ran too long, not one line of it


def execute(con: duckdb.DuckDBPyConnection, query: Query, values: dict,
            timeout_s: float | None = None) -> pl.DataFrame:
    """Runs the query with the filter values it declares bound as parameters, on a cursor of its
    own (the connection is shared by Streamlit's threads), interrupted by DuckDB once it has run
    timeout_s seconds (default: config.page_query_timeout_s()); then raises QueryStopped."""
    limit = config.page_query_timeout_s() if timeout_s is None else timeout_s
    cursor = con.cursor()
    try:
        with Watchdog(cursor, limit) as watchdog:
            try:
                return store.rows(cursor, query.sql, query.bind(values) or None)
            except duckdb.Error as exc:
                if watchdog.fired:
                    raise QueryStopped(query.path, query.line_of_sql_start(), _stopped_message(limit)) from None
                raise QueryFileError(query.path, _error_line(query, str(exc)), " ".join(str(exc).split())) from None
    finally:
        cursor.close()


def run_key(query: Query, values: dict) -> tuple:
    """What makes two runs of a query the same: its SQL and the values it binds (others are ignored)."""
    return query.sql, tuple(sorted(query.bind(values).items()))


# The longest each query (by its SQL) has taken when run together, in this process: a page's plan
# starts its slowest queries first, so that a long one does not start last and hold the page up after
# the others are done (the longest-first rule); a query never run yet counts as the slowest. The
# longest, not the last: a result served from the cache takes no time, yet the query is slow cold.
_LONGEST_S: dict[str, float] = {}


def run_together(planned: Sequence[tuple[Query, dict]], run: Callable[[Query, dict], object],
                 workers: int) -> dict[tuple, QueryFileError]:
    """Runs the planned (query, values) pairs through `run`, `workers` at a time and the slowest
    first, for its cache: the rows come back when the page's sections ask `run` again. Returns the
    errors by run_key, so a section reading a query that failed or stopped here is told so at once
    instead of running it again (a stopped query would cost its time limit twice)."""
    failed: dict[tuple, QueryFileError] = {}

    def one(pair: tuple[Query, dict]) -> None:
        started = time.perf_counter()
        try:
            run(*pair)
        except QueryFileError as err:   # QueryStopped included
            failed[run_key(*pair)] = err
        took = time.perf_counter() - started
        _LONGEST_S[pair[0].sql] = max(took, _LONGEST_S.get(pair[0].sql, 0.0))
    slowest_first = sorted(planned, key=lambda pair: -_LONGEST_S.get(pair[0].sql, math.inf))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page-query") as pool:
        list(pool.map(one, slowest_first))
    return failed


def _stopped_message(limit: float) -> str:
    return (f"stopped after {limit:g} s, the time limit for a page's query (DASHBOARD_PAGE_QUERY_TIMEOUT_S). "
            "The rest of the page is shown; narrow the period or team, or ask whoever maintains this query file "
            "to make it faster.")


@dataclass
class Catalogue:
    queries: list[Query]
    errors: list[QueryFileError]

    def for_page(self, page: str) -> list[Query]:
        """The charts of a page, in order ('data' queries feed the page's code instead)."""
        return sorted((q for q in self.queries if q.page == page and q.spec.kind != "data"),
                      key=lambda q: (q.order, q.name))

    def errors_for_page(self, page: str) -> list[QueryFileError]:
        """Broken files that say they belong to the page (read loosely, since they did not parse)."""
        return [err for err in self.errors if _declared_page(err) == page]

    def by_tag(self) -> dict[str, list[Query]]:
        """Charts whose header names no page, grouped by their first tag (the queries page)."""
        groups: dict[str, list[Query]] = {}
        for q in sorted(self.queries, key=lambda q: (q.order, q.name)):
            if q.page is None and q.spec.kind != "data":
                groups.setdefault(q.tags[0] if q.tags else UNTAGGED, []).append(q)
        return dict(sorted(groups.items(), key=lambda item: (item[0] == UNTAGGED, item[0].lower())))

    def errors_without_page(self) -> list[QueryFileError]:
        """Broken files that name no page or an unknown one, or whose header cannot even be read:
        the queries page shows them, so no broken file goes unseen."""
        return [err for err in self.errors if _declared_page(err) is None]

    def get(self, name: str) -> Query:
        for q in self.queries:
            if q.name == name:
                return q
        raise KeyError(name)


def _declared_page(err: QueryFileError) -> str | None:
    """The page a broken file's header names, when the header can be read at all and the page
    exists (an unknown page's error is shown on the queries page, or no page would show it)."""
    try:
        fields, _ = parse_header(err.path, read_text(err.path))
    except (QueryFileError, OSError, UnicodeDecodeError):
        return None
    page = fields.get("page")
    return page if page in pages.pageable_paths() else None


@functools.lru_cache(maxsize=2048)
def _load_file(path: Path, mtime_ns: int, size: int) -> Query | QueryFileError:
    """A file is read again only when it changes (the key holds its mtime and size)."""
    try:
        query = parse_query_file(path)
        check_statement(query)
        return query
    except QueryFileError as err:
        return err
    except (OSError, UnicodeDecodeError) as exc:
        return QueryFileError(path, 1, f"cannot read: {exc}")


def load(folder: Path) -> Catalogue:
    """Every *.sql file in the folder; a broken file is kept as an error, never hides the rest."""
    queries, errors = [], []
    for path in sorted(Path(folder).glob("*.sql")):
        try:
            stat = path.stat()
        except OSError as exc:  # removed between listing and reading
            errors.append(QueryFileError(path, 1, f"cannot read: {exc}"))
            continue
        loaded = _load_file(path, stat.st_mtime_ns, stat.st_size)
        (errors if isinstance(loaded, QueryFileError) else queries).append(loaded)
    return Catalogue(queries, errors)


def listing(cat: Catalogue) -> pl.DataFrame:
    """One row per query file, for analysts browsing what exists (broken files included)."""
    rows = [{"file": q.path.name, "title": q.title, "page": q.page or "", "chart": q.spec.kind,
             "tags": ", ".join(q.tags), "params": ", ".join(q.params), "problem": ""} for q in cat.queries]
    rows += [{"file": e.path.name, "title": "", "page": "", "chart": "", "tags": "", "params": "",
              "problem": f"line {e.line}: {e.message}"} for e in cat.errors]
    return pl.DataFrame(rows, schema={k: pl.String for k in ("file", "title", "page", "chart", "tags", "params",
                                                            "problem")}).sort("file")
