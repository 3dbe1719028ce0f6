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
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from dashboard import config

# The order tables are filled in, so a referenced team, touchpoint or agent exists first.
TABLE_ORDER = ("teams", "touchpoints", "customers", "agents", "interactions", "customer_surveys",
               "agent_surveys", "agent_requests", "training", "events")

# Ids the importer assigns when a mapping gives none (rows are then told apart by NATURAL_KEYS).
AUTO_IDS = {"teams": "team_id", "touchpoints": "touchpoint_id", "agents": "agent_id",
            "agent_requests": "request_id", "events": "event_id"}

# What makes a row the same row: duplicates in one import are errors, and rows whose key is
# already in the store are skipped by --append (so importing a file twice adds nothing twice).
KEYS = {"teams": ("team_name",), "touchpoints": ("touchpoint_name",), "agents": ("agent_name",),
        "customers": ("customer_id",), "interactions": ("interaction_id",),
        "customer_surveys": ("interaction_id",), "agent_surveys": ("agent_id", "surveyed_at", "milestone"),
        "agent_requests": ("agent_id", "opened_at", "kind"), "training": ("agent_id", "held_on", "topic"),
        "events": ("starts_on", "title")}

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
AGGREGATES = ("first", "min", "max")

SOURCE_KEYS = {"format", "separator", "encoding", "line_end", "header", "columns", "sheet", "missing", "skip_lines"}
TABLE_KEYS = {"rows", "where_present", "columns"}
FIELD_KEYS = {"column", "date", "time", "constant", "seconds_between", "add_seconds", "format", "date_format",
              "time_format", "duration", "true", "false", "otherwise", "pattern", "default", "unless", "aggregate"}
VALUE_KINDS = ("column", "date", "constant", "seconds_between", "add_seconds")


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
    """How one store column is filled. Exactly one value kind is set."""
    target: str
    column: str | None = None
    date: str | None = None
    time: str | None = None
    constant: object = None
    has_constant: bool = False
    seconds_between: tuple[str, str] | None = None
    add_seconds: tuple[str, str] | None = None
    format: str | None = None
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M:%S"
    duration: str | None = None
    true: tuple[str, ...] | None = None
    false: tuple[str, ...] | None = None
    otherwise: bool | None = None
    pattern: str | None = None
    default: object = None
    unless: str | None = None
    aggregate: str = "first"

    @property
    def source_columns(self) -> tuple[str, ...]:
        return tuple(c for c in (self.column, self.date, self.time) if c)

    @property
    def uses(self) -> tuple[str, ...]:
        """Store columns of the same table this field is computed from."""
        derived = self.seconds_between or self.add_seconds or ()
        return tuple(derived) + ((self.unless,) if self.unless else ())

    def describe(self) -> str:
        """How the field reads in a message: the source column(s) it comes from."""
        if self.source_columns:
            return " + ".join(f"'{c}'" for c in self.source_columns)
        return f"{self.target} (derived)"


@dataclass(frozen=True)
class TableMapping:
    table: str
    fields: dict[str, Field]
    distinct: bool = False             # one row per distinct key instead of one per source row
    where_present: str | None = None   # only source rows where this column has a value


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
        for tm in self.tables.values():
            if tm.where_present:
                used.setdefault(tm.where_present, []).append(f"{tm.table} (where_present)")
            for f in tm.fields.values():
                for col in f.source_columns:
                    used.setdefault(col, []).append(f"{tm.table}.{f.target}")
        return used


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
                  skip_lines=int(skip_lines))


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
    fields = {}
    for target, raw in (spec.get("columns") or {}).items():
        if target not in allowed:
            raise MappingError(path, f"{where}.columns.{target}",
                               f"{table} has no column '{target}'; it has {', '.join(allowed)}")
        fields[target] = _field(path, f"{where}.columns.{target}", target, raw, allowed[target])
    for f in fields.values():
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
    if rows == "distinct" and not all(k in fields or k == auto for k in KEYS[table]):
        raise MappingError(path, where, f"rows: distinct needs {', '.join(KEYS[table])} mapped (the key)")
    return TableMapping(table=table, fields=fields, distinct=rows == "distinct", where_present=spec.get("where_present"))


def _field(path: Path, where: str, target: str, raw, column: Column) -> Field:
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        raise MappingError(path, where, "must be a source column name or a mapping such as {column: NAME}")
    unknown = set(raw) - FIELD_KEYS
    if unknown:
        raise MappingError(path, where, f"unknown key(s) {sorted(unknown)}; known: {sorted(FIELD_KEYS)}")
    kinds = [k for k in VALUE_KINDS if k in raw]
    if len(kinds) != 1:
        raise MappingError(path, where, f"give exactly one of {', '.join(VALUE_KINDS)} (found {kinds or 'none'})")
    if "time" in raw and "date" not in raw:
        raise MappingError(path, where, "'time' goes with 'date' (a timestamp from two columns)")
    for pair in ("seconds_between", "add_seconds"):
        if pair in raw and (not isinstance(raw[pair], list) or len(raw[pair]) != 2):
            raise MappingError(path, where, f"{pair} takes two store columns, e.g. [queued_at, answered_at]")
    if raw.get("duration") not in (None, *DURATIONS):
        raise MappingError(path, where, f"duration '{raw['duration']}' is not one of {', '.join(DURATIONS)}")
    if raw.get("aggregate", "first") not in AGGREGATES:
        raise MappingError(path, where, f"aggregate '{raw['aggregate']}' is not one of {', '.join(AGGREGATES)}")
    if "pattern" in raw:
        try:
            if re.compile(raw["pattern"]).groups != 1:
                raise MappingError(path, where, "pattern needs exactly one (group): the part to keep")
        except re.error as exc:
            raise MappingError(path, where, f"pattern is not a valid regular expression: {exc}") from None

    def words(key):
        value = raw.get(key)
        return None if value is None else tuple(str(v).strip().lower() for v in (value if isinstance(value, list) else [value]))

    return Field(
        target=target, column=_text(raw.get("column")), date=_text(raw.get("date")), time=_text(raw.get("time")),
        constant=_constant(path, where, raw["constant"], column) if "constant" in raw else None,
        has_constant="constant" in raw,
        seconds_between=tuple(raw["seconds_between"]) if "seconds_between" in raw else None,
        add_seconds=tuple(raw["add_seconds"]) if "add_seconds" in raw else None,
        format=raw.get("format"), date_format=raw.get("date_format", "%Y-%m-%d"),
        time_format=raw.get("time_format", "%H:%M:%S"), duration=raw.get("duration"),
        true=words("true"), false=words("false"),
        otherwise=None if "otherwise" not in raw else _flag(path, f"{where}.otherwise", raw["otherwise"]),
        pattern=raw.get("pattern"),
        default=raw.get("default"), unless=raw.get("unless"), aggregate=raw.get("aggregate", "first"))


def _constant(path: Path, where: str, value: str, column: Column):
    """A constant as the store column's type (the YAML is read as text)."""
    readers = {"integer": int, "number": float, "boolean": lambda v: _flag(path, where, v),
               "date": dt.date.fromisoformat, "timestamp": dt.datetime.fromisoformat, "text": str}
    try:
        return readers[column.kind](str(value).strip() if column.kind != "text" else value)
    except (TypeError, ValueError, MappingError):
        raise MappingError(path, where, f"constant {value!r} is not a {column.kind} "
                                        f"(the store column {column.name} is {column.type})") from None


def _flag(path: Path, where: str, value) -> bool:
    word = str(value).strip().lower()
    if word not in ("true", "false", "yes", "no"):
        raise MappingError(path, where, f"must be true or false, got {value!r}")
    return word in ("true", "yes")


def _text(value) -> str | None:
    return None if value is None else str(value)
