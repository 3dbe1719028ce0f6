"""`python -m dashboard import`: exports -> validated rows -> a new store file swapped in atomically.

Steps, each finishing before the next starts:
1. read every file as its mapping's `source` says (dashboard.sources);
2. turn source cells into store values (dashboard.mapping fields), noting every cell that cannot
   be read, is missing where the store needs a value, or is impossible (RULES), with file and line;
3. reject the whole import if anything was noted (the store is not touched), or, with
   skip_bad_rows, set those rows aside and write them, with the reason and their original text,
   to a rejects file (beside the store unless the caller chooses: the input's folder may be read-only);
4. copy the store to a new file, replace (or append to) the tables the mapping feeds there, and
   publish it (dashboard.store.publish): running dashboards pick it up on their next rerun.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from dashboard import store
from dashboard.mapping import (AUTO_IDS, DEFAULT_FALSE, DEFAULT_TRUE, KEYS, REFERENCES, Column, Field, Mapping,
                               MappingError, TableMapping, store_columns)
from dashboard.sources import FILE, LINE, Read, SourceError, empty_problems, originals, read

EXAMPLES_PER_PROBLEM = 5
SHOWN_CHARACTERS = 80   # of a value in a message; the rejects file holds the whole row
_POLARS_TYPES = {"text": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean,
                 "date": pl.Date, "timestamp": pl.Datetime("us")}
_WHAT = {"integer": "a whole number", "number": "a number", "boolean": "yes or no", "date": "a date",
         "timestamp": "a date and time", "text": "text"}


def _between(column: str, low: int, high: int):
    return (column,), lambda f: pl.col(column).is_between(low, high), f"outside {low}-{high}"


def _at_least(column: str, low: float, word: str):
    return (column,), lambda f: pl.col(column) >= low, word


def _not_before(later: str, earlier: str, message: str):
    return (later, earlier), lambda f: pl.col(later) >= pl.col(earlier), message


# Impossible values, by store table: (columns involved, condition a good row meets, problem).
# A missing value never breaks a rule; whether it may be missing is the schema's NOT NULL.
RULES = {
    "interactions": [
        _at_least("wait_s", 0, "negative wait"), _at_least("handle_s", 0, "negative handle time"),
        _at_least("resolution_s", 0, "negative resolution time"), _at_least("transfers", 0, "negative transfers"),
        _at_least("exception_amount", 0, "negative amount"), _between("escalation_depth", 0, 3),
        _not_before("answered_at", "queued_at", "answered before queued"),
        _not_before("ended_at", "queued_at", "ended before queued"),
        _not_before("ended_at", "answered_at", "ended before answered"),
        _not_before("decided_at", "queued_at", "decided before queued"),
    ],
    "customer_surveys": [_between("csat", 1, 5), _between("nps", 0, 10), _between("ces", 1, 7)],
    "agent_surveys": [*(_between(c, 1, 5) for c in ("satisfaction", "empowerment", "manager_support",
                                                    "training_adequacy", "pressure")),
                      _between("enps", 0, 10),
                      (("milestone",), lambda f: pl.col("milestone").is_in(["3m", "6m", "12m", "24m", "pulse"]),
                       "not one of 3m, 6m, 12m, 24m, pulse")],
    "agent_requests": [_not_before("answered_at", "opened_at", "answered before opened")],
    "agents": [_not_before("left_on", "hired_on", "left before hired"),
               _at_least("authority_limit", 0, "negative authority limit")],
    "customers": [_not_before("churned_on", "joined_on", "churned before joining")],
    "training": [(("training_hours",), lambda f: pl.col("training_hours") > 0, "training hours must be above 0")],
    "touchpoints": [(("sla_seconds",), lambda f: pl.col("sla_seconds") > 0, "SLA seconds must be above 0"),
                    (("sla_measure",), lambda f: pl.col("sla_measure").is_in(["wait_s", "resolution_s"]),
                     "not wait_s or resolution_s")],
    "events": [_not_before("ends_on", "starts_on", "ends before it starts")],
    "teams": [_at_least("planned_seats", 0, "negative planned seats")],
}


class RejectsNotWritable(Exception):
    """The rejects file could not be written where asked; raised before anything is read."""


class ImportRejected(Exception):
    """Nothing was imported; the report says why, row by row."""

    def __init__(self, report: "Report"):
        self.report = report
        super().__init__(report.text())


@dataclass
class Report:
    mapping: str
    files: list[Path]
    db: Path
    mode: str
    line_word: str = "line"
    problems: pl.DataFrame = field(default_factory=empty_problems)
    inserted: dict[str, int] = field(default_factory=dict)
    already_present: dict[str, int] = field(default_factory=dict)
    rejected_rows: int = 0
    rejects_path: Path | None = None            # where skip_bad_rows writes the rejected rows
    rejects_files: list[Path] = field(default_factory=list)   # written, when rows were rejected
    warnings: list[str] = field(default_factory=list)
    imported: bool = False

    def problem_summary(self) -> list[str]:
        """Each kind of problem once, with its count and the first examples by file and line; an
        example shows its value and what sets it apart (e.g. the line a duplicate repeats)."""
        lines = []
        groups = (self.problems.group_by("column", "problem", maintain_order=True)
                  .agg(pl.len().alias("count"), pl.struct(FILE, LINE, "value", "note").head(EXAMPLES_PER_PROBLEM)))
        for column, problem, count, examples in groups.iter_rows():
            where = f"column {column}: " if column else ""
            lines.append(f"  {where}{_shown(problem)} - {count:,} row{'s' if count != 1 else ''}")
            for example in examples:
                value = "" if example["value"] is None else f": '{_shown(example['value'])}'"
                note = "" if example["note"] is None else f" ({_shown(example['note'])})"
                lines.append(f"      {example[FILE]} {self.line_word} {example[LINE]}{value}{note}")
        return lines

    def text(self) -> str:
        names = ", ".join(p.name for p in self.files)
        out = []
        if len(self.problems) and not self.imported:
            rows = self.problems.select(FILE, LINE).unique().height
            out.append(f"{names}: {len(self.problems):,} problem(s) in {rows:,} row(s); nothing was imported "
                       f"and the store {self.db} is unchanged.")
            out += self.problem_summary()
            out.append(f"Fix the file or the mapping, or run again with --skip-bad-rows to import the other rows "
                       f"and write these to {self.rejects_path or 'a rejects file'}.")
            return "\n".join(out)
        out.append(f"Imported {names} with {self.mapping} into {self.db} ({self.mode}):")
        for table, count in self.inserted.items():
            skipped = self.already_present.get(table, 0)
            note = f" ({skipped:,} already in the store, skipped)" if skipped else ""
            out.append(f"  {table}: {count:,} row{'s' if count != 1 else ''} added{note}")
        if self.rejected_rows:
            out.append(f"{self.rejected_rows:,} row(s) rejected and left out, written to "
                       f"{', '.join(str(p) for p in self.rejects_files)}:")
            out += self.problem_summary()
        out += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(out)


def _shown(text: str) -> str:
    """A value as a message shows it: on one line, and cut short."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS - 1] + "…"


def rejects_path(files: list[Path], db: Path, chosen: Path | None = None) -> Path:
    """Where skip_bad_rows writes the rejected rows: the chosen path, else beside the store (not
    beside the input, whose folder may be read-only), named after the input."""
    if chosen is not None:
        return Path(chosen)
    stem = Path(files[0]).stem if len(files) == 1 else Path(db).stem
    return Path(db).parent / f"{stem}.rejects.csv"


def run(files: list[Path], mapping: Mapping, db: Path, mode: str = "replace", skip_bad_rows: bool = False,
        rejects: Path | None = None) -> Report:
    """Imports files into the store at db. Raises ImportRejected (store untouched) on any problem
    unless skip_bad_rows, which writes the rejected rows to rejects (default: rejects_path());
    raises MappingError or SourceError when the mapping or a file is unusable, and
    RejectsNotWritable, before reading anything, when the rejects file could not be written."""
    if mode not in ("replace", "append"):
        raise ValueError(f"mode must be replace or append, not {mode!r}")
    files = [Path(f) for f in files]
    report = Report(mapping=mapping.path.name, files=files, db=Path(db), mode=mode,
                    rejects_path=rejects_path(files, db, rejects))
    if skip_bad_rows:
        _check_writable(report.rejects_path)
    reads = [_read_checked(f, mapping) for f in files]
    report.line_word = reads[0].line_word
    rows = pl.concat([r.rows for r in reads], how="diagonal_relaxed")
    existing = _existing(db, mapping, mode)

    tables, problems = {}, [r.problems for r in reads]
    for table, tm in mapping.tables.items():
        frame, found = _table_rows(rows, tm, mapping)
        tables[table] = frame
        problems.append(found)
    problems += _duplicates(tables, mapping)
    problems += _unknown_names(tables, mapping, existing)
    report.problems = pl.concat(problems, how="diagonal_relaxed").sort(FILE, LINE) if problems else empty_problems()

    if len(report.problems) and not skip_bad_rows:
        raise ImportRejected(report)
    if len(report.problems):
        bad = report.problems.select(FILE, LINE).unique()
        tables = {t: f.join(bad, on=[FILE, LINE], how="anti") for t, f in tables.items()}
        report.rejected_rows = bad.height
        report.rejects_files = [_write_rejects(report.problems, reads, mapping, report.rejects_path)]

    tables = _finish(tables, mapping, existing)
    _write(db, tables, mapping, mode, report)
    report.imported = True
    return report


def _read_checked(path: Path, mapping: Mapping) -> Read:
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, not a file")
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    result = read(path, mapping.source)
    absent = {c: where for c, where in mapping.source_columns().items() if c not in result.rows.columns}
    if absent:
        have = ", ".join(c for c in result.rows.columns if c not in (FILE, LINE))
        named = "; ".join(f"'{c}' (for {', '.join(w)})" for c, w in absent.items())
        raise SourceError(f"{path.name}: the mapping {mapping.path.name} reads column(s) the file lacks: {named}. "
                          f"The file has: {have}")
    return result


# -- step 2: source cells -> store values ------------------------------------------------------

def _table_rows(rows: pl.DataFrame, tm: TableMapping, mapping: Mapping) -> tuple[pl.DataFrame, pl.DataFrame]:
    if tm.where_present:
        rows = rows.filter(pl.col(tm.where_present).is_not_null())
    columns = _columns_of(tm.table)
    out = rows.select(FILE, LINE)
    problems = []
    for f in _in_dependency_order(tm, mapping):
        value, problem = _evaluate(f, columns[f.target], rows, out)
        out = out.with_columns(value.alias(f.target))
        problems.append(out.select(FILE, LINE, pl.lit(f"{f.describe()} ({tm.table}.{f.target})").alias("column"),
                                   problem.alias("problem"), _raw_text(f, rows).alias("value"))
                        .filter(pl.col("problem").is_not_null()))
    for involved, condition, message in RULES.get(tm.table, []):
        if not all(c in out.columns for c in involved):
            continue
        broken = out.filter(condition(out).not_())   # null (a missing value) is not a broken rule
        if broken.height:
            label = " / ".join(f"{tm.fields[c].describe()} ({tm.table}.{c})" for c in involved)
            value = pl.concat_str([pl.col(c).cast(pl.String).fill_null("missing") for c in involved], separator=" / ")
            problems.append(broken.select(FILE, LINE, pl.lit(label).alias("column"), pl.lit(message).alias("problem"),
                                          value.alias("value")))
    return out, pl.concat(problems, how="vertical_relaxed") if problems else empty_problems()


def _columns_of(table: str) -> dict[str, Column]:
    columns = dict(store_columns()[table])
    for name in REFERENCES:
        columns.setdefault(name, Column(name, "VARCHAR", False))
    return columns


def _in_dependency_order(tm: TableMapping, mapping: Mapping) -> list[Field]:
    done, order, pending = set(), [], list(tm.fields.values())
    while pending:
        ready = [f for f in pending if all(u in done for u in f.uses)]
        if not ready:
            raise MappingError(mapping.path, f"tables.{tm.table}",
                               f"columns derive from each other in a circle: {', '.join(f.target for f in pending)}")
        for f in ready:
            order.append(f)
            done.add(f.target)
            pending.remove(f)
    return order


def _raw_text(f: Field, rows: pl.DataFrame) -> pl.Expr:
    if not f.source_columns:
        return pl.lit(None, pl.String)
    return pl.concat_str([rows[c].cast(pl.String) for c in f.source_columns], separator=" ", ignore_nulls=True)


def _evaluate(f: Field, column: Column, rows: pl.DataFrame, done: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """(store values, problem per row or null) for one field."""
    kind = column.kind
    target_type = _POLARS_TYPES[kind]
    height = rows.height
    none = pl.Series([None] * height, dtype=pl.String)
    if f.has_constant:
        return pl.Series([f.constant] * height, dtype=target_type), none
    if f.seconds_between:
        start, end = f.seconds_between
        value = (done[end] - done[start]).dt.total_seconds().cast(target_type)
        return _finish_value(f, column, value, value.is_not_null(), none, done)
    if f.add_seconds:
        base, seconds = f.add_seconds
        value = done.select(pl.col(base) + pl.duration(seconds=pl.col(seconds)))[base].cast(target_type)
        return _finish_value(f, column, value, value.is_not_null(), none, done)
    if f.date:
        raw = _text_cells(rows[f.date], f.date_format)
        if f.time:
            raw = raw + " " + _text_cells(rows[f.time], f.time_format)
        fmt = f"{f.date_format} {f.time_format}" if f.time else (f.format or f.date_format)
        present = raw.is_not_null()
        value = raw.str.strptime(target_type, fmt, strict=False) if kind in ("date", "timestamp") else raw
        unreadable = pl.Series([f"cannot read as {_WHAT[kind]} in the format {fmt}"] * height).zip_with(
            present & value.is_null(), none)
        return _finish_value(f, column, value, present, unreadable, done)
    raw = rows[f.column]
    present = raw.is_not_null()
    value, failed = _parse(raw, f, kind)
    unreadable = none.zip_with(~(present & failed), pl.Series([_cannot(f, kind)] * height, dtype=pl.String))
    return _finish_value(f, column, value, present, unreadable, done)


def _cannot(f: Field, kind: str) -> str:
    if f.pattern:
        return f"does not match the pattern {f.pattern}, or is not {_WHAT[kind]}"
    if kind in ("date", "timestamp"):
        default = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
        return f"cannot read as {_WHAT[kind]} in the format {f.format or default}"
    if kind == "boolean":
        return f"not one of the yes/no values ({', '.join(f.true or DEFAULT_TRUE)} / {', '.join(f.false or DEFAULT_FALSE)})"
    if f.duration == "hms":
        return "cannot read as a duration H:MM:SS"
    return f"cannot read as {_WHAT[kind]}"


def _text_cells(raw: pl.Series, fmt: str) -> pl.Series:
    """Spreadsheet and Parquet cells may already be dates or times; give them the mapping's format."""
    if raw.dtype in (pl.Date, pl.Datetime, pl.Time) or isinstance(raw.dtype, pl.Datetime):
        return raw.dt.strftime(fmt)
    return raw.cast(pl.String)


def _parse(raw: pl.Series, f: Field, kind: str) -> tuple[pl.Series, pl.Series]:
    """(values, failed) where failed marks present cells that could not be read."""
    text = raw.cast(pl.String) if raw.dtype != pl.String else raw
    if f.pattern:
        text = text.str.extract(f.pattern, 1)
        raw = text
    if kind == "text":
        value = text
    elif kind in ("integer", "number"):
        if f.duration == "hms":
            parts = text.str.extract_groups(r"^(\d+):([0-5]\d):([0-5]\d)$")
            value = (parts.struct.field("1").cast(pl.Int64) * 3600 + parts.struct.field("2").cast(pl.Int64) * 60
                     + parts.struct.field("3").cast(pl.Int64)).cast(pl.Float64)
        elif raw.dtype.is_numeric() and not f.pattern:
            value = raw.cast(pl.Float64)
        else:
            value = text.str.strip_chars().cast(pl.Float64, strict=False)
        if f.duration == "minutes":
            value = value * 60
        if kind == "integer":
            whole = value.round(0)
            value = whole.zip_with((whole - value).abs() < 1e-9, pl.Series([None] * len(value), dtype=pl.Float64))
        value = value.cast(_POLARS_TYPES[kind], strict=False)
    elif kind == "boolean":
        if raw.dtype == pl.Boolean:
            value = raw
        else:
            word = text.str.strip_chars().str.to_lowercase()
            otherwise = pl.lit(f.otherwise, pl.Boolean) if f.otherwise is not None else pl.lit(None, pl.Boolean)
            value = pl.select(pl.when(word.is_in(list(f.true or DEFAULT_TRUE))).then(True)
                              .when(word.is_in(list(f.false or DEFAULT_FALSE))).then(False)
                              .otherwise(otherwise)).to_series()
    elif raw.dtype == pl.Date or isinstance(raw.dtype, pl.Datetime):
        value = raw.cast(_POLARS_TYPES[kind])
    else:
        default = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
        value = text.str.strip_chars().str.strptime(_POLARS_TYPES[kind], f.format or default, strict=False)
    return value, value.is_null()


def _finish_value(f: Field, column: Column, value: pl.Series, present: pl.Series, unreadable: pl.Series,
                  done: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Applies default and unless, then marks values the store needs but the row lacks."""
    if f.default is not None:
        fallback = pl.Series([f.default] * len(value)).cast(value.dtype, strict=False)
        value = value.zip_with(present | value.is_not_null(), fallback)
    if f.unless:   # e.g. no agent for an abandoned call, whatever the export says
        keep = ~done[f.unless].fill_null(False)
        value = value.zip_with(keep, pl.Series([None] * len(value), dtype=value.dtype))
        unreadable = unreadable.zip_with(keep, pl.Series([None] * len(value), dtype=pl.String))
    if column.required:
        missing = value.is_null() & unreadable.is_null()
        unreadable = unreadable.zip_with(~missing, pl.Series(["missing value (the store needs one)"] * len(value)))
    return value, unreadable


def _key_columns(table: str, frame: pl.DataFrame) -> list[str]:
    """The table's key, with a name standing in for an id the mapping gave as a name."""
    names = {id_column: name for name, (id_column, _) in REFERENCES.items()}
    return [names[k] if k not in frame.columns and names.get(k) in frame.columns else k for k in KEYS[table]]


def _duplicates(tables: dict[str, pl.DataFrame], mapping: Mapping) -> list[pl.DataFrame]:
    found = []
    for table, frame in tables.items():
        keys = _key_columns(table, frame)
        if mapping.tables[table].distinct or not all(k in frame.columns for k in keys):
            continue
        repeats = (frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
                   .with_columns(pl.col(FILE).first().over(keys).alias("first_file"),
                                 pl.col(LINE).first().over(keys).alias("first_line"))
                   .filter(pl.struct(keys).is_first_distinct().not_()))
        if repeats.height:
            label = ", ".join(f"{mapping.tables[table].fields[k].describe()} ({table}.{k})" for k in keys)
            # one kind of problem (so the message groups them), each row saying which one it repeats
            word = pl.col("first_file").replace_strict(
                {name: _line_word(mapping, name) for name in repeats["first_file"].unique()})
            note = (pl.when(pl.col("first_file") == pl.col(FILE)).then(pl.format("repeats {} {}", word, "first_line"))
                    .otherwise(pl.format("repeats {} {} {}", "first_file", word, "first_line")))
            found.append(repeats.select(
                FILE, LINE, pl.lit(label).alias("column"), pl.lit("duplicate key").alias("problem"),
                pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=" / ").alias("value"),
                note.alias("note")))
    return found


def _line_word(mapping: Mapping, file_name: str) -> str:
    return "line" if mapping.source.format_of(Path(file_name)) in ("csv", "tsv") else "row"


@dataclass
class Existing:
    """What the current store holds that the import must respect."""
    path: Path | None
    names: dict[str, dict[str, int]] = field(default_factory=dict)   # kept dimension: name -> id
    ambiguous: dict[str, set[str]] = field(default_factory=dict)
    max_id: dict[str, int] = field(default_factory=dict)


def _existing(db: Path, mapping: Mapping, mode: str) -> Existing:
    if not Path(db).exists():
        return Existing(path=None)
    found = Existing(path=Path(db))
    con = store.open_read_only(db)
    try:
        problems = store.schema_problems(con)
        if problems:
            raise SourceError(f"{db} was built by an older version (it lacks {', '.join(problems)}); "
                              f"rebuild it or import into a new store with --db")
        for table, id_column in AUTO_IDS.items():
            found.max_id[table] = con.sql(f"select coalesce(max({id_column}), 0) from {table}").fetchall()[0][0]
        for name, (id_column, table) in REFERENCES.items():
            if table in mapping.tables and mode == "replace":
                continue   # its rows are about to be replaced: names must come from this import
            pairs = con.sql(f"select {name}, {id_column} from {table}").fetchall()
            found.names[table] = {}
            for key, value in pairs:
                if key in found.names[table]:
                    found.ambiguous.setdefault(table, set()).add(key)
                found.names[table][key] = value
    finally:
        con.close()
    return found


def _unknown_names(tables: dict[str, pl.DataFrame], mapping: Mapping, existing: Existing) -> list[pl.DataFrame]:
    found = []
    for table, frame in tables.items():
        for name, (_, dimension) in REFERENCES.items():
            if name not in frame.columns or name in store_columns()[table]:
                continue
            known = set(existing.names.get(dimension, {})) - existing.ambiguous.get(dimension, set())
            if dimension in tables:
                known |= set(tables[dimension][name].drop_nulls().to_list())
            field_ = mapping.tables[table].fields[name]
            unknown = frame.filter(pl.col(name).is_not_null() & pl.col(name).is_in(list(known)).not_())
            if unknown.height:
                word = dimension.rstrip("s").replace("_", " ")
                found.append(unknown.select(
                    FILE, LINE, pl.lit(f"{field_.describe()} ({table}.{name})").alias("column"),
                    pl.lit(f"no {word} of that name in this import or the store"
                           + (" (or the name is not unique there)" if existing.ambiguous.get(dimension) else ""))
                    .alias("problem"), pl.col(name).alias("value")))
    return found


# -- step 3: set bad rows aside -------------------------------------------------------------------

def _check_writable(target: Path) -> None:
    """Refuses a rejects path that could not be written (a folder, under a file, read-only)."""
    target = Path(target).absolute()
    nearest = next(folder for folder in target.parents if folder.exists())   # created when missing
    problem = None
    if target.is_dir():
        problem = "that is a folder"
    elif not nearest.is_dir():
        problem = f"{nearest} is a file, not a folder"
    elif target.exists() and not os.access(target, os.W_OK):
        problem = "the file is read-only"
    elif not os.access(nearest, os.W_OK | os.X_OK):
        problem = f"the folder {nearest} is not writable"
    if problem:
        raise RejectsNotWritable(f"cannot write the rejects file {target}: {problem}; choose another place "
                                 f"with --rejects PATH (nothing was imported)")


def _write_rejects(problems: pl.DataFrame, reads: list[Read], mapping: Mapping, target: Path) -> Path:
    """One CSV of every rejected row: its file and line, each reason, and its original text."""
    reasons = (problems.with_columns(pl.concat_str(
        [pl.col("column").fill_null("row"), pl.lit(": "), pl.col("problem"),
         pl.format(" ('{}')", "value"), pl.format(" ({})", "note")], ignore_nulls=True).alias("reason"))
               .group_by(FILE, LINE, maintain_order=True).agg(pl.col("reason").str.join("; ")).sort(FILE, LINE))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["file", "line", "reason", "original"])
        for found in reads:
            mine = reasons.filter(pl.col(FILE) == found.path.name)
            if not mine.height:
                continue
            texts = originals(found, mapping.source, set(mine[LINE].to_list()))
            for line, reason in mine.select(LINE, "reason").iter_rows():
                out.writerow([found.path.name, line, reason, texts.get(line, "")])
    return target


# -- step 4: ids, names -> ids, and the new store file -------------------------------------------

def _finish(tables: dict[str, pl.DataFrame], mapping: Mapping, existing: Existing) -> dict[str, pl.DataFrame]:
    """Collapses distinct tables, assigns ids, and turns names into ids; only store columns remain."""
    ids: dict[str, dict[str, int]] = {t: dict(v) for t, v in existing.names.items()}
    finished = {}
    for table, frame in tables.items():
        tm = mapping.tables[table]
        if tm.distinct:
            keys = _key_columns(table, frame)
            frame = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
            frame = frame.group_by(keys, maintain_order=True).agg(
                [_aggregate(f) for f in tm.fields.values() if f.target not in keys])
        auto = AUTO_IDS.get(table)
        name = next((n for n, (_, dim) in REFERENCES.items() if dim == table), None)
        if auto and auto not in frame.columns:
            start = existing.max_id.get(table, 0) + 1
            new_ids = pl.int_range(start, start + pl.len(), dtype=pl.Int64)
            if name in frame.columns and ids.get(table):
                known = ids[table]
                fresh = frame.filter(pl.col(name).is_in(list(known)).not_()).with_columns(new_ids.alias(auto))
                frame = frame.join(fresh.select(name, auto), on=name, how="left").with_columns(
                    pl.coalesce(auto, pl.col(name).replace_strict(known, default=None, return_dtype=pl.Int64)))
            else:
                frame = frame.with_columns(new_ids.alias(auto))
        if name in frame.columns:
            ids.setdefault(table, {}).update(dict(frame.select(name, auto or AUTO_IDS[table]).iter_rows()))
        for ref, (id_column, dimension) in REFERENCES.items():
            if ref in frame.columns and ref not in store_columns()[table]:
                frame = frame.with_columns(pl.col(ref).replace_strict(ids.get(dimension, {}), default=None,
                                                                      return_dtype=pl.Int64).alias(id_column))
        finished[table] = frame.select([c for c in store_columns()[table] if c in frame.columns])
    return finished


def _aggregate(f: Field) -> pl.Expr:
    column = pl.col(f.target)
    return {"min": column.min(), "max": column.max()}.get(f.aggregate, column.drop_nulls().first())


# Columns that point at another table's rows, checked after an import so that replacing one
# table while keeping another does not silently leave rows pointing at nothing.
FOREIGN_KEYS = (("agents", "team_id", "teams"), ("interactions", "team_id", "teams"),
                ("interactions", "agent_id", "agents"), ("interactions", "touchpoint_id", "touchpoints"),
                ("customer_surveys", "interaction_id", "interactions"), ("agent_surveys", "agent_id", "agents"),
                ("agent_requests", "agent_id", "agents"), ("training", "agent_id", "agents"),
                ("events", "team_id", "teams"))


def _write(db: Path, tables: dict[str, pl.DataFrame], mapping: Mapping, mode: str, report: Report) -> None:
    db = Path(db)
    with store.write_lock(db):
        built = store.new_version_file(db)
        try:
            if db.exists():
                shutil.copyfile(store.version(db)[0], built)
            with duckdb.connect(str(built)) as con:
                if not db.exists():
                    store.create_schema(con)
                con.begin()
                for table, frame in tables.items():
                    _insert(con, table, frame, mode, report)
                if "interactions" in tables:
                    _mark_repeats(con)
                report.warnings += _orphans(con, tables)
                con.commit()
                con.execute("checkpoint")
            store.publish(built, db)
        except BaseException:
            store.discard(built)
            raise


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, mode: str, report: Report) -> None:
    def count() -> int:
        return con.sql(f"select count(*) from {table}").fetchall()[0][0]

    if mode == "replace":
        con.execute(f"delete from {table}")
    before = count()
    con.register("incoming", frame)
    try:
        if mode == "append":
            keys = [k for k in KEYS[table] if k in frame.columns]
            match = " and ".join(f"present.{k} = incoming.{k}" for k in keys) or "false"
            con.execute(f"insert into {table} by name select * from incoming "
                        f"where not exists (select 1 from {table} as present where {match})")
        else:
            con.execute(f"insert into {table} by name select * from incoming")
    finally:
        con.unregister("incoming")
    report.inserted[table] = count() - before
    report.already_present[table] = frame.height - report.inserted[table]


def _mark_repeats(con: duckdb.DuckDBPyConnection) -> None:
    """FCR's 'no repeat within 7 days' over the whole table, since new rows change old rows' answer."""
    con.execute("""
        update interactions set repeat_within_7d = later.is_repeat
        from (
            select interaction_id,
                   coalesce(lead(queued_at) over (partition by customer_id, touchpoint_id
                                                  order by queued_at, interaction_id)
                            <= queued_at + interval 7 day, false) and customer_id is not null as is_repeat
            from interactions
        ) as later
        where interactions.interaction_id = later.interaction_id""")


def _orphans(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> list[str]:
    warnings = []
    for child, column, parent in FOREIGN_KEYS:
        if child not in tables and parent not in tables:
            continue
        key = store_columns()[parent]
        parent_key = column if column in key else next(iter(key))
        count = con.sql(f"select count(*) from {child} as c where c.{column} is not null and not exists "
                        f"(select 1 from {parent} as p where p.{parent_key} = c.{column})").fetchall()[0][0]
        if count:
            warnings.append(f"{count:,} {child} row(s) refer to {parent} that are not in the store "
                            f"({child}.{column}); import their {parent} too, or import into a new store with --db")
    return warnings
