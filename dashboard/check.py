"""`python -m dashboard check`: every query file must parse, declare exactly the parameters it
uses, run on a small generated store, and return the columns its header names."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

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
    if query.chart == "kpi":
        for column in columns:
            problem = kpis.column_problem(column, columns)
            if problem:
                out.append(catalogue.QueryFileError(query.path, query.line_of_sql_start(), problem))
        return out
    for key in ("x", "color", "z", "error_low", "error_high", "drill"):
        name = getattr(query, key)
        if name and name not in columns:
            out.append(catalogue.QueryFileError(query.path, query.header_lines.get(key, 1),
                                                f"{key} '{name}' is not a column of the result {columns}"))
    if query.n and query.n not in columns:
        out.append(catalogue.QueryFileError(query.path, query.header_lines.get("n", 1),
                                            f"n '{query.n}' is not a column of the result {columns}"))
    for key in ("y", "hover", "column_needs"):
        for name in getattr(query, key):
            if name not in columns:
                out.append(catalogue.QueryFileError(query.path, query.header_lines.get(key, 1),
                                                    f"{key} '{name}' is not a column of the result {columns}"))
    return out


def main(folder: Path, db_path: Path | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if db_path is None:
            db_path = demo.build(Path(tmp) / "check.duckdb", interactions=CHECK_STORE_INTERACTIONS,
                                 seed=1, progress=False)
        checked, problems = problems_in(Path(folder), db_path)
    for problem in problems:
        print(f"{problem.path}:{problem.line}: {problem.message}", file=sys.stderr)
    print(f"{checked} query files checked, {len(problems)} with errors")
    return 1 if problems else 0
