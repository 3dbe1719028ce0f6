"""Mapping files (data/mappings/*.yaml): how one export format feeds the store's tables.

A new export format needs a new mapping file, not new code. A mapping has a `source` section (how
to read the file) and a `tables` section (for each store table it feeds, which source columns or
derived values fill which store columns). The README documents the format with an example; this
module reads it, checks it against data/schema.sql, and reports mistakes by file and key.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import yaml

from dashboard import config

# The order tables are filled in, so a referenced team, touchpoint or agent exists first.
TABLE_ORDER = ("teams", "touchpoints", "customers", "agents", "interactions", "contact_intervals",
               "customer_surveys", "agent_surveys", "agent_requests", "training", "events")

# Ids the importer assigns when a mapping gives none (rows are then told apart by NATURAL_KEYS).
AUTO_IDS = {"teams": "team_id", "touchpoints": "touchpoint_id", "agents": "agent_id",
            "agent_requests": "request_id", "events": "event_id"}

# What makes a row the same row: duplicates in one import are errors, and rows whose key is
# already in the store are skipped by --append (so importing a file twice adds nothing twice).
KEYS = {"teams": ("team_name",), "touchpoints": ("touchpoint_name",), "agents": ("agent_name",),
        "customers": ("customer_id",), "interactions": ("interaction_id",),
        "customer_surveys": ("interaction_id",), "agent_surveys": ("agent_id", "surveyed_at", "milestone"),
        "agent_requests": ("agent_id", "opened_at", "kind"), "training": ("agent_id", "held_on", "topic"),
        "events": ("starts_on", "title"),
        "contact_intervals": ("interval_start", "team_id", "channel", "touchpoint_id")}

# A mapping may name a team, touchpoint or agent instead of giving its id; the importer looks the
# name up among the rows of the same import and the store.
REFERENCES = {"team_name": ("team_id", "teams"), "touchpoint_name": ("touchpoint_id", "touchpoints"),
              "agent_name": ("agent_id", "agents")}

SOURCE_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet",
                  ".xlsx": "xlsx"}
LINE_ENDS = {"auto": None, "lf": "\\n", "crlf": "\\r\\n", "cr": "\\r"}
DEFAULT_MISSING = ("", "NA", "N/A", "?")
DEFAULT_TRUE = ("y", "yes", "1", "true", "t")
DEFAULT_FALSE = ("n", "no", "0", "false", "f")
DURATIONS = ("seconds", "minutes", "hms")
AGGREGATES = ("first", "last", "min", "max", "count", "count_distinct", "sum")
COUNTING = ("count", "count_distinct", "sum")          # aggregates that give a number whatever they fold
TESTS = ("in", "not_in", "present", "above", "below", "at_least", "at_most", "matches")
NUMERIC_TESTS = {"above": ">", "below": "<", "at_least": ">=", "at_most": "<="}

# The answer scales of survey columns: a `scale:` key rescales another scale onto these, and
# answers outside them are impossible values.
SCALES = {("customer_surveys", "csat"): (1, 5), ("customer_surveys", "nps"): (0, 10),
          ("customer_surveys", "ces"): (1, 7),
          **{("agent_surveys", c): (1, 5) for c in ("satisfaction", "empowerment", "manager_support",
                                                    "training_adequacy", "pressure")},
          ("agent_surveys", "enps"): (0, 10)}
# An undeclared scale is refused when at least this many answers never reach the store's top answer.
SCALE_CHECK_ANSWERS = 30

# An interval report's counts (contact_intervals): each of these is a part, or a total, of the count it
# names, so a mapping filling it fills that one too (a total wait with nobody it is over is no ASA).
INTERVAL_BASES = {"answered_wait_s": "answered_with_wait", "answered_within_20s": "answered_with_wait",
                  "abandoned_wait_s": "abandoned_with_wait", "abandoned_with_wait": "abandoned",
                  "answered_with_wait": "answered", "handle_s": "handled", "handled": "answered",
                  "first_contact_resolved": "resolution_known", "escalated": "depth_recorded",
                  "wait_sla_met": "wait_sla_judged", "resolution_sla_met": "resolution_sla_judged",
                  "csat_satisfied": "csat_answers", "promoters": "nps_answers", "detractors": "nps_answers",
                  "ces_sum": "ces_answers"}
# An ACD measures the wait and handle time of every contact it answers: unless the mapping says otherwise,
# the contacts with a recorded wait (or handle time) are the answered ones.
INTERVAL_IMPLIED = {"answered_with_wait": "answered", "handled": "answered"}
# Sums of seconds or answers, not counts of contacts: a part of nothing, bounded by no other column.
INTERVAL_TOTALS = ("answered_wait_s", "abandoned_wait_s", "handle_s", "ces_sum")

# how a value of each kind is written in a mapping, for messages
KIND_WORDS = {"integer": "a whole number", "number": "a number", "boolean": "true or false",
              "date": "a date such as 2024-03-05", "timestamp": "a date and time such as 2024-03-05 09:30:00",
              "text": "text"}

SOURCE_KEYS = {"format", "separator", "encoding", "line_end", "header", "columns", "sheet", "missing", "skip_lines",
               "drop_rows", "keep_rows"}
TABLE_KEYS = {"rows", "where_present", "columns", "drop_rows", "keep_rows", "order_by", "contacts_per_row"}
FIELD_KEYS = {"column", "columns", "date", "time", "constant", "seconds_between", "add_seconds", "when", "average_of",
              "times", "format",
              "date_format", "time_format", "duration", "true", "false", "otherwise", "pattern", "map", "bands",
              "cap", "scale", "after", "only_if", "default", "unless", "aggregate"}
VALUE_KINDS = ("column", "columns", "date", "constant", "seconds_between", "add_seconds", "when", "average_of")
KEY_SEPARATOR = "\x1f"     # between the cells of a key from several columns, before hashing
KEY_JOIN = " / "            # between the cells of a key from several columns kept as text


class MappingError(ValueError):
    """A mistake in a mapping file, named by the file and the key it is under."""

    def __init__(self, path: Path, where: str, message: str):
        self.path, self.where, self.message = Path(path), where, message
        super().__init__(f"{Path(path).name}: {where}: {message}" if where else f"{Path(path).name}: {message}")


@dataclass(frozen=True)
class Column:
    """A store column as data/schema.sql declares it."""
    name: str
    type: str          # DuckDB's type name: VARCHAR, INTEGER, BIGINT, DECIMAL(10,2), DOUBLE, BOOLEAN, DATE, TIMESTAMP
    required: bool     # NOT NULL

    @property
    def kind(self) -> str:
        if self.type in ("INTEGER", "BIGINT"):
            return "integer"
        if self.type.startswith("DECIMAL") or self.type == "DOUBLE":
            return "number"
        return {"BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp"}.get(self.type, "text")


@functools.lru_cache(maxsize=1)
def store_columns() -> dict[str, dict[str, Column]]:
    """Every table's columns, read from data/schema.sql by DuckDB itself."""
    with duckdb.connect() as con:
        con.execute(config.SCHEMA_SQL.read_text())
        rows = con.sql("select table_name, column_name, data_type, is_nullable from information_schema.columns "
                       "order by table_name, ordinal_position").fetchall()
    tables: dict[str, dict[str, Column]] = {}
    for table, name, type_, nullable in rows:
        tables.setdefault(table, {})[name] = Column(name, type_, nullable == "NO")
    return tables


@dataclass(frozen=True)
class Condition:
    """A test on source cells: {column: C, TEST: V}, or all / any / not of other conditions."""
    op: str                                  # one of TESTS, or all, any, not
    column: str | None = None
    values: tuple = ()                       # in/not_in: the words; a numeric test: (N,); matches: (REGEX,);
                                             # present: (True/False,)
    parts: tuple["Condition", ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        if self.column:
            return (self.column,)
        return tuple(dict.fromkeys(c for p in self.parts for c in p.columns))

    def numeric_tests(self) -> dict[str, str]:
        """Each column read as a number here -> one test on it, as written (for messages)."""
        if self.op in NUMERIC_TESTS:
            return {self.column: self.describe()}
        found: dict[str, str] = {}
        for part in self.parts:
            for column, test in part.numeric_tests().items():
                found.setdefault(column, test)
        return found

    def describe(self) -> str:
        if self.op in ("all", "any"):
            return "(" + f" {'and' if self.op == 'all' else 'or'} ".join(p.describe() for p in self.parts) + ")"
        if self.op == "not":
            return f"not {self.parts[0].describe()}"
        if self.op == "present":
            return f"{self.column} {'present' if self.values[0] else 'missing'}"
        value = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in self.values)
        return f"{self.column} {self.op} {value!r}" if self.op == "matches" else f"{self.column} {self.op} {value}"


@dataclass(frozen=True)
class RowRule:
    """drop_rows / keep_rows (or where_present): which source rows feed the file's tables or one table."""
    where: str                 # the key it is written under, e.g. source.drop_rows
    condition: Condition
    keep: bool                 # True: only rows meeting the condition stay; False: rows meeting it go

    def describe(self) -> str:
        return f"{self.where} ({'keeps only ' if self.keep else ''}{self.condition.describe()})"


@dataclass(frozen=True)
class Band:
    """One band of `bands:`: numbers from low to high (inclusive; high None: no limit) become value."""
    label: str
    low: float
    high: float | None
    value: object


@dataclass(frozen=True)
class Source:
    format: str | None = None          # csv, tsv, parquet, xlsx; None: from the file's extension
    separator: str | None = None
    encoding: str = "utf-8"
    line_end: str = "auto"
    header: bool = True
    columns: tuple[str, ...] = ()      # names of the columns when the file has no header row
    sheet: str | None = None
    missing: tuple[str, ...] = DEFAULT_MISSING
    skip_lines: int = 0                # CSV/TSV: lines before the header (titles some exports put on top)
    row_rules: tuple[RowRule, ...] = ()   # drop_rows / keep_rows for every table the file feeds

    def format_of(self, path: Path) -> str:
        if self.format:
            return self.format
        fmt = SOURCE_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(f"{path.name}: cannot tell the format from the extension '{path.suffix}'; "
                             f"set source.format in the mapping (csv, tsv, parquet or xlsx)")
        return fmt


@dataclass(frozen=True)
class Field:
    """How one store column is filled: one value kind (none only for aggregate: count), then the
    steps in this order: pattern -> map or true/false -> duration -> bands -> cap -> scale -> after
    -> only_if -> default -> unless."""
    target: str
    column: str | None = None
    columns: tuple[str, ...] | None = None     # a key from one or more columns (a stable id, or text)
    date: str | None = None
    time: str | None = None
    constant: object = None
    has_constant: bool = False
    seconds_between: tuple[str, str] | None = None
    add_seconds: tuple[str, str] | None = None
    when: Condition | None = None
    format: str | None = None
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M:%S"
    duration: str | None = None
    true: tuple[str, ...] | None = None
    false: tuple[str, ...] | None = None
    otherwise: object = None
    has_otherwise: bool = False
    pattern: str | None = None
    map: dict | None = None                    # source word (as written) -> store value (None: missing)
    bands: tuple[Band, ...] | None = None
    cap: tuple[float | None, float] | None = None
    scale: tuple[int, int] | None = None       # the answers' own scale ...
    scale_to: tuple[int, int] | None = None    # ... and the store column's, which it is rescaled onto
    after: str | None = None
    only_if: Condition | None = None
    default: object = None
    unless: str | None = None
    aggregate: str = "first"
    average_of: str | None = None      # a source column of averages: the value is the average x `times`
    times: str | None = None           # ... the store column (a count of the same row) it is an average over
    same_as: str | None = None         # a count implied by another of the row (see INTERVAL_IMPLIED), not written

    @property
    def source_columns(self) -> tuple[str, ...]:
        return tuple(c for c in (self.column, *(self.columns or ()), self.date, self.time, self.average_of) if c)

    @property
    def condition_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for cond in (self.when, self.only_if) if cond for c in cond.columns))

    @property
    def uses(self) -> tuple[str, ...]:
        """Store columns of the same table this field is computed from."""
        derived = self.seconds_between or self.add_seconds or ()
        return tuple(derived) + tuple(c for c in (self.unless, self.after, self.times, self.same_as) if c)

    def describe(self) -> str:
        """How the field reads in a message: the source column(s) it comes from."""
        if self.same_as:
            return f"{self.target} (taken to be {self.same_as})"
        if self.source_columns:
            return " + ".join(f"'{c}'" for c in self.source_columns)
        if self.when:
            return f"when {self.when.describe()}"
        return f"{self.target} (derived)"


@dataclass(frozen=True)
class TableMapping:
    table: str
    fields: dict[str, Field]
    distinct: bool = False             # one row per distinct key instead of one per source row
    row_rules: tuple[RowRule, ...] = ()   # drop_rows, keep_rows and where_present of this table
    order_by: str | None = None        # distinct tables: the order rows are folded in (store or source column)
    order_format: str | None = None    # order_by: {column: C, format: F}: the source column's dates, as F reads them
    order_from_source: bool = False    # order_by was written {column: C}: a source column even if C is a store column
    contacts_per_row: str | None = None   # the file is aggregated: refused by the importer for now

    @property
    def order_by_source(self) -> str | None:
        """order_by when it names a source column rather than a store column of this table."""
        if self.order_by and (self.order_from_source or self.order_by not in self.fields):
            return self.order_by
        return None


@dataclass(frozen=True)
class Mapping:
    path: Path
    source: Source
    tables: dict[str, TableMapping] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    def source_columns(self) -> dict[str, list[str]]:
        """Each source column the mapping reads -> the 'table.column' places it feeds."""
        used: dict[str, list[str]] = {}
        for rule in self.source.row_rules:
            for col in rule.condition.columns:
                used.setdefault(col, []).append(rule.where)
        for tm in self.tables.values():
            for rule in tm.row_rules:
                for col in rule.condition.columns:
                    used.setdefault(col, []).append(rule.where)
            if tm.order_by_source:
                used.setdefault(tm.order_by_source, []).append(f"tables.{tm.table}.order_by")
            for f in tm.fields.values():
                for col in f.source_columns + f.condition_columns:
                    used.setdefault(col, []).append(f"{tm.table}.{f.target}")
        return {col: list(dict.fromkeys(places)) for col, places in used.items()}


def load(path: str | Path) -> Mapping:
    path = Path(path)
    raw = _yaml_of(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict) or not raw["tables"]:
        raise MappingError(path, "", "a mapping needs a 'tables' section naming at least one store table")
    unknown = set(raw) - {"source", "tables", "description"}
    if unknown:
        raise MappingError(path, "", f"unknown section(s) {sorted(unknown)}; expected source, tables, description")
    source = _source(path, raw.get("source") or {})
    schema = store_columns()
    tables = {}
    for table, spec in raw["tables"].items():
        if table not in schema:
            raise MappingError(path, f"tables.{table}", f"no such store table; the store has {', '.join(TABLE_ORDER)}")
        tables[table] = _table(path, table, spec or {}, schema[table])
    if "contact_intervals" in tables and "interactions" in tables:
        raise MappingError(path, "tables", "a mapping feeds interactions (one row per contact) or contact_intervals "
                                           "(an interval report's counts), not both: the store builds its intervals "
                                           "from its contacts")
    ordered = {t: tables[t] for t in TABLE_ORDER if t in tables}
    return Mapping(path=path, source=source, tables=ordered)


# A mapping is a short hand-written file: anything far bigger is a mistake (or hostile, such as
# YAML aliases that expand a few lines into billions of values), refused before it is looked at.
MAX_MAPPING_BYTES = 1_000_000
MAX_MAPPING_VALUES = 100_000
MAX_MAPPING_DEPTH = 32


def _yaml_of(path: Path):
    try:
        if path.stat().st_size > MAX_MAPPING_BYTES:
            raise MappingError(path, "", f"{path.stat().st_size:,} bytes is far more than a mapping holds; "
                                         f"is this the right file?")
        text = path.read_text(encoding="utf-8")
        # every value as text: YAML 1.1 would read N, no or off as false and 01 as 1
        raw = yaml.load(text, Loader=yaml.BaseLoader)
    except FileNotFoundError:
        raise MappingError(path, "", "no such mapping file") from None
    except IsADirectoryError:
        raise MappingError(path, "", "is a folder, not a mapping file") from None
    except OSError as exc:
        raise MappingError(path, "", f"cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise MappingError(path, "", "not UTF-8 text; a mapping is a YAML text file") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise MappingError(path, "", f"not valid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise MappingError(path, "", f"not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise MappingError(path, "", "nested too deeply; a mapping has a few levels") from None
    _check_size(path, raw)
    return raw


def _check_size(path: Path, raw) -> None:
    """Counts values (each alias as often as it is used) before looking at any, stopping at the limits."""
    pending, seen = [(raw, 0)], 1
    while pending:
        value, depth = pending.pop()
        if depth > MAX_MAPPING_DEPTH:
            raise MappingError(path, "", f"nested more than {MAX_MAPPING_DEPTH} levels deep; a mapping has a few")
        children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        seen += len(children)
        if seen > MAX_MAPPING_VALUES:
            raise MappingError(path, "", f"holds more than {MAX_MAPPING_VALUES:,} values (YAML aliases count each "
                                         f"time they are used); a mapping has a few hundred")
        pending += [(child, depth + 1) for child in children]


def _source(path: Path, raw: dict) -> Source:
    if not isinstance(raw, dict):
        raise MappingError(path, "source", "must be a mapping of settings")
    unknown = set(raw) - SOURCE_KEYS
    if unknown:
        raise MappingError(path, "source", f"unknown setting(s) {sorted(unknown)}; known: {sorted(SOURCE_KEYS)}")
    fmt = raw.get("format")
    if fmt is not None and fmt not in set(SOURCE_FORMATS.values()):
        raise MappingError(path, "source.format", f"'{fmt}' is not one of csv, tsv, parquet, xlsx")
    line_end = str(raw.get("line_end", "auto")).lower()
    if line_end not in LINE_ENDS:
        raise MappingError(path, "source.line_end", f"'{line_end}' is not one of {', '.join(LINE_ENDS)}")
    separator = raw.get("separator")
    if separator is not None and (not isinstance(separator, str) or len(separator.encode()) != 1):
        raise MappingError(path, "source.separator", f"must be one character, got {separator!r}")
    encoding = str(raw.get("encoding", "utf-8"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise MappingError(path, "source.encoding", f"unknown encoding '{encoding}'") from None
    header = _flag(path, "source.header", raw.get("header", "true"))
    columns = tuple(str(c) for c in raw.get("columns") or ())
    if header is False and not columns:
        raise MappingError(path, "source.columns", "a file without a header row needs its columns named, in order")
    missing = raw.get("missing", list(DEFAULT_MISSING))
    skip_lines = raw.get("skip_lines", "0")
    if not str(skip_lines).isdigit():
        raise MappingError(path, "source.skip_lines", f"must be a whole number, got {skip_lines!r}")
    if not isinstance(missing, list):
        raise MappingError(path, "source.missing", "must be a list of the values that mean 'no value'")
    return Source(format=fmt, separator=separator, encoding=encoding, line_end=line_end, header=bool(header),
                  columns=columns, sheet=raw.get("sheet"), missing=tuple("" if m is None else str(m) for m in missing),
                  skip_lines=int(skip_lines), row_rules=_row_rules(path, "source", raw))


def _row_rules(path: Path, where: str, raw: dict) -> tuple[RowRule, ...]:
    """drop_rows, keep_rows and the older where_present: C (keep rows where C has a value), in that order."""
    rules = [RowRule(f"{where}.{key}", _condition(path, f"{where}.{key}", raw[key]), keep=key == "keep_rows")
             for key in ("drop_rows", "keep_rows") if key in raw]
    if "where_present" in raw:
        column = raw["where_present"]
        if not isinstance(column, str) or not column:
            raise MappingError(path, f"{where}.where_present", "names one source column")
        rules.append(RowRule(f"{where}.where_present", Condition("present", column, (True,)), keep=True))
    return tuple(rules)


def _condition(path: Path, where: str, raw) -> Condition:
    """{column: C, TEST: V} | {all: [...]} | {any: [...]} | {not: condition} | [condition, ...] (all of them)."""
    if isinstance(raw, list):
        if not raw:
            raise MappingError(path, where, "an empty list of conditions; give at least one")
        parts = tuple(_condition(path, f"{where}.{i}", part) for i, part in enumerate(raw))
        return parts[0] if len(parts) == 1 else Condition("all", parts=parts)
    shape = ("a condition is {column: NAME, TEST: VALUE} with one test of " + ", ".join(TESTS)
             + "; or {all: [...]}, {any: [...]}, {not: CONDITION}, or a list (all of them)")
    if not isinstance(raw, dict):
        raise MappingError(path, where, f"{shape}; got {raw!r}")
    logic = [k for k in ("all", "any", "not") if k in raw]
    if logic:
        key = logic[0]
        if len(raw) != 1:
            raise MappingError(path, where, f"'{key}' stands alone in its condition; found {sorted(raw)}")
        if key == "not":
            return Condition("not", parts=(_condition(path, f"{where}.not", raw["not"]),))
        if not isinstance(raw[key], list) or not raw[key]:
            raise MappingError(path, f"{where}.{key}", "takes a list of conditions")
        return Condition(key, parts=tuple(_condition(path, f"{where}.{key}.{i}", part)
                                          for i, part in enumerate(raw[key])))
    tests = [k for k in TESTS if k in raw]
    unknown = set(raw) - {"column", *TESTS}
    if unknown or len(tests) != 1 or not isinstance(raw.get("column"), str) or not raw["column"]:
        found = f"unknown key(s) {sorted(unknown)}" if unknown else f"found {sorted(raw)}"
        raise MappingError(path, where, f"{shape}; {found}")
    test, value = tests[0], raw[tests[0]]
    at = f"{where}.{test}"
    if test in ("in", "not_in"):
        words = value if isinstance(value, list) else [value]
        if not words or not all(isinstance(w, str) for w in words):
            raise MappingError(path, at, "takes a list of values, e.g. [PHANTOM, TEST]")
        return Condition(test, raw["column"], tuple(w.strip() for w in words))
    if test == "present":
        return Condition(test, raw["column"], (_flag(path, at, value),))
    if test == "matches":
        return Condition(test, raw["column"], (_regex(path, at, value),))
    return Condition(test, raw["column"], (_number(path, at, value),))


def _regex(path: Path, where: str, value) -> str:
    """A regular expression polars can run (Rust syntax: no look-around or back-references)."""
    if not isinstance(value, str) or not value:
        raise MappingError(path, where, "takes a regular expression")
    try:
        re.compile(value)
        pl.select(pl.lit("").str.contains(value))
    except (re.error, pl.exceptions.PolarsError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise MappingError(path, where, f"{value!r} is not a usable regular expression ({reason}; "
                                        f"look-around and back-references are not supported)") from None
    return value


def _number(path: Path, where: str, value) -> float:
    """A number as YAML text: 30, 2.5, -1, or H:MM:SS read as seconds (as cells are in conditions)."""
    text = str(value).strip() if isinstance(value, str) else ""
    hms = re.fullmatch(r"(\d+):([0-5]\d):([0-5]\d)", text)
    if hms:
        return float(int(hms[1]) * 3600 + int(hms[2]) * 60 + int(hms[3]))
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise MappingError(path, where, f"must be a number (or H:MM:SS), got {value!r}")
    return number


def _table(path: Path, table: str, spec: dict, columns: dict[str, Column]) -> TableMapping:
    where = f"tables.{table}"
    if not isinstance(spec, dict):
        raise MappingError(path, where, "must be a mapping with a 'columns' section")
    unknown = set(spec) - TABLE_KEYS
    if unknown:
        raise MappingError(path, where, f"unknown key(s) {sorted(unknown)}; known: {sorted(TABLE_KEYS)}")
    rows = spec.get("rows", "each")
    if rows not in ("each", "distinct"):
        raise MappingError(path, f"{where}.rows", f"'{rows}' must be 'each' (one row per source row) or 'distinct'")
    allowed = dict(columns)
    for name, (id_column, _) in REFERENCES.items():
        if id_column in columns and name not in columns:
            allowed[name] = Column(name, "VARCHAR", False)   # a name standing in for the id
    raw_columns = spec.get("columns") or {}
    if not isinstance(raw_columns, dict):
        raise MappingError(path, f"{where}.columns", "must map store columns to source columns or settings")
    fields = {}
    for target, raw in raw_columns.items():
        if target not in allowed:
            raise MappingError(path, f"{where}.columns.{target}",
                               f"{table} has no column '{target}'; it has {', '.join(allowed)}")
        fields[target] = _field(path, f"{where}.columns.{target}", target, raw, allowed[target], table)
    _check_times(path, where, table, fields, columns)
    for f in fields.values():
        if f.after:
            _check_after(path, f"{where}.columns.{f.target}.after", f.after, table, fields, allowed)
        for used in f.uses:
            if used not in fields:
                raise MappingError(path, f"{where}.columns.{f.target}",
                                   f"uses '{used}', which this table's mapping does not fill")
    for name, (id_column, _) in REFERENCES.items():
        if name in fields and id_column in fields and name in allowed and name not in columns:
            raise MappingError(path, f"{where}.columns", f"give either {id_column} or {name}, not both")
    auto = AUTO_IDS.get(table)
    for column in columns.values():
        reference = next((n for n, (idc, _) in REFERENCES.items() if idc == column.name), None)
        filled = column.name in fields or (reference in fields and reference not in columns) or column.name == auto
        if column.required and not filled:
            hint = f" (or {reference})" if reference and reference not in columns else ""
            raise MappingError(path, f"{where}.columns",
                               f"the store needs {table}.{column.name}{hint}; map it to a source column or a constant")
    distinct = rows == "distinct"
    if distinct and not all(k in fields or k == auto for k in KEYS[table]):
        raise MappingError(path, where, f"rows: distinct needs {', '.join(KEYS[table])} mapped (the key)")
    _check_folding(path, where, table, spec, fields, distinct)
    if table == "contact_intervals":
        fields = _interval_fields(path, where, spec, fields)
    order_by, order_format, from_source = _order_by(path, f"{where}.order_by", spec.get("order_by"), fields, allowed)
    return TableMapping(table=table, fields=fields, distinct=distinct, row_rules=_row_rules(path, where, spec),
                        order_by=order_by, order_format=order_format, order_from_source=from_source,
                        contacts_per_row=_name(path, f"{where}.contacts_per_row", spec.get("contacts_per_row")))


def _order_by(path: Path, where: str, raw, fields: dict[str, Field], allowed: dict[str, Column]) \
        -> tuple[str | None, str | None, bool]:
    """(column, format, whether it is a source column for certain) from `order_by: C` or
    `order_by: {column: C, format: F}` (the long form always names a source column)."""
    if not isinstance(raw, dict):
        name = _name(path, where, raw)
        if name in fields and allowed[name].kind == "text":
            raise MappingError(path, where, f"orders a key's rows in time or number order; '{name}' is a text store "
                                            f"column: name a column of times, dates or numbers")
        return name, None, False
    unknown = set(raw) - {"column", "format"}
    if unknown:
        raise MappingError(path, where, f"unknown key(s) {sorted(unknown)}; order_by takes a column name, or "
                                        f"{{column: SOURCE_COLUMN, format: \"%d/%m/%Y %H:%M\"}}")
    name = _name(path, f"{where}.column", raw.get("column"))
    if name is None:
        raise MappingError(path, where, "names its source column under column:, e.g. {column: updated, format: ...}")
    fmt = raw.get("format")
    if fmt is not None and not _has_date(fmt):
        raise MappingError(path, f"{where}.format", f"reads dates, or dates and times, in strftime codes such as "
                                                    f"\"%d/%m/%Y %H:%M\"; {fmt!r} has no date in it (times "
                                                    f"written H:MM:SS need no format: they are read as seconds)")
    return name, fmt, True


def _has_date(fmt) -> bool:
    """Whether a strftime format writes a date: two days a year apart come out differently."""
    if not isinstance(fmt, str) or "%" not in fmt:
        return False
    days = (dt.datetime(2001, 2, 3, 4, 5, 6), dt.datetime(2002, 3, 4, 4, 5, 6))
    try:
        return days[0].strftime(fmt) != days[1].strftime(fmt)
    except ValueError:
        return False


def _check_folding(path: Path, where: str, table: str, spec: dict, fields: dict[str, Field], distinct: bool) -> None:
    """aggregate and order_by fold the rows of one key: they belong to rows: distinct tables."""
    folded_by_key = [f.target for f in fields.values() if f.target in KEYS[table] or
                     REFERENCES.get(f.target, ("",))[0] in KEYS[table]]
    for f in fields.values():
        if f.aggregate == "first" and "aggregate" not in _raw_keys(spec, f.target):
            continue
        if not distinct:
            raise MappingError(path, f"{where}.columns.{f.target}.aggregate",
                               "aggregate folds the rows of one key: it needs rows: distinct on the table")
        if f.target in folded_by_key:
            raise MappingError(path, f"{where}.columns.{f.target}.aggregate",
                               f"{f.target} is the table's key: rows are grouped by it, not aggregated")
    if "order_by" in spec and not distinct:
        raise MappingError(path, f"{where}.order_by", "order_by orders the rows of one key: it needs rows: distinct")


def _check_after(path: Path, where: str, after: str, table: str, fields: dict[str, Field],
                 allowed: dict[str, Column]) -> None:
    """after: compares with a timestamp this table's mapping fills on the same row (a source column would
    first need reading as a timestamp, which is what mapping it to a store column does)."""
    if after not in allowed:
        raise MappingError(path, where, f"'{after}' is not a store column of {table}: after: names a store column "
                                        f"this table maps (such as queued_at), not a source column")
    if after not in fields:
        raise MappingError(path, where, f"'{after}' is a store column this table's mapping does not fill; after: "
                                        f"compares with a store column mapped here")
    if allowed[after].kind != "timestamp":
        raise MappingError(path, where, f"'{after}' is not a timestamp ({table}.{after} is {allowed[after].type})")


def _raw_keys(spec: dict, target: str) -> set:
    raw = (spec.get("columns") or {}).get(target)
    return set(raw) if isinstance(raw, dict) else set()


def _name(path: Path, where: str, value) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise MappingError(path, where, f"names one column, got {value!r}")
    return value


# keys that shape a value read from a cell; each value kind takes only some of them
_CELL_STEPS = ("pattern", "map", "true", "false", "duration", "format", "date_format", "time_format", "bands",
               "cap", "scale", "after")
_STEPS_OF = {"column": {"pattern", "map", "true", "false", "duration", "format", "bands", "cap", "scale", "after"},
             "average_of": {"pattern", "duration"},
             "columns": set(),
             "date": {"date_format", "time_format", "format", "after"},
             "constant": set(),
             "seconds_between": {"bands", "cap", "scale"},
             "add_seconds": {"after"},
             "when": set(),
             None: set()}      # aggregate: count without a value kind: each row counts


def _field(path: Path, where: str, target: str, raw, column: Column, table: str) -> Field:
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        raise MappingError(path, where, "must be a source column name or a mapping such as {column: NAME}")
    unknown = set(raw) - FIELD_KEYS
    if unknown:
        raise MappingError(path, where, f"unknown key(s) {sorted(unknown)}; known: {sorted(FIELD_KEYS)}")
    aggregate = raw.get("aggregate", "first")
    if aggregate not in AGGREGATES:
        raise MappingError(path, f"{where}.aggregate", f"'{aggregate}' is not one of {', '.join(AGGREGATES)}")
    kinds = [k for k in VALUE_KINDS if k in raw]
    if not (len(kinds) == 1 or (aggregate == "count" and not kinds)):
        raise MappingError(path, where, f"give exactly one of {', '.join(VALUE_KINDS)} (found {kinds or 'none'})")
    kind = kinds[0] if kinds else None
    misplaced = sorted(k for k in raw if k in _CELL_STEPS and k not in _STEPS_OF[kind])
    if misplaced:
        raise MappingError(path, f"{where}.{misplaced[0]}", f"does not go with {kind or 'aggregate: count'}")
    if "time" in raw and "date" not in raw:
        raise MappingError(path, where, "'time' goes with 'date' (a timestamp from two columns)")
    for pair in ("seconds_between", "add_seconds"):
        if pair in raw and (not isinstance(raw[pair], list) or len(raw[pair]) != 2):
            raise MappingError(path, where, f"{pair} takes two store columns, e.g. [queued_at, answered_at]")
    if raw.get("duration") not in (None, *DURATIONS):
        raise MappingError(path, where, f"duration '{raw['duration']}' is not one of {', '.join(DURATIONS)}")
    if "pattern" in raw:
        try:
            if re.compile(raw["pattern"]).groups != 1:
                raise MappingError(path, where, "pattern needs exactly one (group): the part to keep")
        except re.error as exc:
            raise MappingError(path, where, f"pattern is not a valid regular expression: {exc}") from None
    # the values a field gives before it is folded: count and count_distinct fold any value into a number
    reading = Column(target, "VARCHAR", False) if aggregate in ("count", "count_distinct") else column
    if aggregate in COUNTING and column.kind not in ("integer", "number"):
        raise MappingError(path, f"{where}.aggregate", f"{aggregate} gives a number; {table}.{target} is {column.type}")

    def words(key):
        value = raw.get(key)
        return None if value is None else tuple(str(v).strip().lower() for v in (value if isinstance(value, list) else [value]))

    return Field(
        target=target, column=_text(raw.get("column")), columns=_composite(path, where, raw, column, table),
        date=_text(raw.get("date")), time=_text(raw.get("time")),
        constant=_typed(path, f"{where}.constant", raw["constant"], column, "constant") if "constant" in raw else None,
        has_constant="constant" in raw,
        average_of=_name(path, f"{where}.average_of", raw.get("average_of")), times=_times(path, where, raw, column),
        seconds_between=tuple(raw["seconds_between"]) if "seconds_between" in raw else None,
        add_seconds=tuple(raw["add_seconds"]) if "add_seconds" in raw else None,
        when=_when(path, where, raw, reading),
        format=raw.get("format"), date_format=raw.get("date_format", "%Y-%m-%d"),
        time_format=raw.get("time_format", "%H:%M:%S"), duration=raw.get("duration"),
        true=words("true"), false=words("false"),
        otherwise=_otherwise(path, where, raw, reading), has_otherwise="otherwise" in raw,
        pattern=raw.get("pattern"), map=_value_map(path, where, raw, reading),
        bands=_bands(path, f"{where}.bands", raw["bands"], reading) if "bands" in raw else None,
        cap=_cap(path, f"{where}.cap", raw["cap"], reading) if "cap" in raw else None,
        scale=_scale(path, f"{where}.scale", raw["scale"], table, target) if "scale" in raw else None,
        scale_to=SCALES.get((table, target)),
        after=_after(path, where, raw, reading),
        only_if=_condition(path, f"{where}.only_if", raw["only_if"]) if "only_if" in raw else None,
        default=_typed(path, f"{where}.default", raw["default"], reading, "default") if "default" in raw else None,
        unless=raw.get("unless"), aggregate=aggregate)


def _times(path: Path, where: str, raw: dict, column: Column) -> str | None:
    """average_of: A needs times: N (the count of the same row the average is over), and fills a number."""
    if "average_of" not in raw:
        if "times" in raw:
            raise MappingError(path, f"{where}.times", "goes with average_of: the count an average is over")
        return None
    if column.kind not in ("integer", "number"):
        raise MappingError(path, f"{where}.average_of", f"gives a number (average x count); the store column "
                                                        f"{column.name} is {column.type}")
    times = raw.get("times")
    if not isinstance(times, str) or not times:
        raise MappingError(path, f"{where}.times", "average_of needs times: the store column counting what the "
                                                   "average is over, e.g. {average_of: Avg Wait, times: answered}")
    return times


def _check_times(path: Path, where: str, table: str, fields: dict[str, Field], columns: dict[str, Column]) -> None:
    for f in fields.values():
        if not f.times:
            continue
        at = f"{where}.columns.{f.target}.times"
        if f.times not in columns or columns[f.times].kind != "integer" or f.times == f.target:
            raise MappingError(path, at, f"'{f.times}' is not another count of {table}; name the count the average "
                                         f"is over, such as answered")
        if f.times not in fields:
            raise MappingError(path, at, f"'{f.times}' is a count this mapping does not fill; map it too")


def _interval_fields(path: Path, where: str, spec: dict, fields: dict[str, Field]) -> dict[str, Field]:
    """An interval report's counts checked against each other: `times` names a count this table maps; a
    count "of" another (INTERVAL_BASES) needs that one, which INTERVAL_IMPLIED fills when it is implied."""
    if spec.get("rows", "each") != "each":
        raise MappingError(path, f"{where}.rows", "an interval report gives one row per interval: rows: each")
    if spec.get("contacts_per_row") is not None:
        raise MappingError(path, f"{where}.contacts_per_row", "contact_intervals rows are counts already; "
                                                              "contacts_per_row goes with no table here")
    fields = dict(fields)
    for part, base in INTERVAL_BASES.items():
        if part not in fields or base in fields:
            continue
        implied = INTERVAL_IMPLIED.get(base)
        if implied and implied in fields:
            fields[base] = Field(target=base, same_as=implied)
            continue
        hint = f", or {implied} (taken to be {base})" if implied else ""
        raise MappingError(path, f"{where}.columns.{part}",
                           f"{part} counts (or sums) part of {base}, which the mapping does not fill: map {base}{hint}")
    return fields


def _composite(path: Path, where: str, raw: dict, column: Column, table: str) -> tuple[str, ...] | None:
    if "columns" not in raw:
        return None
    names = raw["columns"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise MappingError(path, f"{where}.columns", "takes one or more source columns, e.g. [vru_line, call_id], "
                                                     "or [request_no] for a stable id from one text column")
    if column.type != "BIGINT" and column.kind != "text":
        raise MappingError(path, f"{where}.columns",
                           f"a key from columns: fills a BIGINT column (with a 62-bit id) or a text column "
                           f"(the cells joined with '{KEY_JOIN}'); {table}.{column.name} is {column.type}")
    return tuple(names)


def _when(path: Path, where: str, raw: dict, column: Column) -> Condition | None:
    if "when" not in raw:
        return None
    if column.kind != "boolean":
        raise MappingError(path, f"{where}.when", f"gives true or false; the store column {column.name} is "
                                                  f"{column.type} (use map: for other values)")
    return _condition(path, f"{where}.when", raw["when"])


def _value_map(path: Path, where: str, raw: dict, column: Column) -> dict | None:
    if "map" not in raw:
        return None
    at = f"{where}.map"
    if not isinstance(raw["map"], dict) or not raw["map"]:
        raise MappingError(path, at, "takes source values and what each becomes, e.g. {Voice: phone, Chat: chat}")
    for clash in ("true", "false", "bands"):
        if clash in raw:
            raise MappingError(path, at, f"give map or {'bands' if clash == 'bands' else 'true/false'}, not both "
                                         f"({clash} is set)")
    values, seen = {}, {}
    for key, value in raw["map"].items():
        word = str(key).strip().lower()
        if word in seen:
            raise MappingError(path, at, f"'{key}' and '{seen[word]}' are the same key (keys ignore case and spaces)")
        seen[word] = key
        values[str(key).strip()] = _typed(path, f"{at}.{key}", value, column, "map value", missing_allowed=True)
    return values


def _otherwise(path: Path, where: str, raw: dict, column: Column):
    if "otherwise" not in raw:
        return None
    if column.kind != "boolean" and "map" not in raw:
        raise MappingError(path, f"{where}.otherwise", "goes with map (or true/false on a yes/no column): "
                                                       "the value for source values in no key")
    return _typed(path, f"{where}.otherwise", raw["otherwise"], column, "otherwise", missing_allowed=True)


def _bands(path: Path, where: str, raw, column: Column) -> tuple[Band, ...]:
    if not isinstance(raw, dict) or not raw:
        raise MappingError(path, where, 'takes bands and their values, e.g. {"0": 0, "1-3": 1, "4+": 2}')
    bands = []
    for label, value in raw.items():
        found = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(?:(\+)|-\s*(-?\d+(?:\.\d+)?))?\s*", str(label))
        if not found:
            raise MappingError(path, f"{where}.{label}", 'a band is "N", "LOW-HIGH" (inclusive) or "N+"')
        low = float(found[1])
        high = None if found[2] else float(found[3] if found[3] is not None else found[1])
        if high is not None and high < low:
            raise MappingError(path, f"{where}.{label}", f"the band runs from {found[1]} down to {found[3]}")
        bands.append(Band(str(label).strip(), low, high, _typed(path, f"{where}.{label}", value, column, "band value")))
    ordered = sorted(bands, key=lambda b: b.low)
    for before, after in zip(ordered, ordered[1:]):
        if before.high is None or after.low <= before.high:
            raise MappingError(path, f"{where}.{after.label}", f"overlaps the band {before.label}")
    return tuple(bands)


def _cap(path: Path, where: str, raw, column: Column) -> tuple[float | None, float]:
    if column.kind not in ("integer", "number"):
        raise MappingError(path, where, f"caps numbers; the store column {column.name} is {column.type}")
    low, high = (raw if isinstance(raw, list) and len(raw) == 2 else (None, raw))
    if isinstance(high, list):
        raise MappingError(path, where, "takes HIGH, or [LOW, HIGH]")
    bounds = [None if b is None else _number(path, where, b) for b in (low, high)]
    if column.kind == "integer" and any(b is not None and b != int(b) for b in bounds):
        raise MappingError(path, where, f"{column.name} holds whole numbers; cap it at whole numbers")
    if bounds[0] is not None and bounds[0] > bounds[1]:
        raise MappingError(path, where, f"LOW {low} is above HIGH {high}")
    return tuple(b if b is None or column.kind != "integer" else int(b) for b in bounds)


def _scale(path: Path, where: str, raw, table: str, target: str) -> tuple[int, int]:
    if (table, target) not in SCALES:
        known = ", ".join(f"{t}.{c}" for t, c in SCALES)
        raise MappingError(path, where, f"rescales survey answers; {table}.{target} has no answer scale "
                                        f"(those with one: {known})")
    found = re.fullmatch(r"\s*(-?\d+)\s*-\s*(-?\d+)\s*", str(raw))
    if not found or int(found[1]) >= int(found[2]):
        raise MappingError(path, where, f"the answers' own scale, LOW-HIGH in whole numbers (e.g. 1-4), got {raw!r}")
    return int(found[1]), int(found[2])


def _after(path: Path, where: str, raw: dict, column: Column) -> str | None:
    if "after" not in raw:
        return None
    if column.kind != "timestamp" or not isinstance(raw["after"], str):
        raise MappingError(path, f"{where}.after", "names a timestamp store column of this table: times earlier "
                                                   f"than it are on the next day ({column.name} is {column.type})")
    return raw["after"]


def _typed(path: Path, where: str, value, column: Column, what: str, missing_allowed: bool = False):
    """A value written in the mapping (YAML text) as the store column's type; '' is missing where allowed."""
    readers = {"integer": int, "number": float, "boolean": lambda v: _flag(path, where, v),
               "date": dt.date.fromisoformat, "timestamp": dt.datetime.fromisoformat, "text": str}
    if not isinstance(value, str):
        raise MappingError(path, where, f"{what} must be one value, got {value!r}")
    if value.strip() == "" and missing_allowed:
        return None
    try:
        read = readers[column.kind](value.strip() if column.kind != "text" else value)
    except (TypeError, ValueError, MappingError):
        read = None
    if read is None or read == "":
        raise MappingError(path, where, f"{what} {value!r} is not {KIND_WORDS[column.kind]} "
                                        f"(the store column {column.name} is {column.type})")
    return read


def _flag(path: Path, where: str, value) -> bool:
    word = str(value).strip().lower()
    if word not in ("true", "false", "yes", "no"):
        raise MappingError(path, where, f"must be true or false, got {value!r}")
    return word in ("true", "yes")


def _text(value) -> str | None:
    return None if value is None else str(value)
