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
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import polars as pl

from dashboard import coverage, rollups, store
from dashboard.mapping import (AUTO_IDS, DEFAULT_FALSE, DEFAULT_TRUE, KEYS, REFERENCES, Column, Field, Mapping,
                               MappingError, TableMapping, store_columns)
from dashboard.mapping import (INTERVAL_BASES, INTERVAL_TOTALS, KEY_JOIN, KEY_SEPARATOR, NUMERIC_TESTS,
                               SCALE_CHECK_ANSWERS, SCALES, Band, Condition, RowRule)
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


def _answer_scales(table: str):
    return [_between(column, low, high) for (t, column), (low, high) in SCALES.items() if t == table]


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
    "customer_surveys": _answer_scales("customer_surveys"),
    "agent_surveys": [*_answer_scales("agent_surveys"),
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


def _interval_rules(columns) -> list:
    """An interval report's counts: whole numbers from 0 up, no part above its whole (answered + abandoned
    at most offered, answered within 20 s at most answered...), the CES sum within 1-7 per answer. A
    count the mapping leaves out is not in the row and breaks no rule."""
    counts = [c for c, col in store_columns()["contact_intervals"].items() if col.kind == "integer" and c in columns]
    rules = [_at_least(c, 0, "a negative count") for c in counts]
    # parts that add up within their whole; every other part is within its whole on its own
    together = {("answered", "abandoned"): "offered", ("promoters", "detractors"): "nps_answers"}
    alone = [((part,), whole) for part, whole in INTERVAL_BASES.items() if part not in INTERVAL_TOTALS]
    for parts, whole in [*together.items(), *alone, (("abandoned_after_20s",), "abandoned")]:
        parts = [p for p in parts if p in columns]
        if whole in columns and parts:
            rules.append(((*parts, whole), lambda f, parts=parts, whole=whole: pl.sum_horizontal(parts) <= pl.col(whole),
                          f"{' + '.join(parts)} above {whole}"))
    if {"ces_sum", "ces_answers"} <= set(columns):
        rules.append((("ces_sum", "ces_answers"),
                      lambda f: pl.col("ces_sum").is_between(pl.col("ces_answers"), 7 * pl.col("ces_answers")),
                      "CES sum outside 1-7 per answer"))
    return rules


def _rules(table: str, columns) -> list:
    """Impossible values of a table's rows (RULES), for the columns a mapping fills."""
    return _interval_rules(columns) if table == "contact_intervals" else RULES.get(table, [])


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
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)   # append: table -> reason -> rows left out
    unchanged: bool = False           # the store would be as it was (append or replace): nothing was published
    rejected_rows: int = 0
    rejects_path: Path | None = None            # where skip_bad_rows writes the rejected rows
    rejects_files: list[Path] = field(default_factory=list)   # written, when rows were rejected
    warnings: list[str] = field(default_factory=list)
    imported: bool = False
    plan: "Plan | None" = None        # set by a dry run: what the import would do
    dropped: dict[str, int] = field(default_factory=dict)   # row rule (as written) -> source rows it left out
    keyless: dict[str, tuple[str, int]] = field(default_factory=dict)   # distinct table -> (key, rows naming none)

    @property
    def already_present(self) -> dict[str, int]:
        """Rows --append left out because their key is in the store, by table."""
        return {table: reasons.get(already_in_store(table), 0) for table, reasons in self.skipped.items()}

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

    def dropped_lines(self) -> list[str]:
        """Rows the mapping leaves out, which are not problems: those its rules drop, and those that name no
        key of a distinct table (no agent on a call nobody took)."""
        lines = [f"  {count:,} row{'s' if count != 1 else ''} dropped by {rule}" for rule, count in self.dropped.items()]
        return lines + [f"  {count:,} {'rows name' if count != 1 else 'row names'} no {key}: no {table} row from "
                        f"{'them' if count != 1 else 'it'}" for table, (key, count) in self.keyless.items()]

    def text(self) -> str:
        names = ", ".join(p.name for p in self.files)
        out = []
        if self.plan is not None:
            return self.dry_run_text(names)
        if len(self.problems) and not self.imported:
            rows = self.problems.select(FILE, LINE).unique().height
            out.append(f"{names}: {len(self.problems):,} problem(s) in {rows:,} row(s); nothing was imported "
                       f"and the store {self.db} is unchanged.")
            out += self.problem_summary()
            if self.dropped_lines():
                out += ["The mapping also leaves these rows out (not problems):", *self.dropped_lines()]
            out.append(f"Fix the file or the mapping, or run again with --skip-bad-rows to import the other rows "
                       f"and write these to {self.rejects_path or 'a rejects file'}.")
            return "\n".join(out)
        if self.unchanged:
            out.append(f"{names} with {self.mapping} into {self.db} ({self.mode}): {NOTHING_NEW}.")
        else:
            out.append(f"Imported {names} with {self.mapping} into {self.db} ({self.mode}):")
        for table, count in self.inserted.items():
            skipped = "".join(f"; {n:,} skipped: {why}" for why, n in self.skipped.get(table, {}).items() if n)
            out.append(f"  {table}: {count:,} row{'s' if count != 1 else ''} added{skipped}")
        out += self.dropped_lines()
        if self.rejected_rows:
            out.append(f"{self.rejected_rows:,} row(s) rejected and left out, written to "
                       f"{', '.join(str(p) for p in self.rejects_files)}:")
            out += self.problem_summary()
        out += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(out)


    def dry_run_text(self, names: str) -> str:
        out = [f"Dry run of {names} with {self.mapping} into {self.db} ({self.mode}): nothing was written."]
        if self.rejected_rows:
            out.append(f"{self.rejected_rows:,} row(s) would be rejected: without --skip-bad-rows the import stops, "
                       f"with it they go to {self.rejects_path}:")
            out += self.problem_summary()
        else:
            out.append("No row would be rejected.")
        out += self.dropped_lines()
        skipped = [f"  {table}: {n:,} skipped: {why}" for table, reasons in self.skipped.items()
                   for why, n in reasons.items() if n]
        if skipped:
            out += ["--append would leave out (not counted below):", *skipped]
        out.append(self.plan.text())
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
        rejects: Path | None = None, dry_run: bool = False) -> Report:
    """Imports files into the store at db. Raises ImportRejected (store untouched) on any problem
    unless skip_bad_rows, which writes the rejected rows to rejects (default: rejects_path());
    raises MappingError or SourceError when the mapping or a file is unusable, and
    RejectsNotWritable, before reading anything, when the rejects file could not be written.
    dry_run: checks everything and returns the report with its plan (report.plan), writing nothing."""
    if mode not in ("replace", "append"):
        raise ValueError(f"mode must be replace or append, not {mode!r}")
    files = [Path(f) for f in files]
    report = Report(mapping=mapping.path.name, files=files, db=Path(db), mode=mode,
                    rejects_path=rejects_path(files, db, rejects))
    if skip_bad_rows and not dry_run:
        _check_writable(report.rejects_path)
    reads = [_read_checked(f, mapping) for f in files]
    report.line_word = reads[0].line_word
    rows = pl.concat([r.rows for r in reads], how="diagonal_relaxed")
    existing = _existing(db, mapping, mode)
    _refuse_intervals_beside_contacts(mapping, existing)

    fed, report.dropped, found = _apply_row_rules(rows, mapping.source.row_rules)
    tables, problems = {}, [r.problems for r in reads] + found
    for table, tm in mapping.tables.items():
        frame, found, dropped, keyless = _table_rows(fed, tm, mapping)
        tables[table] = frame
        problems.append(found)
        report.dropped.update(dropped)
        report.keyless.update(keyless)
    problems += _duplicates(tables, mapping)
    problems += _unknown_names(tables, mapping, existing)
    report.problems = pl.concat(problems, how="diagonal_relaxed").sort(FILE, LINE) if problems else empty_problems()

    if len(report.problems) and not skip_bad_rows and not dry_run:
        raise ImportRejected(report)
    if len(report.problems):
        bad = report.problems.select(FILE, LINE).unique()
        tables = {t: f.join(bad, on=[FILE, LINE], how="anti") for t, f in tables.items()}
        report.rejected_rows = bad.height
        if not dry_run:
            report.rejects_files = [_write_rejects(report.problems, reads, mapping, report.rejects_path)]

    tables = _finish(tables, mapping, existing)
    if dry_run:
        if mode == "append" and Path(db).exists():
            tables = _only_new(Path(db), tables, report)
        report.plan = _plan(tables, mapping, db, mode)
        return report
    _write(db, tables, mapping, mode, report)
    report.imported = True
    return report


class AggregatedRows(SourceError):
    """The mapping says one row of a per-contact table stands for many contacts."""


class IntervalsBesideContacts(SourceError):
    """An interval report imported into a store holding contacts, whose intervals are built from them."""


def _refuse_aggregated(path: Path, mapping: Mapping) -> None:
    for table, tm in mapping.tables.items():
        if tm.contacts_per_row:
            raise AggregatedRows(
                f"{path.name}: the mapping {mapping.path.name} says one row stands for many "
                f"contacts (tables.{table}.contacts_per_row: {tm.contacts_per_row}). The file holds aggregated rows: "
                f"it is refused rather than imported as one contact per row. Map its counts to the table "
                f"contact_intervals instead (one row per interval, team, channel and touchpoint: README, Interval "
                f"reports; data/mappings/acd_intervals.yaml is an example). Nothing was imported.")


def _refuse_intervals_beside_contacts(mapping: Mapping, existing: "Existing") -> None:
    """A store holds contacts or interval reports, not both: its intervals are rebuilt from its contacts at
    every publish (dashboard/rollups.py), which would silently overwrite an imported report, and two
    sources of the same counts would disagree. Deleting the contacts to make room is not an import's call."""
    if "contact_intervals" in mapping.tables and existing.contacts:
        raise IntervalsBesideContacts(
            f"{existing.path} holds {existing.contacts:,} contacts (interactions), and its contact_intervals are "
            f"built from them, so the interval report of {mapping.path.name} has no place there. Import it into a "
            f"new store with --db NEW_STORE.duckdb (a store holds contacts or interval reports, not both). Nothing "
            f"was imported.")


def _read_checked(path: Path, mapping: Mapping) -> Read:
    _refuse_aggregated(path, mapping)   # before reading: such a file is refused whatever it holds
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

ORDER = "__order"   # a distinct table's fold order when order_by names a source column
ROW = "__row"       # a row's place in the files, to find a folded key's first line
UNSOUND = "__unsound_key"   # the row's key folds into a row the store cannot take (see _sound)


def _apply_row_rules(rows: pl.DataFrame, rules: tuple[RowRule, ...]) \
        -> tuple[pl.DataFrame, dict[str, int], list[pl.DataFrame]]:
    """(the rows the rules keep, rows each rule dropped, problems of cells a rule cannot read)."""
    dropped, problems = {}, []
    for rule in rules:
        problems += _unreadable_numbers(rows, rule.condition, rule.where)
        holds = _holds(rule.condition, rows.schema)
        kept = rows.filter(holds if rule.keep else holds.not_())
        dropped[rule.describe()] = rows.height - kept.height
        rows = kept
    return rows, dropped, problems


def _holds(condition: Condition, schema: pl.Schema) -> pl.Expr:
    """True where the condition holds, False elsewhere (never null: a missing cell meets no test but not_in)."""
    if condition.op in ("all", "any"):
        parts = [_holds(part, schema) for part in condition.parts]
        return pl.all_horizontal(parts) if condition.op == "all" else pl.any_horizontal(parts)
    if condition.op == "not":
        return _holds(condition.parts[0], schema).not_()
    cell = _as_text(condition.column, schema[condition.column])
    if condition.op == "present":
        return cell.is_not_null() if condition.values[0] else cell.is_null()
    if condition.op in ("in", "not_in"):
        found = cell.str.strip_chars().str.to_lowercase().is_in([v.lower() for v in condition.values])
        return found.fill_null(False) if condition.op == "in" else found.not_().fill_null(True)
    if condition.op == "matches":
        return cell.str.contains(condition.values[0]).fill_null(False)
    number, limit = _number_of(cell), condition.values[0]
    compared = {">": number > limit, "<": number < limit, ">=": number >= limit,
                "<=": number <= limit}[NUMERIC_TESTS[condition.op]]
    return compared.fill_null(False)


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A cell as text, whatever the file typed it as: a whole spreadsheet number reads 3, not 3.0."""
    cell = pl.col(column)
    if dtype.is_float():
        whole = pl.when(cell == cell.round()).then(cell.cast(pl.Int64, strict=False).cast(pl.String))
        return pl.coalesce(whole, cell.cast(pl.String))
    return cell.cast(pl.String)


def _hms_seconds(text: pl.Expr) -> pl.Expr:
    """H:MM:SS as seconds; null for anything else."""
    parts = text.str.extract_groups(r"^(\d+):([0-5]\d):([0-5]\d)$")
    return (parts.struct.field("1").cast(pl.Int64) * 3600 + parts.struct.field("2").cast(pl.Int64) * 60
            + parts.struct.field("3").cast(pl.Int64)).cast(pl.Float64)


def _number_of(cell: pl.Expr) -> pl.Expr:
    """A cell as conditions read it: a number, or H:MM:SS as seconds."""
    text = cell.str.strip_chars()
    return pl.coalesce(text.cast(pl.Float64, strict=False), _hms_seconds(text))


def _unreadable_numbers(rows: pl.DataFrame, condition: Condition, where: str) -> list[pl.DataFrame]:
    """A cell a numeric test reads that is not a number: said, not silently taken as failing the test."""
    found = []
    for column, test in condition.numeric_tests().items():
        cell = _as_text(column, rows.schema[column])
        bad = rows.filter(cell.is_not_null() & _number_of(cell).is_null())
        if bad.height:
            found.append(bad.select(FILE, LINE, pl.lit(f"'{column}' ({where})").alias("column"),
                                    pl.lit(f"cannot read as a number for the condition {test}").alias("problem"),
                                    cell.alias("value")))
    return found


def _table_rows(rows: pl.DataFrame, tm: TableMapping, mapping: Mapping) \
        -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int], dict[str, tuple[str, int]]]:
    """(one row of store values per source row, problems, rows each of the table's row rules dropped,
    rows of a distinct table that name no key: table -> (the key columns they lack, how many))."""
    rows, dropped, problems = _apply_row_rules(rows, tm.row_rules)
    columns = _columns_of(tm.table)
    out = rows.select(FILE, LINE)
    key_unreadable = pl.repeat(False, rows.height, dtype=pl.Boolean, eager=True)
    if tm.order_by_source:
        order, unreadable = _fold_order(rows, tm, mapping)
        out = out.with_columns(order.alias(ORDER))
        problems += unreadable
    for f in _in_dependency_order(tm, mapping):
        for condition, key in ((f.when, "when"), (f.only_if, "only_if")):
            if condition:
                problems += _unreadable_numbers(rows, condition, f"tables.{tm.table}.columns.{f.target}.{key}")
        value, problem = _evaluate(f, _reading(f, columns[f.target], tm), rows, out)
        out = out.with_columns(value.alias(f.target))
        if _is_key(tm.table, f.target):
            key_unreadable = key_unreadable | problem.is_not_null()
        problems.append(out.select(FILE, LINE, pl.lit(f"{f.describe()} ({tm.table}.{f.target})").alias("column"),
                                   problem.alias("problem"), _raw_text(f, rows).alias("value"))
                        .filter(pl.col("problem").is_not_null()))
    keyless = {}
    if tm.distinct:
        out, problems, keyless = _without_key(out, problems, key_unreadable, tm)
    _refuse_undeclared_scales(out, tm, mapping)
    if tm.distinct:   # the store needs a value per key, not per source row
        folded = _fold(out, tm)
        problems += _missing_after_fold(folded, tm, columns)
        problems += _broken_rules(folded, tm)
        # reported at the key's first line, but with --skip-bad-rows every row of the key stays out
        keys = _key_columns(tm.table, folded)
        unsound = folded.filter(_sound(folded, tm.table).not_()).select(pl.struct(keys)).to_series()
        out = out.with_columns(pl.struct(keys).is_in(unsound.implode()).fill_null(False).alias(UNSOUND))
    else:
        problems += _broken_rules(out, tm)
    return out, pl.concat(problems, how="vertical_relaxed") if problems else empty_problems(), dropped, keyless


def _without_key(out: pl.DataFrame, problems: list[pl.DataFrame], key_unreadable: pl.Series, tm: TableMapping) \
        -> tuple[pl.DataFrame, list[pl.DataFrame], dict[str, tuple[str, int]]]:
    """A distinct table's rows whose key is missing name no row of it (a call nobody took names no agent):
    they make none, and nothing else they hold is judged for this table. A key cell that is there but
    cannot be read is a problem still, not "no key"."""
    keys = _key_columns(tm.table, out)
    nameless = out.select(pl.any_horizontal(pl.col(k).is_null() for k in keys) & ~pl.lit(key_unreadable)).to_series()
    if not nameless.any():
        return out, problems, {}
    gone = out.filter(nameless)
    lacking = " or ".join(k for k in keys if gone[k].null_count())
    problems = [p.join(gone.select(FILE, LINE), on=[FILE, LINE], how="anti") for p in problems]
    return out.filter(~nameless), problems, {tm.table: (lacking, gone.height)}


def _broken_rules(frame: pl.DataFrame, tm: TableMapping) -> list[pl.DataFrame]:
    found = []
    for involved, condition, message in _rules(tm.table, frame.columns):
        if not all(c in frame.columns for c in involved):
            continue
        broken = frame.filter(condition(frame).not_())   # null (a missing value) is not a broken rule
        if broken.height:
            label = " / ".join(f"{tm.fields[c].describe()} ({tm.table}.{c})" for c in involved)
            value = pl.concat_str([pl.col(c).cast(pl.String).fill_null("missing") for c in involved], separator=" / ")
            found.append(broken.select(FILE, LINE, pl.lit(label).alias("column"), pl.lit(message).alias("problem"),
                                       value.alias("value")))
    return found


def _is_key(table: str, target: str) -> bool:
    return target in KEYS[table] or REFERENCES.get(target, ("",))[0] in KEYS[table]


def _reading(f: Field, column: Column, tm: TableMapping) -> Column:
    """The column a field's per-row values are read as: count and count_distinct fold any value (read as text)
    into a number. In distinct tables a value the store needs may come from any row of the key, and a row
    without a key makes no row (see _without_key)."""
    if f.aggregate in ("count", "count_distinct"):
        return Column(f.target, "VARCHAR", False)
    if tm.distinct:
        return replace(column, required=False)
    return column


def _columns_of(table: str) -> dict[str, Column]:
    """The table's store columns, and names standing in for ids (needed where the id is)."""
    columns = dict(store_columns()[table])
    for name, (id_column, _) in REFERENCES.items():
        needed = id_column in columns and columns[id_column].required
        columns.setdefault(name, Column(name, "VARCHAR", needed))
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
    columns = f.source_columns or f.condition_columns
    if not columns:
        return pl.lit(None, pl.String)
    return pl.concat_str([rows[c].cast(pl.String) for c in columns], separator=" ", ignore_nulls=True)


def _evaluate(f: Field, column: Column, rows: pl.DataFrame, done: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """(store values, problem per row or null) for one field, in the steps' order (see mapping.Field)."""
    value, present, problem = _read(f, column, rows, done)
    value, problem = _shape(f, column, value, problem, done)
    usable = present
    if f.only_if:   # where it does not hold, the value is missing (and what the cell held does not matter)
        holds = rows.select(_holds(f.only_if, rows.schema)).to_series()
        value, problem = _null_where(value, ~holds), _null_where(problem, ~holds)
        usable = present & holds
    if f.default is not None:
        fallback = value.is_null() & problem.is_null() & ~usable
        value = value.zip_with(~fallback, pl.repeat(f.default, len(value), dtype=value.dtype, eager=True))
    if f.unless:   # e.g. no agent for an abandoned call, whatever the export says
        skip = done[f.unless].fill_null(False)
        value, problem = _null_where(value, skip), _null_where(problem, skip)
    if column.required:
        problem = _note(problem, value.is_null(), "missing value (the store needs one)")
    return value, problem


def _read(f: Field, column: Column, rows: pl.DataFrame, done: pl.DataFrame) \
        -> tuple[pl.Series, pl.Series, pl.Series]:
    """(values of the column's type, whether the source had a value, problem per row or null)."""
    kind = column.kind
    target_type = _POLARS_TYPES[kind]
    height = rows.height
    none = pl.repeat(None, height, dtype=pl.String, eager=True)
    every = pl.repeat(True, height, dtype=pl.Boolean, eager=True)
    if f.has_constant:
        return pl.repeat(f.constant, height, dtype=target_type, eager=True), every, none
    if f.seconds_between:
        start, end = f.seconds_between
        value = (done[end] - done[start]).dt.total_seconds().cast(target_type)
        return value, value.is_not_null(), none
    if f.add_seconds:
        base, seconds = f.add_seconds
        value = done.select(pl.col(base) + pl.duration(seconds=pl.col(seconds)))[base].cast(target_type)
        return value, value.is_not_null(), none
    if f.when:
        return rows.select(_holds(f.when, rows.schema)).to_series(), every, none
    if f.same_as:
        value = done[f.same_as].cast(target_type)
        return value, value.is_not_null(), none
    if f.average_of:   # an average over a count of the same row: the total is their product, to the unit
        raw = rows[f.average_of]
        average, failed = _parse(raw, f, "number")
        total = (average * done[f.times].cast(pl.Float64) + 0.5).floor()   # to the unit, half up
        present = raw.is_not_null()
        return total.cast(target_type), present, _note(none, present & failed, _cannot(f, "number"))
    if f.columns:
        cells = [_as_text(c, rows.schema[c]) for c in f.columns]
        if kind == "integer":
            value = _stable_ids(rows.select(pl.concat_str(cells, separator=KEY_SEPARATOR)).to_series())
        else:
            value = rows.select(pl.concat_str(cells, separator=KEY_JOIN)).to_series()
        return value, value.is_not_null(), none
    if f.date:
        raw = _text_cells(rows[f.date], f.date_format)
        if f.time:
            raw = raw + " " + _text_cells(rows[f.time], f.time_format)
        fmt = f"{f.date_format} {f.time_format}" if f.time else (f.format or f.date_format)
        present = raw.is_not_null()
        value = raw.str.strptime(target_type, fmt, strict=False) if kind in ("date", "timestamp") else raw
        return value, present, _note(none, present & value.is_null(),
                                     f"cannot read as {_WHAT[kind]} in the format {fmt}")
    if not f.column:   # aggregate: count with no value: every row counts
        return pl.repeat("1", height, dtype=pl.String, eager=True), every, none
    raw = rows[f.column]
    present = raw.is_not_null()
    if f.map is not None:
        text = _pattern_text(raw, f)
        value, unmapped = _mapped(text, f, target_type)
        problem = _note(none, present & text.is_null(), _cannot(f, kind))   # a pattern that did not match
        keys = ", ".join(f.map)
        return value, present, _note(problem, unmapped, f"not a key of the map ({keys}) and no otherwise")
    value, failed = _parse(raw, f, "number" if f.bands else kind)
    return value, present, _note(none, present & failed, _cannot(f, "number" if f.bands else kind))


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


def _pattern_text(raw: pl.Series, f: Field) -> pl.Series:
    text = raw if raw.dtype == pl.String else raw.to_frame("cell").select(_as_text("cell", raw.dtype)).to_series()
    return text.str.extract(f.pattern, 1) if f.pattern else text


def _parse(raw: pl.Series, f: Field, kind: str) -> tuple[pl.Series, pl.Series]:
    """(values, failed) where failed marks present cells that could not be read."""
    text = _pattern_text(raw, f)
    if f.pattern:
        raw = text
    if kind == "text":
        value = text
    elif kind in ("integer", "number"):
        if f.duration == "hms":
            value = text.to_frame("t").select(_hms_seconds(pl.col("t"))).to_series()
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
            otherwise = pl.lit(f.otherwise, pl.Boolean)
            value = pl.select(pl.when(word.is_in(list(f.true or DEFAULT_TRUE))).then(True)
                              .when(word.is_in(list(f.false or DEFAULT_FALSE))).then(False)
                              .otherwise(otherwise)).to_series()
    elif raw.dtype == pl.Date or isinstance(raw.dtype, pl.Datetime):
        value = raw.cast(_POLARS_TYPES[kind])
    else:
        default = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
        value = text.str.strip_chars().str.strptime(_POLARS_TYPES[kind], f.format or default, strict=False)
    return value, value.is_null()


def _mapped(text: pl.Series, f: Field, target_type: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """(the map's value for each cell, cells in no key and no otherwise); keys ignore case and spaces."""
    word = text.str.strip_chars().str.to_lowercase()
    keys = [k.lower() for k in f.map]
    value = word.replace_strict(keys, pl.Series(list(f.map.values()), dtype=target_type), default=None,
                                return_dtype=target_type)
    unknown = word.is_not_null() & ~word.is_in(keys)
    if f.has_otherwise:
        other = pl.repeat(f.otherwise, len(word), dtype=target_type, eager=True)
        return value.zip_with(~unknown, other), pl.repeat(False, len(word), dtype=pl.Boolean, eager=True)
    return value, unknown


def _shape(f: Field, column: Column, value: pl.Series, problem: pl.Series, done: pl.DataFrame) \
        -> tuple[pl.Series, pl.Series]:
    """bands -> cap -> scale -> after."""
    target_type = _POLARS_TYPES[column.kind]
    if f.bands:
        value, outside = _band(value, f.bands, target_type)
        problem = _note(problem, outside, f"in no band ({', '.join(b.label for b in f.bands)})")
    if f.cap:
        value = value.clip(*f.cap).cast(target_type)
    if f.scale:
        (low, high), (store_low, store_high) = f.scale, f.scale_to
        outside = value.is_not_null() & ~value.is_between(low, high)
        problem = _note(problem, outside, f"outside the declared scale {low}-{high}")
        # linear onto the store's scale, rounded half up to a whole answer
        scaled = ((value.cast(pl.Float64) - low) * (store_high - store_low) / (high - low) + store_low + 0.5).floor()
        value = _null_where(scaled, outside).cast(target_type)
    if f.after:   # a time of day before the earlier moment is on the next day
        earlier = done[f.after]
        value = value.zip_with(~(value < earlier).fill_null(False), value.dt.offset_by("1d"))
    return value, problem


def _band(value: pl.Series, bands: tuple[Band, ...], target_type: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """(each number's band value, numbers in no band)."""
    x = pl.col("x")
    inside = [(x >= b.low) & (x <= b.high) if b.high is not None else x >= b.low for b in bands]
    chain = pl.when(inside[0]).then(pl.lit(bands[0].value, target_type))
    for condition, band in zip(inside[1:], bands[1:]):
        chain = chain.when(condition).then(pl.lit(band.value, target_type))
    frame = value.cast(pl.Float64).to_frame("x").select(
        chain.otherwise(pl.lit(None, target_type)).alias("value"),
        (x.is_not_null() & ~pl.any_horizontal(inside)).alias("outside"))
    return frame["value"], frame["outside"]


def _note(problem: pl.Series, where: pl.Series, message: str) -> pl.Series:
    """The message where `where` holds and the row has no problem yet (the first problem of a cell is its cause)."""
    add = where.fill_null(False) & problem.is_null()
    return problem.zip_with(~add, pl.repeat(message, len(problem), dtype=pl.String, eager=True))


def _null_where(series: pl.Series, where: pl.Series) -> pl.Series:
    return series.zip_with(~where.fill_null(False), series.clear(len(series)))


def _stable_ids(keys: pl.Series) -> pl.Series:
    """The first 62 bits of each key's MD5, read big-endian: the same cells give the same id in any import,
    so rows of other files (surveys) can point at the same contact. Missing keys stay missing."""
    with duckdb.connect() as con:
        con.register("keys", keys.to_frame("key"))
        return con.sql("select (('0x' || left(md5(key), 16))::ubigint >> 2)::bigint as id from keys").pl()["id"]


# ISO 8601 as exports write it: a date, or a date and a time (seconds and their fraction optional) after a
# space or a T, or a T and a Z (UTC)
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%d %H:%M",
               "%Y-%m-%dT%H:%M", "%Y-%m-%d")
ORDER_EXAMPLES = 3


def _fold_order(rows: pl.DataFrame, tm: TableMapping, mapping: Mapping) -> tuple[pl.Series, list[pl.DataFrame]]:
    """(the order a distinct table's rows fold in, problems of cells its format cannot read) when order_by
    names a source column. Text that is neither numbers nor ISO dates is refused rather than sorted as
    words: as words 10/3/2016 comes before 9/3/2016, and `last` would silently be the wrong row."""
    column = tm.order_by_source
    dtype = rows.schema[column]
    if tm.order_format:
        return _order_in_format(rows, column, tm.order_format, tm.table)
    if dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
        return rows[column], []
    text = rows.select(_as_text(column, dtype).str.strip_chars()).to_series()
    numbers, times = text.to_frame("t").select(_number_of(pl.col("t"))).to_series(), _iso_times(text)
    for order in (numbers, times):
        if order.null_count() == text.null_count():
            return order, []
    neither = text.filter(numbers.is_null() & times.is_null() & text.is_not_null())
    odd = neither if neither.len() else text.filter(numbers.is_null() & text.is_not_null())   # numbers and dates
    examples = ", ".join(f"'{v}'" for v in odd.unique(maintain_order=True).head(ORDER_EXAMPLES))
    files = ", ".join(rows[FILE].unique(maintain_order=True))
    raise MappingError(mapping.path, f"tables.{tm.table}.order_by",
                       f"'{column}' in {files} holds neither only numbers nor only ISO dates ({examples}); sorted "
                       f"as words, a key's rows would fold in the wrong order. Give its format in strftime codes, e.g. "
                       f"order_by: {{column: {column}, format: \"%d/%m/%Y %H:%M\"}}")


def _order_in_format(rows: pl.DataFrame, column: str, fmt: str, table: str) -> tuple[pl.Series, list[pl.DataFrame]]:
    """order_by: {column: C, format: F}: C's cells as timestamps, and a problem for each F cannot read."""
    dtype = rows.schema[column]
    text = _text_cells(rows[column], fmt) if dtype.is_temporal() else rows.select(_as_text(column, dtype)).to_series()
    order = text.str.strip_chars().str.strptime(pl.Datetime("us"), fmt, strict=False)
    unreadable = rows.select(FILE, LINE, text.alias("value")).filter(text.is_not_null() & order.is_null())
    if not unreadable.height:
        return order, []
    return order, [unreadable.select(FILE, LINE, pl.lit(f"'{column}' (tables.{table}.order_by)").alias("column"),
                                     pl.lit(f"cannot read as a date and time in the format {fmt}").alias("problem"),
                                     "value")]


def _iso_times(text: pl.Series) -> pl.Series:
    """ISO dates and times as timestamps; null for anything else."""
    return pl.select(pl.coalesce([pl.lit(text).str.strptime(pl.Datetime("us"), f, strict=False)
                                  for f in ISO_FORMATS])).to_series()


def _refuse_undeclared_scales(out: pl.DataFrame, tm: TableMapping, mapping: Mapping) -> None:
    """A 1-4 survey read as 1-5 would rate everyone low: with enough answers and none at the top of the
    store's scale, the mapping must say which scale the answers are on."""
    for f in tm.fields.values():
        if not f.scale_to or f.scale or f.map or f.bands or not f.source_columns:
            continue
        answers = out[f.target].drop_nulls()
        low, high = f.scale_to
        if answers.len() >= SCALE_CHECK_ANSWERS and answers.max() < high:
            seen_low, seen_high = answers.min(), answers.max()
            files = ", ".join(out[FILE].unique(maintain_order=True).to_list())
            raise MappingError(mapping.path, f"tables.{tm.table}.columns.{f.target}",
                               f"answers in {files} span {seen_low}-{seen_high} only, the store's {f.target} is "
                               f"{low}-{high}: declare `scale: {min(low, seen_low)}-{seen_high}` to rescale, "
                               f"or `scale: {low}-{high}` if the top answer simply never occurs")


def _missing_after_fold(folded: pl.DataFrame, tm: TableMapping, columns: dict[str, Column]) -> list[pl.DataFrame]:
    """Values the store needs that no row of a key had, reported at the key's first line."""
    keys = _key_columns(tm.table, folded)
    found = []
    for f in tm.fields.values():
        if not columns[f.target].required or _is_key(tm.table, f.target):
            continue
        lacking = folded.filter(pl.col(f.target).is_null())
        if lacking.height:
            found.append(lacking.select(
                FILE, LINE, pl.lit(f"{f.describe()} ({tm.table}.{f.target})").alias("column"),
                pl.lit("missing value (the store needs one) in every row of its key").alias("problem"),
                pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=" / ").alias("value")))
    return found


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
    # replaced dimension: name -> id, for names the store holds once. A row of the same name keeps its id (the
    # same team is the same team, as with --append), so re-importing an export gives the very same store;
    # a new name gets an id no row has had, so rows kept in other tables never land on it.
    replaced_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    contacts: int = 0                 # rows of interactions


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
        found.contacts = con.sql("select count(*) from interactions").fetchall()[0][0]
        for table, id_column in AUTO_IDS.items():
            found.max_id[table] = con.sql(f"select coalesce(max({id_column}), 0) from {table}").fetchall()[0][0]
        for name, (id_column, table) in REFERENCES.items():
            pairs = con.sql(f"select {name}, {id_column} from {table}").fetchall()
            if table in mapping.tables and mode == "replace":
                # its rows are about to be replaced: names must come from this import, ids may be kept
                once = {key for key, count in Counter(key for key, _ in pairs).items() if count == 1}
                found.replaced_ids[table] = {key: value for key, value in pairs if key in once}
                continue
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
            # with --skip-bad-rows: keys whose folded row was reported bad stay out whole, and so do keys
            # that lost a row holding a value the store needs
            frame = _fold(frame.filter(pl.col(UNSOUND).not_()), tm)
            frame = frame.filter(_sound(frame, table))
        auto = AUTO_IDS.get(table)
        name = next((n for n, (_, dim) in REFERENCES.items() if dim == table), None)
        if auto and auto not in frame.columns:
            start = existing.max_id.get(table, 0) + 1
            new_ids = pl.int_range(start, start + pl.len(), dtype=pl.Int64)
            known = ids.get(table) or existing.replaced_ids.get(table)
            if name in frame.columns and known:
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


def _fold(frame: pl.DataFrame, tm: TableMapping) -> pl.DataFrame:
    """A distinct table's rows, one per key: each column by its aggregate, first and last in order_by's
    order (default: file order); __file and __line are the key's first line in the files."""
    columns = _columns_of(tm.table)
    keys = _key_columns(tm.table, frame)
    frame = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys)).with_row_index(ROW)
    order = ORDER if tm.order_by_source else tm.order_by
    if order:
        frame = frame.sort(order, nulls_last=True, maintain_order=True)
    first_row = pl.col(ROW).arg_min()
    return (frame.group_by(keys, maintain_order=True)
            .agg(pl.col(ROW).min(), pl.col(FILE).get(first_row), pl.col(LINE).get(first_row),
                 *[_aggregate(f, columns[f.target]) for f in tm.fields.values() if f.target not in keys])
            .sort(ROW).drop(ROW))


def _sound(frame: pl.DataFrame, table: str) -> pl.Expr:
    """Rows with every value the store needs and no broken rule (a missing value breaks no rule)."""
    needed = [pl.col(c.name).is_not_null() for c in _columns_of(table).values()
              if c.required and c.name in frame.columns]
    rules = [condition(frame).fill_null(True) for involved, condition, _ in _rules(table, frame.columns)
             if all(c in frame.columns for c in involved)]
    return pl.all_horizontal(needed + rules) if needed or rules else pl.lit(True)


def _aggregate(f: Field, column: Column) -> pl.Expr:
    values = pl.col(f.target)
    folded = {"first": values.drop_nulls().first(), "last": values.drop_nulls().last(),
              "min": values.min(), "max": values.max(), "count": values.count(),
              "count_distinct": values.drop_nulls().n_unique(),
              "sum": pl.when(values.count() > 0).then(values.sum())}[f.aggregate]   # no values: no sum, not 0
    return folded.cast(_POLARS_TYPES[column.kind]).alias(f.target)


# Columns that point at another table's rows, checked after an import so that replacing one
# table while keeping another does not silently leave rows pointing at nothing.
FOREIGN_KEYS = (("agents", "team_id", "teams"), ("interactions", "team_id", "teams"),
                ("interactions", "agent_id", "agents"), ("interactions", "touchpoint_id", "touchpoints"),
                ("customer_surveys", "interaction_id", "interactions"), ("agent_surveys", "agent_id", "agents"),
                ("agent_requests", "agent_id", "agents"), ("training", "agent_id", "agents"),
                ("events", "team_id", "teams"), ("contact_intervals", "team_id", "teams"),
                ("contact_intervals", "touchpoint_id", "touchpoints"))


def _write(db: Path, tables: dict[str, pl.DataFrame], mapping: Mapping, mode: str, report: Report) -> None:
    db = Path(db)
    with store.write_lock(db):
        if mode == "append" and db.exists():
            tables = _only_new(db, tables, report)
            if not any(frame.height for frame in tables.values()):
                _nothing_new(report, tables)   # no copy, no publish: readers keep the very same file
                return
        built = store.new_version_file(db)
        try:
            published = store.version(db)[0] if db.exists() else None
            if published:
                shutil.copyfile(published, built)
            with duckdb.connect(str(built)) as con:
                if not published:
                    store.create_schema(con)
                con.begin()
                intervals_before = _imported_intervals(con)
                for table, frame in tables.items():
                    _insert(con, table, frame, mode, report)
                if "interactions" in tables:
                    _mark_repeats(con)
                report.warnings += _orphans(con, tables)
                report.warnings += _intervals_rebuilt(con, intervals_before)
                if _changes_rollup_inputs(tables, mode):
                    rollups.build(con)
                coverage.record(con, _supplied(mapping), append=mode == "append", assumed=_assumed(mapping))
                con.commit()
                # the tables the import did not feed are byte copies of the published ones
                changed = not published or _differs(con, published, [*tables, "store_coverage"])
                if changed:
                    con.execute("checkpoint")
            if not changed:
                store.discard(built)
                _nothing_new(report, tables)   # no publish: readers keep the very same file
                return
            store.publish(built, db)
        except BaseException:
            store.discard(built)
            raise


# The tables the contact rollups (dashboard/rollups.py) are built from: the contacts, their survey answers,
# the touchpoints whose SLAs the interval counts judge, an imported interval report (contact_days sums it),
# and the customers (none reads them yet; named so a rollup of customers' contacts is rebuilt with them).
# An import changing none of them (agents, their surveys, requests, training, events, teams) leaves the
# rollups as published: rebuilding them costs seconds at 10M contacts. tests/test_import_rollups.py checks
# the rollups read nothing else.
ROLLUP_INPUTS = frozenset({"interactions", "customer_surveys", "touchpoints", "contact_intervals", "customers"})


def _changes_rollup_inputs(tables: dict[str, pl.DataFrame], mode: str) -> bool:
    """Whether this import changes a table the rollups are built from: a replace rewrites every table it
    feeds; an append only those it adds rows to (_only_new has left out the rows already there)."""
    return any(table in ROLLUP_INPUTS and (mode == "replace" or frame.height) for table, frame in tables.items())


def _differs(con: duckdb.DuckDBPyConnection, published: str, tables: list[str]) -> bool:
    """Whether the built store's tables differ from the published store's, row for row (duplicates
    counted). store_coverage is among them: the same rows with other columns supplied (another
    mapping) change what the pages say, so that import changes the store."""
    con.execute("attach $path as published (read_only)", {"path": published})
    try:
        return any(_table_differs(con, table) for table in tables)
    finally:
        con.execute("detach published")


def _table_differs(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    # table names come from the schema and mapping constants, never from a user; the built file is a
    # copy of the published one, so the columns are in the same order
    counts = con.sql(f"select (select count(*) from main.{table}), (select count(*) from published.{table})")
    built_rows, published_rows = counts.fetchall()[0]
    if built_rows != published_rows:
        return True
    return any(con.sql(f"select exists (select * from {one}.{table} except all select * from {other}.{table})"
                       ).fetchall()[0][0] for one, other in (("main", "published"), ("published", "main")))


def _nothing_new(report: Report, tables: dict[str, pl.DataFrame]) -> None:
    """The report of an import that leaves the store as it was: no row added. A replace's rows are
    all in the store already, exactly; an append's skipped rows were counted by _only_new."""
    report.unchanged = True
    report.inserted = {table: 0 for table in tables}
    if report.mode == "replace":
        report.skipped = {table: {SAME_AS_STORE: frame.height} for table, frame in tables.items()}


# What the report says of an import whose store would be the published one (replace or append), and
# why a replace then adds none of its rows (with their count, per table).
NOTHING_NEW = "nothing new: the store is unchanged"
SAME_AS_STORE = "the store holds exactly these rows already"
# Why --append leaves a row out; the report gives each with its count, per table.
CONTACT_IN_STORE = "their interaction_id is already in the store: an answer goes in only with its contact"


def already_in_store(table: str) -> str:
    key = " + ".join(KEYS[table])
    if table in {dimension for _, dimension in REFERENCES.values()}:
        return f"{key} already in the store, whose row is kept and used"
    return f"{key} already in the store"


# A contact is an interaction together with its customer's survey answers about it. --append keeps a
# contact only when it is new: when the export also feeds interactions and an answer's interaction id
# is already in the store, that id is a contact the store already holds (perhaps another system's or
# another year's), so the answer is left out with its interaction rather than added to it. An export
# of answers alone (no interactions) is meant for contacts in the store and keeps the usual rule.
# Teams, touchpoints, agents and customers are not contacts but shared by name or id (reused);
# agent surveys, requests and training are facts with keys of their own (an agent, a day, a kind),
# added when their key is new: they do not follow the agents of an import.
CONTACT_PARTS = {"customer_surveys": ("interaction_id", "interactions")}


def _only_new(db: Path, tables: dict[str, pl.DataFrame], report: Report) -> dict[str, pl.DataFrame]:
    """The rows --append adds: those whose key is not in the published store and, for a contact's
    parts, whose contact is not there either (see CONTACT_PARTS); report.skipped counts the others.
    Read from the published store under the write lock, so it is the file the new version copies."""
    con = store.open_read_only(db)
    try:
        return {table: _new_rows(con, table, frame, tables, report) for table, frame in tables.items()}
    finally:
        con.close()


def _new_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, tables: dict[str, pl.DataFrame],
              report: Report) -> pl.DataFrame:
    # table and column names come from the schema and mapping constants, never from a user
    keys = [k for k in KEYS[table] if k in frame.columns]
    match = " and ".join(f"present.{k} = incoming.{k}" for k in keys) or "false"
    reasons = [(f"exists (select 1 from {table} as present where {match})", already_in_store(table))]
    if table in CONTACT_PARTS and CONTACT_PARTS[table][1] in tables:
        column, parent = CONTACT_PARTS[table]
        reasons.append((f"exists (select 1 from {parent} as contact where contact.{column} = incoming.{column})",
                        CONTACT_IN_STORE))
    why = " ".join(f"when {condition} then $reason{i}" for i, (condition, _) in enumerate(reasons))
    numbered = frame.with_row_index(ROW)
    con.register("incoming", numbered)
    try:
        verdicts = con.sql(f"select {ROW}, case {why} end as why from incoming",
                           params={f"reason{i}": reason for i, (_, reason) in enumerate(reasons)}).pl()
    finally:
        con.unregister("incoming")
    left_out = verdicts.filter(pl.col("why").is_not_null())
    report.skipped[table] = dict(left_out.group_by("why").len().iter_rows())
    return numbered.join(left_out.select(ROW), on=ROW, how="anti").drop(ROW)


# Settings a centre declares rather than measures: a constant here is the centre's word, not an
# assumption standing in for data (the SLA promise of a touchpoint, a team's planned seats).
DECLARED = {("touchpoints", "sla_seconds"), ("teams", "planned_seats")}


def _assumed(mapping: Mapping) -> dict[str, set[str]]:
    """Measures the mapping sets to one value for every row (abandoned: {constant: false} for
    tickets, authority_limit: {constant: 0}): assumptions, so figures resting on them say "no data"
    instead of 0 %. Text constants (a team's name, a channel) are labels, not measures."""
    out = {}
    for table, tm in mapping.tables.items():
        columns = store_columns()[table]
        out[table] = {f.target for f in tm.fields.values() if f.has_constant and f.target in columns
                      and columns[f.target].kind != "text" and (table, f.target) not in DECLARED}
    return out


def _supplied(mapping: Mapping) -> dict[str, set[str]]:
    """The store columns each fed table gets from this mapping's export (a name given for an id
    fills the id); measures set to a constant are not among them (_assumed)."""
    out, assumed = {}, _assumed(mapping)
    for table, tm in mapping.tables.items():
        columns = store_columns()[table]
        filled = {REFERENCES[t][0] if t in REFERENCES and t not in columns else t for t in tm.fields}
        if AUTO_IDS.get(table):
            filled.add(AUTO_IDS[table])
        out[table] = (filled & set(columns)) - assumed[table]
    return out


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, mode: str, report: Report) -> None:
    """Writes the table's rows: all of them in place of the old ones (replace), or, for append, the
    rows _only_new kept."""
    if mode == "replace":
        con.execute(f"delete from {table}")
    con.register("incoming", frame)
    # not unregistered when the insert fails: the new version is then discarded whole (_write), and an
    # unregister in the aborted transaction would raise in place of the insert's own error (a published
    # store cut short fails here with an IO error, which the CLI names as a store that cannot be read)
    con.execute(f"insert into {table} by name select * from incoming")
    con.unregister("incoming")
    report.inserted[table] = frame.height


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


def _imported_intervals(con: duckdb.DuckDBPyConnection) -> int:
    """Interval rows of a store without contacts: an interval report imported earlier."""
    contacts, intervals = _contacts_and_intervals(con)
    return 0 if contacts else intervals


def _contacts_and_intervals(con: duckdb.DuckDBPyConnection) -> tuple[bool, int]:
    # fetched to the end: a result left open would stop the next register() on this connection
    return con.execute("select exists (select 1 from interactions), (select count(*) from contact_intervals)"
                       ).fetchall()[0]


def _intervals_rebuilt(con: duckdb.DuckDBPyConnection, intervals_before: int) -> list[str]:
    """Contacts imported into a store of interval reports: the intervals are rebuilt from the contacts."""
    if intervals_before and _contacts_and_intervals(con)[0]:
        return [f"the store held {intervals_before:,} imported interval rows (contact_intervals) and no contacts; "
                f"they are replaced by the intervals of the contacts now imported (a store holds contacts or "
                f"interval reports, not both)"]
    return []


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


# -- the dry run: what an import would do, written nowhere ----------------------------------------

@dataclass
class Plan:
    """What `import --dry-run` reports: the rows each table would get, the columns it would fill,
    and which KPIs and charts would then say "no data" and why."""
    rows: dict[str, int]
    filled: dict[str, list[str]]
    kpi_gaps: list[tuple[str, str]]                  # (KPI label, why)
    chart_gaps: list[tuple[str, str, str]]           # (page, chart title, why)

    def text(self) -> str:
        out = ["Rows per table (after folding and leaving out rejected rows):"]
        out += [f"  {table}: {count:,}" for table, count in self.rows.items()]
        out.append("Columns the import fills:")
        out += [f"  {table}: {', '.join(columns)}" for table, columns in self.filled.items()]
        if self.kpi_gaps:
            out.append('KPIs that will say "no data":')
            out += [f"  {label}: {why}" for label, why in self.kpi_gaps]
        else:
            out.append("Every KPI will have data.")
        if self.chart_gaps:
            out.append('Charts that will say "no data" (page: chart - why):')
            out += [f"  {page}: {title} - {why}" for page, title, why in self.chart_gaps]
        return "\n".join(out)


def _plan(tables: dict[str, pl.DataFrame], mapping: Mapping, db: Path, mode: str) -> Plan:
    from dashboard import catalogue, config, kpis

    supplied = _supplied(mapping)
    before = None
    if Path(db).exists():
        con = store.open_read_only(db)
        try:
            before = coverage.read(con)
        finally:
            con.close()
    fed = {table: (frame.height, supplied[table]) for table, frame in tables.items()}
    after = coverage.projected(before, fed, append=mode == "append")
    order = list(store_columns())
    filled = {t: [c for c in store_columns()[t] if c in supplied[t]] for t in sorted(tables, key=order.index)}
    charts = [(q.page or "queries", q.title, "; ".join(after.reasons(q.needs)))
              for q in catalogue.load(config.queries_dir()).queries if q.needs and after.reasons(q.needs)]
    return Plan(rows={t: f.height for t, f in tables.items()}, filled=filled,
                kpi_gaps=[(kpi.label, why) for kpi, why in kpis.gaps(after)], chart_gaps=sorted(charts))
