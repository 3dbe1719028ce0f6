"""Reading export files as a mapping's `source` section describes them.

CSV and TSV go through DuckDB's CSV reader (fast, and it reports rows with missing or extra
fields by line instead of padding them silently); Parquet and XLSX through polars. Every cell of
a text file stays text here: parsing into the store's types, with per-cell messages, is the
importer's job. Each row carries the file name and its line (or sheet row) for messages.
"""

from __future__ import annotations

import codecs
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from dashboard.mapping import LINE_ENDS, Source

FILE, LINE = "__file", "__line"


class SourceError(ValueError):
    """The file cannot be read at all (wrong format, encoding, separator...)."""


@dataclass
class Read:
    rows: pl.DataFrame          # source columns (text, or typed for Parquet/XLSX) + __file, __line
    problems: pl.DataFrame      # rows that could not be split into the expected fields
    line_word: str              # 'line' for text files, 'row' for spreadsheets and Parquet


PROBLEM_SCHEMA = {FILE: pl.String, LINE: pl.Int64, "column": pl.String, "problem": pl.String, "value": pl.String}


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def read(path: Path, source: Source) -> Read:
    fmt = source.format_of(path)
    if fmt in ("csv", "tsv"):
        return _read_text(path, source, "\t" if fmt == "tsv" and not source.separator else source.separator)
    if fmt == "parquet":
        frame = pl.read_parquet(path)
        return _numbered(_blank_to_null(frame, source), path, first=1, word="row")
    frame = pl.read_excel(path, sheet_name=source.sheet, has_header=source.header, infer_schema_length=None)
    if not source.header:
        frame = frame.rename(dict(zip(frame.columns, source.columns)))
    return _numbered(_blank_to_null(frame, source), path, first=2 if source.header else 1, word="row")


def _blank_to_null(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Text cells are trimmed, and the mapping's missing markers ('', '?', 'NA'...) become nulls."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(pl.col(text).str.strip_chars(" ").replace(list(source.missing), None))


def _numbered(frame: pl.DataFrame, path: Path, first: int, word: str) -> Read:
    frame = frame.with_columns(pl.lit(path.name).alias(FILE),
                               (pl.int_range(pl.len(), dtype=pl.Int64) + first).alias(LINE))
    return Read(frame, empty_problems(), word)


def _read_text(path: Path, source: Source, separator: str | None) -> Read:
    encoding = codecs.lookup(source.encoding).name
    native = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}.get(encoding)
    with tempfile.TemporaryDirectory() as scratch:
        readable = path
        if native is None:  # DuckDB reads UTF-8, UTF-16 and Latin-1 itself; other encodings go through Python
            readable = Path(scratch) / "utf8.csv"
            _transcode(path, encoding, readable)
            native = "utf-8"
        options = {"all_varchar": True, "header": source.header, "ignore_errors": True, "store_rejects": True,
                   "encoding": native, "quote": '"', "escape": '"', "skip": source.skip_lines,
                   "nullstr": list(source.missing) or [""]}
        if separator:
            options["delim"] = separator
        if LINE_ENDS[source.line_end]:
            options["new_line"] = LINE_ENDS[source.line_end]
        if not source.header:
            options["names"] = list(source.columns)
        arguments = ", ".join(f"{name} = ${name}" for name in options)
        with duckdb.connect() as con:
            try:
                rows = con.sql(f"select * from read_csv($path, {arguments})",
                               params={"path": str(readable), **options}).pl()
                rejects = con.sql("select line, column_name, error_type, csv_line, error_message "
                                  "from reject_errors order by line").pl()
            except duckdb.Error as exc:
                raise SourceError(f"{path.name}: cannot read it as {'TSV' if separator == chr(9) else 'CSV'} "
                                  f"({_first_line(exc)}); check the mapping's source settings") from None
    rows = _blank_to_null(rows, source)   # values like ' ? ' count as missing too
    first = 1 + source.skip_lines + (1 if source.header else 0)
    rows = rows.with_columns(pl.lit(path.name).alias(FILE),
                             pl.Series(LINE, _lines_of_good_rows(len(rows), rejects["line"].to_numpy(), first)))
    # DuckDB reports each missing field of a short row; one problem per row says it
    rejects = rejects.group_by("line", maintain_order=True).first()
    first_missing = pl.when(pl.col("error_type") == "MISSING COLUMNS").then(
        pl.format(" from '{}' on", pl.col("column_name"))).otherwise(pl.lit(""))
    problems = rejects.select(
        pl.lit(path.name).alias(FILE), pl.col("line").cast(pl.Int64).alias(LINE),
        pl.lit(None, pl.String).alias("column"),
        pl.concat_str(pl.col("error_type").replace_strict(_REJECT_WORDS, default=pl.col("error_message")),
                      first_missing).alias("problem"),
        pl.col("csv_line").alias("value"))
    return Read(rows, problems, "line")


_REJECT_WORDS = {"MISSING COLUMNS": "the row has fewer fields than the header: missing columns",
                 "TOO MANY COLUMNS": "the row has more fields than the header (extra columns)",
                 "UNQUOTED VALUE": "a quote inside an unquoted field",
                 "INVALID UNICODE": "bytes that are not valid in the file's encoding",
                 "LINE SIZE OVER MAXIMUM": "the line is too long"}


def _lines_of_good_rows(count: int, rejected_lines: np.ndarray, first: int) -> np.ndarray:
    """The file line of each row DuckDB kept: the k-th data line not among the rejected ones.
    (A quoted field spanning lines shifts the count; exports rarely have them.)"""
    k = np.arange(count, dtype=np.int64)
    rejected = np.unique(rejected_lines.astype(np.int64))
    good_before_reject = rejected - first - np.arange(len(rejected))
    return first + k + np.searchsorted(good_before_reject, k, side="right")


def _transcode(path: Path, encoding: str, target: Path) -> None:
    with open(path, encoding=encoding, newline="") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)


def original_lines(path: Path, source: Source, wanted: set[int]) -> dict[int, str]:
    """The text of the given lines of a text file, to write rejected rows back out as they were."""
    found = {}
    encoding = "utf-8-sig" if codecs.lookup(source.encoding).name == "utf-8" else source.encoding
    with open(path, encoding=encoding, errors="replace", newline=None) as handle:  # \r, \n and \r\n all end a line
        for number, text in enumerate(handle, start=1):
            if number in wanted:
                found[number] = text.rstrip("\r\n")
                if len(found) == len(wanted):
                    break
    return found


def row_as_text(row: dict) -> str:
    return json.dumps({k: (None if v is None else str(v)) for k, v in row.items() if k not in (FILE, LINE)})


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
