"""Reading export files as a mapping's `source` section describes them.

CSV and TSV go through DuckDB's CSV reader (fast, and it reports rows with missing or extra
fields by line instead of padding them silently); Parquet and XLSX through polars. Every cell of
a text file stays text here: parsing into the store's types, with per-cell messages, is the
importer's job. Each row carries the file name and its line (or sheet row) for messages: for text
files the physical line its record starts on, even when a quoted field spans several lines.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import mmap
import re
import tempfile
from collections.abc import Iterator
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
    path: Path | None = None
    # text files whose records span lines: the physical line each record starts on, in file order
    # (header and blank lines included); None when every record is one line
    record_starts: np.ndarray | None = None


# A problem: where (file, line), what (column, problem: the kind, the same for every row that has
# it, so messages can group by it) and the row's own particulars (value, note: e.g. 'repeats line 2').
PROBLEM_SCHEMA = {FILE: pl.String, LINE: pl.Int64, "column": pl.String, "problem": pl.String, "value": pl.String,
                  "note": pl.String}


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def read(path: Path, source: Source) -> Read:
    """One export's rows; raises SourceError, naming the file, when it cannot be read at all."""
    try:
        fmt = source.format_of(path)
    except ValueError as exc:
        raise SourceError(str(exc)) from None
    if fmt in ("csv", "tsv"):
        result = _read_text(path, source, "\t" if fmt == "tsv" and not source.separator else source.separator)
    else:
        try:
            result = _read_table(path, source, fmt)
        except Exception as exc:   # polars and fastexcel raise many kinds of error for a broken file
            raise SourceError(f"{path.name}: cannot read it as {fmt.upper()} ({_first_line(exc)})") from None
    if result.rows.height == 0 and result.problems.height == 0:
        raise SourceError(f"{path.name}: the file has no data rows; nothing to import")
    return result


def _read_table(path: Path, source: Source, fmt: str) -> Read:
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
    return Read(frame, empty_problems(), word, path=path)


def _read_text(path: Path, source: Source, separator: str | None) -> Read:
    encoding = codecs.lookup(source.encoding).name
    # DuckDB reads UTF-8 itself. Its latin-1 reader refuses bytes 0x80-0x9F, which Latin-1 exports
    # carry (Windows dashes and quotes), so Latin-1 goes through Python's codec like any other.
    native = {"utf-8": "utf-8", "utf-8-sig": "utf-8"}.get(encoding)
    with tempfile.TemporaryDirectory() as scratch:
        readable = path
        if native is None:
            # DuckDB reads UTF-8 and Latin-1 itself; other encodings (UTF-16 too, so that the line
            # scan below sees each quote and line end as one byte) go through Python
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
                starts = blank = None
                if not _one_record_per_line(readable):
                    delimiter = separator or con.sql(f"select Delimiter from sniff_csv($path, {arguments})",
                                                     params={"path": str(readable), **options}).fetchall()[0][0]
                    starts, blank = _record_starts(readable, delimiter)
            except duckdb.Error as exc:
                raise SourceError(f"{path.name}: cannot read it as {'TSV' if separator == chr(9) else 'CSV'} "
                                  f"({_duckdb_reason(exc)}); check the mapping's source settings") from None
    rows = _blank_to_null(rows, source)   # values like ' ? ' count as missing too
    # DuckDB numbers records (the header, skipped and blank lines too), and reports each missing field
    # of a short row: one problem per record says it
    rejects = rejects.group_by("line", maintain_order=True).first()
    numbering = _LineNumbers(starts, blank, first_data_record=source.skip_lines + (1 if source.header else 0),
                             rejected_records=rejects["line"].to_numpy().astype(np.int64),
                             blank_lines_are_rows=rows.width == 1)
    rows = rows.with_columns(pl.lit(path.name).alias(FILE), pl.Series(LINE, numbering.of_rows(rows.height)))
    first_missing = pl.when(pl.col("error_type") == "MISSING COLUMNS").then(
        pl.format("missing from '{}' on", pl.col("column_name"))).otherwise(pl.lit(None, pl.String))
    known = pl.col("error_type").is_in(list(_REJECT_WORDS))
    problems = rejects.select(
        pl.lit(path.name).alias(FILE), pl.Series(LINE, numbering.of_records(rejects["line"].to_numpy())),
        pl.lit(None, pl.String).alias("column"),
        pl.col("error_type").replace_strict(_REJECT_WORDS, default=pl.col("error_type")).alias("problem"),
        pl.col("csv_line").str.strip_chars("\r\n").alias("value"),
        pl.coalesce(first_missing, pl.when(known.not_()).then(pl.col("error_message"))).alias("note"))
    return Read(rows, problems, "line", path=path, record_starts=starts)


_REJECT_WORDS = {"MISSING COLUMNS": "the row has fewer fields than the header (missing columns)",
                 "TOO MANY COLUMNS": "the row has more fields than the header (extra columns)",
                 "UNQUOTED VALUE": "a quote inside an unquoted field",
                 "INVALID ENCODING": "bytes that are not valid in the file's encoding (see source.encoding)",
                 "INVALID UNICODE": "bytes that are not valid in the file's encoding (see source.encoding)",
                 "LINE SIZE OVER MAXIMUM": "the line is too long",
                 "INVALID STATE": "the row cannot be split into fields (check quotes)"}


def _one_record_per_line(path: Path) -> bool:
    """True when no quoted field holds a line end and no blank line sits between records: then DuckDB's
    record numbers are the file's lines. The usual export; checked at memory speed."""
    if path.stat().st_size == 0:
        return True
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = len(data)
        while end and data[end - 1] in b"\r\n":   # blank lines at the very end number nothing
            end -= 1
        if any(data.find(blank, 0, end) >= 0 for blank in (b"\n\n", b"\r\r", b"\n\r\n")):
            return False
        if data.find(b'"', 0, end) < 0:
            return True
        body = np.frombuffer(data, dtype=np.uint8, count=end)
        quotes = np.flatnonzero(body == ord('"'))
        line_ends = np.flatnonzero((body == ord("\n")) | (body == ord("\r")))
        del body   # the map cannot close while a view of it lives
    # a line end after an odd number of quotes is inside a quoted field ("" escapes count twice)
    return not (np.searchsorted(quotes, line_ends) % 2).any()


def _record_starts(path: Path, delimiter: str) -> tuple[np.ndarray, np.ndarray]:
    """(physical line each CSV record of a UTF-8 file starts on, whether it is blank), in file order,
    the header and blank lines included."""
    starts, blank_records = [], []
    for number, (line, fields) in enumerate(_records(path, "utf-8-sig", delimiter)):
        starts.append(line)
        if not fields:
            blank_records.append(number)
    blank = np.zeros(len(starts), dtype=bool)
    blank[blank_records] = True
    return np.asarray(starts, dtype=np.int64), blank


def _records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line it starts on, fields) for each record, split as DuckDB splits it: a quote opens
    a quoted field only at the start of a field, and "" inside one is a quote."""
    with _field_size_unlimited(), open(path, encoding=encoding, errors="replace", newline="") as handle:
        # newline='': \n, \r\n and \r each end a physical line, and line ends inside fields stay as they are
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True)
        lines_before = 0
        for fields in reader:
            yield lines_before + 1, fields
            lines_before = reader.line_num


@contextlib.contextmanager
def _field_size_unlimited():
    """The csv module refuses fields over 128 KiB by default; DuckDB reports such lines itself."""
    before = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(before)


@dataclass
class _LineNumbers:
    """The file's physical lines of DuckDB's records and of the rows it kept."""
    starts: np.ndarray | None          # line of each record (None: record n is line n)
    blank: np.ndarray | None           # whether each record is a blank line
    first_data_record: int             # records before it: skipped lines and the header
    rejected_records: np.ndarray       # DuckDB's 1-based record numbers of rejected rows
    blank_lines_are_rows: bool         # DuckDB reads a blank line as an empty row only when there is one column

    def of_records(self, records: np.ndarray) -> np.ndarray:
        records = records.astype(np.int64)
        if self.starts is None:
            return records
        known = records <= len(self.starts)   # DuckDB and the scan disagree only on broken quoting
        return np.where(known, self.starts[np.minimum(records, len(self.starts)) - 1], records)

    def of_rows(self, count: int) -> np.ndarray:
        """The line of each row DuckDB kept, in order: the data records neither rejected nor blank."""
        rejected = np.unique(self.rejected_records.astype(np.int64))
        if self.starts is not None:
            records = np.arange(self.first_data_record + 1, len(self.starts) + 1)
            kept = ~np.isin(records, rejected)
            if not self.blank_lines_are_rows:
                kept &= ~self.blank[records - 1]
            if kept.sum() == count:
                return self.starts[records[kept] - 1]
        # one record per line: the k-th data line not among the rejected ones
        first = self.first_data_record + 1
        k = np.arange(count, dtype=np.int64)
        good_before_reject = rejected - first - np.arange(len(rejected))
        return first + k + np.searchsorted(good_before_reject, k, side="right")


def _transcode(path: Path, encoding: str, target: Path) -> None:
    try:
        with open(path, encoding=encoding, newline="") as src, open(target, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    except UnicodeError as exc:
        raise SourceError(f"{path.name}: not readable as {encoding} text ({exc.reason}); "
                          f"check the mapping's source.encoding") from None


def originals(read: Read, source: Source, wanted: set[int]) -> dict[int, str]:
    """The given rows as the file holds them, to write rejected rows back out: for a text file the
    whole record starting on each given line (all its lines, line ends inside it kept); for Parquet
    and XLSX the row's values."""
    if source.format_of(read.path) not in ("csv", "tsv"):
        picked = read.rows.filter(pl.col(LINE).is_in(list(wanted)))
        return {row[LINE]: row_as_text(row) for row in picked.iter_rows(named=True)}
    if read.record_starts is None:
        ends = {line: line + 1 for line in wanted}
    else:
        following = np.searchsorted(read.record_starts, sorted(wanted), side="right")
        ends = {line: int(read.record_starts[i]) if i < len(read.record_starts) else None
                for line, i in zip(sorted(wanted), following)}
    return _lines_between(read.path, source, ends)


def _lines_between(path: Path, source: Source, ends: dict[int, int | None]) -> dict[int, str]:
    """For each start line, the text of the lines from it up to the end line (None: the end of the
    file), exactly as in the file but for the last line end."""
    found, start, parts = {}, None, []
    encoding = "utf-8-sig" if codecs.lookup(source.encoding).name == "utf-8" else source.encoding
    with open(path, encoding=encoding, errors="replace", newline="") as handle:  # keeps \r\n, \r and \n as they are
        for number, text in enumerate(handle, start=1):
            if start is None and number in ends:
                start, parts = number, []
            if start is None:
                continue
            parts.append(text)
            if ends[start] is not None and number + 1 >= ends[start]:
                found[start], start = _without_line_end("".join(parts)), None
                if len(found) == len(ends):
                    break
    if start is not None:
        found[start] = _without_line_end("".join(parts))
    return found


def _without_line_end(text: str) -> str:
    return re.sub(r"(\r\n|\r|\n)\Z", "", text)


def row_as_text(row: dict) -> str:
    return json.dumps({k: (None if v is None else str(v)) for k, v in row.items() if k not in (FILE, LINE)})


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _duckdb_reason(exc: Exception, shown: int = 200) -> str:
    """DuckDB's first line ('CSV Error on Line: 1') and the line that says why, without the row it quotes."""
    lines = [line for line in str(exc).splitlines() if line.strip() and not line.startswith("Original Line")]
    return " - ".join(line if len(line) <= shown else line[:shown - 1] + "\u2026" for line in lines[:2])
