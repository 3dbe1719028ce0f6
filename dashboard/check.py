"""`python -m dashboard check`: every query file must parse, declare exactly the parameters it
uses, run on a small generated store, and return the columns its header names; a file reading
agent_surveys must list every column that moves with the agents' answers in its respondents header."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import polars as pl

from dashboard import catalogue, confidential, demo, filters, kpis, store

CHECK_STORE_INTERACTIONS = 5_000


def problems_in(folder: Path, db_path: Path) -> tuple[int, list[catalogue.QueryFileError]]:
    """(number of files checked, problems found) for the query files in folder, run on db_path."""
    cat = catalogue.load(folder)
    problems = list(cat.errors)
    con = store.open_read_only(db_path)
    try:
        values = filters.bound_values(filters.read_choices(con).defaults())
        for query in cat.queries:
            try:
                frame = catalogue.execute(con, query, values)
            except catalogue.QueryFileError as err:
                problems.append(err)
                continue
            problems.extend(_column_problems(query, frame.columns))
    finally:
        con.close()
    return len(cat.queries) + len(cat.errors), sorted(problems, key=lambda e: (str(e.path), e.line))


def _column_problems(query: catalogue.Query, columns: list[str]) -> list[catalogue.QueryFileError]:
    out = [catalogue.QueryFileError(query.path, query.header_lines.get("respondents", 1),
                                    f"respondents '{name}' is not a column of the result {columns}")
           for name in confidential.unknown_columns(query.respondents or {}, columns)]
    if query.spec.kind == "kpi":
        for column in columns:
            problem = kpis.column_problem(column, columns)
            if problem:
                out.append(catalogue.QueryFileError(query.path, query.line_of_sql_start(), problem))
        return out
    for key in ("x", "color", "z", "error_low", "error_high", "drill"):
        name = getattr(query.spec, key)
        if name and name not in columns:
            out.append(catalogue.QueryFileError(query.path, query.header_lines.get(key, 1),
                                                f"{key} '{name}' is not a column of the result {columns}"))
    if query.spec.n and query.spec.n not in columns:
        out.append(catalogue.QueryFileError(query.path, query.header_lines.get("n", 1),
                                            f"n '{query.spec.n}' is not a column of the result {columns}"))
    reading = query.spec.reading.columns() if query.spec.reading else ()
    for key, names in (("y", query.spec.y), ("hover", query.spec.hover), ("column_needs", query.column_needs),
                       ("reading", reading)):
        for name in names:
            if name not in columns:
                out.append(catalogue.QueryFileError(query.path, query.header_lines.get(key, 1),
                                                    f"{key} '{name}' is not a column of the result {columns}"))
    return out


# every agent-survey answer set to the lowest, then to the highest the scale allows (nulls kept, so
# counts of answers stay the same): a figure from the answers moves in one or the other
_ITEM_SCALES = {"satisfaction": (1, 5), "empowerment": (1, 5), "manager_support": (1, 5),
                "training_adequacy": (1, 5), "pressure": (1, 5), "enps": (0, 10)}
MOVED_ANSWERS = tuple(
    "update agent_surveys set " + ", ".join(f"{item} = case when {item} is not null then {scale[end]} end"
                                           for item, scale in _ITEM_SCALES.items())
    for end in (0, 1))


def undeclared_figures(folder: Path, db_path: Path) -> list[catalogue.QueryFileError]:
    """Columns that move when the agents' answers move but that the file's respondents header does
    not list: a figure the threshold would then leave unblanked. Each file that declares respondents
    runs on db_path and on a copy whose every answer is shifted; a count of answers does not move."""
    queries = [q for q in catalogue.load(folder).queries if q.respondents is not None]
    if not queries:
        return []
    copies = [db_path.with_name(f"{db_path.stem}-answers-{end}.duckdb") for end in ("lowest", "highest")]
    try:
        for copy, update in zip(copies, MOVED_ANSWERS):
            shutil.copyfile(db_path, copy)
            with duckdb.connect(str(copy)) as con:
                con.execute(update)
        return [problem for query in queries for problem in _moved_columns(query, db_path, copies)]
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)


def _moved_columns(query: catalogue.Query, original: Path, copies: list[Path]) -> list[catalogue.QueryFileError]:
    frames = []
    for path in (original, *copies):
        con = store.open_read_only(path)
        try:
            values = filters.bound_values(filters.read_choices(con).defaults())
            frames.append(catalogue.execute(con, query, values))
        except catalogue.QueryFileError:
            return []   # problems_in reports it
        finally:
            con.close()
    declared = set(query.respondents)
    return [catalogue.QueryFileError(
                query.path, query.header_lines.get("respondents", 1),
                f"'{column}' changes with the agents' answers (checked by changing them on a copy of the check "
                "store), so it is an agent-survey figure; name it in respondents with its respondent count")
            for column in frames[0].columns
            if column not in declared and any(_values(frames[0], column) != _values(moved, column)
                                              for moved in frames[1:])]


def _values(frame: pl.DataFrame, column: str) -> list:
    """The column's values as a sorted multiset (rows may come back in another order), floats
    rounded past the noise of summing in another order."""
    series = frame.get_column(column)
    if series.dtype.is_float():
        series = series.round(6)
    return sorted(series.cast(pl.String).to_list(), key=lambda v: (v is None, v or ""))


def main(folder: Path, db_path: Path | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if db_path is None:
            db_path = demo.build(Path(tmp) / "check.duckdb", interactions=CHECK_STORE_INTERACTIONS,
                                 seed=1, progress=False)
            checked, problems = problems_in(Path(folder), db_path)
            problems += undeclared_figures(Path(folder), db_path)   # only on the check's own store: a copy
        else:
            checked, problems = problems_in(Path(folder), db_path)
    for problem in problems:
        print(f"{problem.path}:{problem.line}: {problem.message}", file=sys.stderr)
    print(f"{checked} query files checked, {len(problems)} with errors")
    return 1 if problems else 0
