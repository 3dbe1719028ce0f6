"""`python -m dashboard mapping draft FILE`: reads an export and writes a starting mapping to edit.

The draft says in comments what was detected and how sure it is (sure / likely / a guess), so the
user knows which lines to check: the format, encoding, separator, line ends, header, title lines,
missing markers and multi-line fields of a text file; each column's type (with the strftime format
that reads every value), distinct values, missing share and examples; likely keys, yes/no columns
and counts that mark an aggregated file; and which source column could fill each store column.

DuckDB's CSV sniffer gives the first opinion on the layout; each answer is checked against the file
before it is used. The columns are then read by the import's own reader (dashboard.sources) with
the detected settings, and date formats are tried with the importer's own parser, so what the draft
says about a column is what an import of it will see.

Where the file settles a mapping key, the draft writes it (README "Drafting a mapping"): a key from
two columns, an event log folded by its update order, channel words mapped to the store's, an answer
scale, resolved only where a closing time exists; where it cannot (which outcome codes are no
contact, which question means what), it says so and leaves a line to fill in.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import dataclasses
import io
import itertools
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from dashboard import sources
from dashboard.mapping import (AUTO_IDS, KEYS, REFERENCES, SCALE_CHECK_ANSWERS, SCALES, SOURCE_FORMATS, TABLE_ORDER,
                               Column, Source, store_columns)

SURE, LIKELY, GUESS = "sure", "likely", "a guess"
SEPARATORS = (",", ";", "\t", "|")
MISSING_MARKERS = ("?", "NA", "N/A", "-", "NULL")          # besides the empty cell
BOOLEAN_WORDS = (("y", "n"), ("yes", "no"), ("true", "false"), ("t", "f"), ("ja", "nein"), ("oui", "non"))
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d", "%d/%m/%y",
                "%m/%d/%y", "%d-%m-%y", "%d.%m.%y", "%y%m%d", "%Y%m%d", "%d-%b-%Y", "%d %b %Y", "%d-%b-%y")
TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%H:%M:%S%.f")
DATETIME_FORMATS = tuple(f"{d}{sep}{t}" for d in DATE_FORMATS for sep in (" ", "T") for t in TIME_FORMATS
                         if sep == " " or d == "%Y-%m-%d")
HMS = r"^\d+:[0-5]\d:[0-5]\d$"
SAMPLE_RECORDS = 200      # records the layout checks look at
SAMPLE_VALUES = 200       # distinct values a format is tried on before it is tried on all of them
MAX_PAIR_COLUMNS = 12     # columns searched for a key of two columns (pairs grow with the square)
ID_PATTERNS = (r"(\d+)", r"(\d+)\D*$")   # the first run of digits, the last
LEVELS = 20               # a text column with at most this many values is a category

# Words in a column's name that suggest what it holds (matched as whole words, plural or not); on a
# tie, the phrase listed first wins.
NAMES = {
    "interaction_id": ("id", "call id", "contact id", "interaction", "ticket", "case", "incident", "call number",
                       "reference", "ref", "number", "num"),
    "queued_at": ("date time", "datetime", "timestamp", "start", "start time", "queued", "created", "opened",
                  "received", "arrival", "call start"),
    "date": ("date", "day", "call date", "start date", "datum"),
    "time": ("time", "start time", "call time", "time of day", "zeit"),
    "answered_at": ("answered at", "answer time", "answered time", "pickup", "connected", "first response",
                    "first reply", "responded"),
    "ended_at": ("resolved at", "resolved", "resolution date", "solved", "end", "ended", "end time", "hangup",
                 "finished", "completed", "disconnect", "closed", "close date"),
    "wait_s": ("wait", "waiting", "speed of answer", "asa", "queue time", "q time", "time to answer", "ring time",
               "wartezeit"),
    "handle_s": ("handle", "handling", "talk", "talk time", "duration", "aht", "call length", "length",
                 "service time", "ser time", "time spent", "spent", "work time", "gesprachsdauer", "dauer"),
    "agent_name": ("agent", "agent name", "rep", "representative", "operator", "employee", "assigned to",
                   "assignee", "owner", "handled by", "user", "staff", "advisor", "server", "mitarbeiter"),
    "abandoned": ("abandoned", "abandon", "answered", "outcome", "disposition", "result", "status"),
    "resolved": ("resolved", "resolution", "fcr", "solved", "first contact resolution", "fixed", "erledigt"),
    "status": ("status", "state", "stage", "outcome", "resolution"),
    "channel": ("channel", "media", "medium", "media type", "contact type", "method received", "received via",
                "origin"),
    "owner_unit": ("agency", "owner unit", "owning", "department", "responsible", "division"),
    "touchpoint_name": ("topic", "queue", "skill", "reason", "category", "subject", "service", "touchpoint",
                        "call type", "type", "thema"),
    "team_name": ("team", "group", "team name", "unit", "department", "agency"),
    "site": ("site", "location", "office", "centre", "center", "branch", "city"),
    "customer_id": ("customer", "customer id", "caller", "client", "account", "customer number", "kundennr"),
    "transfers": ("transfers", "transferred", "transfer count", "reassignment", "reassignment count", "reassigned"),
    "csat": ("satisfaction", "csat", "rating", "satisfaction rating", "score", "survey"),
    # agents and agent surveys (mapping draft --table agents / agent_surveys)
    "agent_id": ("employee number", "employee id", "employee no", "emp no", "emp id", "agent id", "agent number",
                 "staff id", "staff number", "personnel number"),
    "person_name": ("name", "full name", "employee name", "agent name", "agent"),
    "hired_on": ("hire date", "hired", "hire", "date of joining", "joined", "start date", "employment start"),
    "left_on": ("termination date", "termination", "left", "leaving date", "exit date", "end date", "resignation"),
    "surveyed_at": ("survey date", "surveyed", "survey", "response date", "submitted", "answered"),
    "satisfaction": ("job satisfaction", "satisfaction", "agent satisfaction", "employee satisfaction"),
    # the column an event log's rows of one id are ordered by: a count of updates, or the update's time
    "update_order": ("mod count", "modification count", "update count", "sequence", "seq", "version", "revision",
                     "updated at", "updated", "modified", "last update", "changed", "event time"),
}
POSITIVE = ("answer", "answered", "connected", "handled", "success")   # a yes here means NOT abandoned
LOST_WORDS = r"\b(abandon\w*|hang\w*|lost|missed|unanswered|no answer|dropped)\b"
CLOSED_WORDS = r"\b(closed|resolved|solved|done|completed?|fixed|erledigt)\b"
# Cells that name no agent or owner (ACD logs write NO_SERVER): read as no value.
NOBODY = r"^(no[ _-]?(agent|server|rep|user|owner|staff|operator|assignee|one)|unassigned|nobody)$"
# The store's channels, and words that say which one a channel value is; a value no word places is guessed.
CHANNEL_WORDS = {"phone": r"phone|call|voice|ivr|tel\b|telephone|inbound|outbound",
                 "chat": r"chat|messenger|bot\b",
                 "messaging": r"mail|sms|text|whats ?app|social|facebook|twitter|portal|self.?service|web|online|"
                              r"form|letter|post\b|fax|messag|app\b"}
COUNT_WORDS = ("offered", "total", "count", "volume", "handled", "calls", "contacts", "answered", "abandoned")
# Stand-ins for a store column nothing fills: values the store accepts, so a draft imports as it is.
TODO_VALUES = {"milestone": "pulse", "training_hours": "1",     # by store column, where the store checks values
               "integer": "0", "number": "0", "boolean": "false", "date": "2000-01-01",   # else by type
               "timestamp": "2000-01-01 00:00:00"}
TODO_WHY = {"milestone": "when the survey was taken: 3m, 6m, 12m or 24m after hire, or pulse (not tied to tenure); "
                         "pulse is assumed"}


class DraftError(ValueError):
    """The file cannot be drafted from (missing, a folder, empty, binary, unreadable)."""


@dataclass(frozen=True)
class Finding:
    topic: str
    value: str
    sure: str
    why: str

    def comment(self) -> str:
        return f"{self.topic}: {self.value} ({self.sure}: {self.why})"


@dataclass
class Profile:
    """What one source column holds, as the import's reader sees it."""
    name: str
    kind: str = "text"     # integer, number, boolean, date, datetime, time, duration, text, empty
    format: str | None = None
    alternatives: tuple[str, ...] = ()   # other formats that read every value too
    words: tuple[tuple[str, ...], tuple[str, ...]] | None = None   # yes words, no words (file spelling)
    hms: bool = False      # every value is H:MM:SS (a time of day or a duration)
    id_pattern: str | None = None   # text whose distinct values keep distinct digits under this pattern
    values: int = 0
    distinct: int = 0
    missing_share: float = 0.0
    examples: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()         # every distinct value, when there are few (LEVELS at most)
    low: float | None = None
    high: float | None = None
    zeros: int = 0                       # whole-number columns: cells holding 0
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        kind = {"boolean": f"yes/no {self._words()}", "empty": "always missing"}.get(self.kind, self.kind)
        if self.format:
            kind += f" {self.format}"
        if self.alternatives:
            kind += f" (ambiguous: {', '.join(self.alternatives)} read every value too; check)"
        if self.kind in ("integer", "number") and self.low is not None:
            kind += f" {_number(self.low)} to {_number(self.high)}"
        examples = ", ".join(repr(e) for e in self.examples)
        notes = "".join(f"; {n}" for n in self.notes)
        return (f"{_yaml(self.name)}: {kind}; {self.distinct:,} distinct, {self.missing_share:.0%} missing"
                f"{'; e.g. ' + examples if examples else ''}{notes}")

    def _words(self) -> str:
        if not self.words:
            return "(native)"
        return "/".join(self.words[0] + self.words[1])


@dataclass
class Choice:
    """How the draft fills one store column, and why."""
    value: object           # a source column name or a dict of field keys
    why: str
    todo: bool = False


@dataclass
class TableDraft:
    options: dict = field(default_factory=dict)     # rows, where_present, contacts_per_row
    fields: dict[str, Choice] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Aggregated:
    column: str            # the count of contacts a row stands for
    finding: Finding


@dataclass(frozen=True)
class EventLog:
    """Several rows per contact, one per update: folded into one contact (rows: distinct), the values
    that change between its rows taken from the last update (aggregate: last)."""
    id: str                    # the contact's id, repeated on each of its rows
    order: str | None          # the column order_by names; None: the file's order
    varying: frozenset[str]    # source columns whose value changes between a contact's rows
    finding: Finding
    todo: str | None = None    # what the user must check, when the order is not sure


@dataclass
class Facts:
    """What the file holds, as the choice of a source column for each store column needs it."""
    frame: pl.DataFrame
    profiles: dict[str, Profile]
    keys: list[str]
    aggregated: Aggregated | None
    events: EventLog | None


@dataclass
class Draft:
    path: Path
    table: str
    source: dict
    findings: list[Finding]
    profiles: dict[str, Profile]
    rows: int
    keys: list[str]
    aggregated: Aggregated | None
    tables: dict[str, TableDraft]
    events: EventLog | None = None
    source_notes: list[str] = field(default_factory=list)   # comments under source:

    @property
    def todos(self) -> list[str]:
        unsure_order = [f"{self.table}.order_by"] if self.events and self.events.todo else []
        return unsure_order + [f"{t}.{c}" for t, td in self.tables.items() for c, ch in td.fields.items() if ch.todo]

    def text(self) -> str:
        return _render(self)


# -- reading the file ------------------------------------------------------------------------------

def draft(path: str | Path, table: str = "interactions") -> Draft:
    path = Path(path)
    if table not in store_columns():
        raise DraftError(f"no store table '{table}'; the store has {', '.join(TABLE_ORDER)}")
    data = _bytes_of(path)
    fmt, findings = _format(path, data)
    if fmt in ("parquet", "xlsx"):
        source, frame = {"format": fmt}, _read(path, Source(format=fmt)).rows
        markers, missing_findings = _missing_markers(frame)
        if markers:
            source["missing"] = ["", *markers]
            frame = _read(path, Source(format=fmt, missing=("", *markers))).rows
        findings += missing_findings
    else:
        source, frame, text_findings = _text_layout(path, data)
        findings += text_findings
    frame = frame.drop(sources.FILE, sources.LINE)
    if frame.height == 0:
        raise DraftError(f"{path.name}: no data rows under the header; a draft needs rows to look at")
    profiles = {name: _profile(name, frame[name], frame.height) for name in frame.columns}
    events = _event_log(frame, profiles)
    keys, key_findings = ([events.id], [events.finding]) if events else _keys(frame, profiles)
    findings += key_findings
    aggregated = _aggregated(frame, profiles)
    tables = _assign(table, Facts(frame, profiles, keys, aggregated, events))
    return Draft(path, table, source, findings, profiles, frame.height, keys, aggregated, tables, events,
                 _source_notes(tables))


def _bytes_of(path: Path) -> bytes:
    if path.is_dir():
        raise DraftError(f"{path}: is a folder, not an export file")
    if not path.exists():
        raise DraftError(f"{path}: no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DraftError(f"{path}: cannot read it ({exc.strerror})") from None
    if not data.strip():
        raise DraftError(f"{path.name}: the file is empty")
    return data


def _format(path: Path, data: bytes) -> tuple[str, list[Finding]]:
    by_extension = SOURCE_FORMATS.get(path.suffix.lower())
    for magic, fmt in ((b"PAR1", "parquet"), (b"PK\x03\x04", "xlsx")):
        if data.startswith(magic):
            why = f"the content is a {fmt.upper()} file" + (
                f", whatever the extension '{path.suffix}' says" if by_extension != fmt else "")
            return fmt, [Finding("format", fmt, SURE, why)]
    return "csv", []   # text: csv or tsv is settled by the separator


def _read(path: Path, source: Source) -> sources.Read:
    """The file as the import reads it; any failure of a file reader means the file is unusable."""
    try:
        result = sources.read(path, source)
    except sources.SourceError as exc:
        raise DraftError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - Parquet and XLSX engines raise their own kinds for a broken file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DraftError(f"{path.name}: cannot read it as {(source.format or 'csv').upper()} ({first})") from None
    return result


# -- text files: encoding, separator, line ends, header, title lines, multi-line fields -----------

def _text_layout(path: Path, data: bytes) -> tuple[dict, pl.DataFrame, list[Finding]]:
    encoding, text, findings = _encoding(path, data)
    sniffed = _sniff(text)
    separator, records, skip, found = _separator(path, text, sniffed)
    findings += found
    line_end, found = _line_end(text)
    findings.append(found)
    header_row = records[0][1] if records else []
    # the sniffer's header verdict is about the rows it took for the table
    same_table = sniffed.get("skip") == skip and sniffed.get("delimiter") == separator
    header, found = _header(records, sniffed if same_table else {})
    findings.append(found)
    if skip:
        findings.append(Finding("title lines", f"skip_lines: {skip}", SURE if sniffed.get("skip") == skip else LIKELY,
                                f"the table starts on line {skip + 1}; above it: {_first_line(text)!r}"))
    columns = () if header else tuple(f"column_{i}" for i in range(1, len(header_row) + 1))
    source = {"format": "tsv" if separator == "\t" else "csv", "separator": separator, "encoding": encoding,
              "line_end": line_end, "header": "true" if header else "false"}
    if columns:
        source["columns"] = list(columns)
    if skip:
        source["skip_lines"] = str(skip)
    by_extension = SOURCE_FORMATS.get(path.suffix.lower())
    findings.insert(0, Finding("format", source["format"], SURE, "text, split by the separator below" + (
        f"; the extension '{path.suffix}' says {by_extension}" if by_extension not in (None, source["format"]) else "")))
    settings = Source(format=source["format"], separator=separator, encoding=encoding, line_end=line_end,
                      header=header, columns=columns, missing=("",), skip_lines=skip)
    first = _read(path, settings)
    findings += _empty_cells(first.rows)
    markers, found = _missing_markers(first.rows)
    findings += found
    source["missing"] = ["", *markers]
    frame = _read(path, dataclasses.replace(settings, missing=("", *markers))).rows if markers else first.rows
    findings += _multiline(frame)
    findings += _uneven_rows(first.problems)
    return source, frame, findings


def _encoding(path: Path, data: bytes) -> tuple[str, str, list[Finding]]:
    if data.startswith(codecs.BOM_UTF8):
        encoding, sure, why = "utf-8", SURE, "a UTF-8 byte-order mark (the import skips it)"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, sure, why = "utf-16", SURE, "a UTF-16 byte-order mark"
    elif data[1:200:2].count(0) > 40 and not data[0:200:2].count(0):
        encoding, sure, why = "utf-16-le", LIKELY, "no byte-order mark, but every other byte is zero"
    elif data[0:200:2].count(0) > 40 and not data[1:200:2].count(0):
        encoding, sure, why = "utf-16-be", LIKELY, "no byte-order mark, but every other byte is zero"
    else:
        try:
            data.decode("utf-8")
            high = sum(b > 127 for b in data[:1 << 20])
            encoding, sure = "utf-8", SURE
            why = "every non-ASCII character is valid UTF-8" if high else "ASCII only (utf-8, cp1252 and latin-1 all read it)"
        except UnicodeDecodeError as exc:
            where = f"byte 0x{data[exc.start]:02x} at offset {exc.start:,} is not UTF-8"
            try:
                data.decode("cp1252")
                encoding, sure = "cp1252", LIKELY
                extra = any(0x80 <= b <= 0x9F for b in data)
                why = where + ("; cp1252 reads every byte (latin-1 would turn bytes 0x80-0x9F into control characters)"
                               if extra else "; cp1252 reads every byte (latin-1 reads these bytes the same)")
            except UnicodeDecodeError:
                encoding, sure, why = "latin-1", GUESS, where + ", nor cp1252; latin-1 reads any byte"
    text = data.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace")
    text = text.removeprefix("\ufeff")
    control = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in text[:65536] or control > len(text[:65536]) / 100:
        raise DraftError(f"{path.name}: does not look like a CSV/TSV, Parquet or XLSX export (binary content)")
    return encoding, text, [Finding("encoding", encoding, sure, why)]


def _sniff(text: str) -> dict:
    """DuckDB's opinion on the layout (delimiter, title lines, header, column types); {} if it has none."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "utf8.csv"
        copy.write_text(text, encoding="utf-8", newline="")
        row = None
        with duckdb.connect() as con:
            # strict first (ignore_errors blurs title lines away); lenient if a bad row stops it
            for lenient in (False, True):
                try:
                    row = con.sql("select Delimiter, SkipRows, HasHeader, Columns "
                                  "from sniff_csv($path, ignore_errors = $lenient)",
                                  params={"path": str(copy), "lenient": lenient}).fetchall()
                    break
                except duckdb.Error:
                    continue
    if not row:
        return {}
    delimiter, skip, has_header, columns = row[0]
    return {"delimiter": delimiter, "skip": skip, "header": has_header,
            "typed": any(c["type"] != "VARCHAR" for c in columns or [])}


def _records(text: str, separator: str, limit: int = SAMPLE_RECORDS) -> list[tuple[int, list[str]]]:
    """The first records as the csv module splits them: (physical line it starts on, 1-based; fields)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    out, line = [], 1
    try:
        for fields in itertools.islice(reader, limit):
            out.append((line, fields))
            line = reader.line_num + 1
    except csv.Error:
        pass
    return out


def _table_start(records: list[tuple[int, list[str]]], sniffed_skip: int | None) -> tuple[int, int, float]:
    """(index of the header record, its number of fields, share of records from there with that many).
    The header is where the sniffer says, if that record has the common number of fields; else the
    first record with it whose next record has it too (title lines above have fewer)."""
    widths = [len(f) for _, f in records if f]
    if not widths:
        return 0, 0, 0.0
    width = max(set(widths), key=widths.count)
    full = [i for i, (_, f) in enumerate(records) if len(f) == width]
    said = [i for i in full if records[i][0] == (sniffed_skip or 0) + 1]
    paired = [i for i in full if i + 1 in full]
    start = (said or paired or full)[0]
    rest = [len(f) for _, f in records[start:] if f]
    return start, width, sum(w == width for w in rest) / len(rest)


def _separator(path: Path, text: str, sniffed: dict) -> tuple[str, list[tuple[int, list[str]]], int, list[Finding]]:
    said = sniffed.get("delimiter")
    order = ([said] if said in SEPARATORS else []) + [s for s in SEPARATORS if s != said]
    tried = []
    for separator in order:
        records = _records(text, separator)
        start, width, share = _table_start(records, sniffed.get("skip") if separator == said else None)
        tried.append((width > 1, share, width, separator, records, start))
        if width > 1 and share >= 0.9:
            skip = records[start][0] - 1
            shown = "tab" if separator == "\t" else repr(separator)
            counted = f"{share:.0%} of the first {len(records) - start} records have {width} fields"
            if separator == said:
                return separator, records[start:], skip, [Finding("separator", shown, SURE, f"DuckDB's sniffer, and {counted}")]
            before = f"DuckDB's sniffer said {said!r}, which does not split the lines evenly" if said else \
                "DuckDB's sniffer had no answer"
            return separator, records[start:], skip, [Finding("separator", shown, LIKELY, f"{before}; {counted}")]
    splits, share, width, separator, records, start = max(tried, key=lambda t: t[:3])
    if not splits:
        separator = said if said in SEPARATORS else ","
        records = _records(text, separator)
        return separator, records, 0, [Finding("separator", repr(separator), GUESS,
                                               f"no separator among , ; tab | splits {path.name} into columns")]
    return separator, records[start:], records[start][0] - 1, [Finding(
        "separator", repr(separator), GUESS, f"only {share:.0%} of the records have {width} fields")]


def _line_end(text: str) -> tuple[str, Finding]:
    crlf = text.count("\r\n")
    counts = {"crlf": crlf, "cr": text.count("\r") - crlf, "lf": text.count("\n") - crlf}
    used = {k: v for k, v in counts.items() if v}
    if len(used) == 1:
        kind, count = next(iter(used.items()))
        return kind, Finding("line ends", kind, SURE, f"all {count:,} line ends")
    if not used:
        return "auto", Finding("line ends", "auto", SURE, "a single line")
    mixed = ", ".join(f"{v:,} {k}" for k, v in used.items())
    return "auto", Finding("line ends", "auto", LIKELY, f"mixed ({mixed}); line breaks inside quoted fields may differ")


def _header(records: list[tuple[int, list[str]]], sniffed: dict) -> tuple[bool, Finding]:
    if not records:
        return True, Finding("header", "yes", GUESS, "no records to look at")
    first = records[0][1]
    below = [f for _, f in records[1:]]
    repeated = [cell for j, cell in enumerate(first) if cell and any(j < len(r) and r[j] == cell for r in below)]
    if sniffed.get("typed"):
        has = bool(sniffed["header"])
        why = ("the first row is text above typed columns (DuckDB's sniffer)" if has
               else "the first row holds values of the columns' types (DuckDB's sniffer)")
        return has, Finding("header", "yes" if has else "no", SURE, why)
    if repeated:
        return False, Finding("header", "no", LIKELY, f"every column is text, and first-row values occur again "
                                                      f"below ({', '.join(map(repr, repeated[:3]))})")
    return True, Finding("header", "yes", LIKELY, "every column is text, so types cannot tell; the first row's "
                                                  "values do not occur again below")


def _first_line(text: str) -> str:
    return text.splitlines()[0][:60] if text.splitlines() else ""


def _multiline(frame: pl.DataFrame) -> list[Finding]:
    """Records whose quoted fields hold line breaks, as the import's reader split them."""
    text = [c for c, t in frame.schema.items() if t == pl.String and c not in (sources.FILE, sources.LINE)]
    if not text:
        return []
    breaks = frame.select(pl.col(text).str.contains("[\r\n]").fill_null(False))
    spanning = breaks.select(pl.any_horizontal(pl.all()).sum()).item()
    if not spanning:
        return []
    columns = [c for c in text if breaks[c].any()]
    return [Finding("multi-line fields", f"{spanning:,} records", SURE,
                    f"quoted fields hold line breaks (in {', '.join(columns)}); the reader keeps each record together")]


def _uneven_rows(problems: pl.DataFrame) -> list[Finding]:
    if not problems.height:
        return []
    lines = ", ".join(str(n) for n in problems[sources.LINE].head(3).to_list())
    return [Finding("uneven rows", f"{problems.height:,}", SURE,
                    f"rows with more or fewer fields than the header (lines {lines}...); an import rejects them "
                    f"unless --skip-bad-rows")]


def _empty_cells(frame: pl.DataFrame) -> list[Finding]:
    counts = {c: n for c, n in frame.drop(sources.FILE, sources.LINE).null_count().row(0, named=True).items() if n}
    if not counts:
        return []
    where = ", ".join(f"{_yaml(c)} ({n:,})" for c, n in counts.items())
    return [Finding("missing marker", "'' (an empty cell)", SURE, f"in {where}")]


def _missing_markers(frame: pl.DataFrame) -> tuple[list[str], list[Finding]]:
    """Cells that stand for no value: the usual markers (?, NA, NULL...) and words naming nobody (NO_SERVER)."""
    wanted = {m.upper() for m in MISSING_MARKERS}
    spellings: dict[str, dict[str, int]] = {}
    for name, dtype in frame.schema.items():
        if dtype != pl.String or name in (sources.FILE, sources.LINE):
            continue
        cells = frame[name].drop_nulls()
        marker = cells.str.to_uppercase().is_in(list(wanted)) | cells.str.contains(f"(?i){NOBODY}")
        hits = cells.filter(marker).value_counts()
        for value, count in hits.iter_rows():
            spellings.setdefault(value, {})[name] = count
    findings = []
    for value, where in spellings.items():
        columns = ", ".join(f"{_yaml(c)} ({n:,})" for c, n in where.items())
        findings.append(Finding("missing marker", repr(value), LIKELY,
                                f"used in {columns}; it is read as no value (drop it from source.missing if it means something)"))
    return sorted(spellings), findings


# -- columns ---------------------------------------------------------------------------------------

def _profile(name: str, series: pl.Series, rows: int) -> Profile:
    values = series.drop_nulls()
    shown = values.unique(maintain_order=True).head(3).cast(pl.String).to_list()
    profile = Profile(name, values=len(values), distinct=values.n_unique(),
                      missing_share=(rows - len(values)) / rows, examples=tuple(shown))
    if series.dtype == pl.String and profile.distinct <= LEVELS:
        profile.levels = tuple(values.unique(maintain_order=True).to_list())
    if series.dtype == pl.String:
        profile.id_pattern = _id_pattern(values.unique())
    if not len(values):
        profile.kind = "empty"
    elif series.dtype == pl.String:
        _text_kind(profile, values)
    else:
        _native_kind(profile, values)
    return profile


def _id_pattern(values: pl.Series) -> str | None:
    """A pattern keeping a run of digits of each distinct value (the store's ids are numbers) that tells
    them apart as well: ID0001 -> 1, CUST-20044 -> 20044."""
    for pattern in ID_PATTERNS:
        digits = values.str.extract(pattern, 1).cast(pl.Int64, strict=False)
        if digits.null_count() == 0 and digits.n_unique() == len(values):
            return pattern
    return None


def _native_kind(profile: Profile, values: pl.Series) -> None:
    dtype = values.dtype
    if dtype.is_integer() or dtype.is_float():
        profile.kind = "integer" if dtype.is_integer() or (values == values.round(0)).all() else "number"
        profile.low, profile.high = float(values.min()), float(values.max())
        profile.zeros = int((values == 0).sum())
    elif dtype == pl.Boolean:
        profile.kind = "boolean"
    elif dtype == pl.Date:
        profile.kind = "date"
    elif isinstance(dtype, pl.Datetime):
        profile.kind = "datetime"
    elif dtype == pl.Time:
        profile.kind = "time"
    elif isinstance(dtype, pl.Duration):
        profile.kind = "duration"
        profile.notes.append("a spreadsheet duration: the importer needs seconds or H:MM:SS text")


def _text_kind(profile: Profile, values: pl.Series) -> None:
    distinct = values.unique(maintain_order=True)
    lowered = set(distinct.str.to_lowercase().to_list())
    for yes, no in BOOLEAN_WORDS:
        if lowered <= {yes, no}:
            profile.kind = "boolean"
            spelled = distinct.to_list()
            profile.words = (tuple(v for v in spelled if v.lower() == yes), tuple(v for v in spelled if v.lower() == no))
            return
    if distinct.str.contains(r"^[+-]?\d+$").all():
        dates = _reading_formats(distinct, ("%y%m%d", "%Y%m%d"), pl.Date)
        if dates and _score(profile.name, NAMES["date"]):
            profile.kind, profile.format = "date", dates[0]
            profile.notes.append("digits only, read as a date because of the column's name")
            return
        numbers = values.cast(pl.Int64, strict=False)
        if numbers.null_count():
            profile.notes.append("digits too long for a whole number (an id to keep as text?)")
            return
        profile.kind = "integer"
        profile.low, profile.high = float(numbers.min()), float(numbers.max())
        profile.zeros = int((numbers == 0).sum())
        if lowered <= {"0", "1"}:
            profile.notes.append("only 0 and 1: may be a yes/no")
        if dates:
            profile.notes.append(f"every value also reads as a date {dates[0]}")
        return
    numbers = values.cast(pl.Float64, strict=False)
    if numbers.null_count() == 0:
        profile.kind, profile.low, profile.high = "number", float(numbers.min()), float(numbers.max())
        return
    if distinct.str.contains(r"^-?\d+,\d+$").any() and distinct.str.contains(r"^-?\d+(,\d+)?$").all():
        profile.notes.append("numbers with a decimal comma: the importer reads a decimal point only (TODO)")
        return
    _dates_and_times(profile, distinct)


def _dates_and_times(profile: Profile, distinct: pl.Series) -> bool:
    """Sets the kind and format when every value is a date, a date and time, a time or a duration."""
    if not distinct.str.contains(r"^[\w/:.\-, ]{4,32}$").all() or not distinct.str.contains(r"\d").all():
        return False
    if distinct.str.contains(HMS).all():
        hours = distinct.str.extract(r"^(\d+):", 1).cast(pl.Int64)
        profile.hms = True
        if hours.max() > 23:
            profile.kind, profile.notes = "duration", [*profile.notes, "H:MM:SS durations (hours above 23)"]
            return True
    for kind, formats, dtype, prefix in (("date", DATE_FORMATS, pl.Date, ""),
                                         ("datetime", DATETIME_FORMATS, pl.Datetime("us"), ""),
                                         ("time", TIME_FORMATS, pl.Datetime("us"), "2000-01-01 ")):
        found = _reading_formats(distinct, formats, dtype, prefix)
        if found:
            profile.kind, profile.format, profile.alternatives = kind, found[0], tuple(found[1:])
            if profile.hms and kind == "time":
                profile.notes.append("or H:MM:SS durations")
            return True
    return False


def _reading_formats(distinct: pl.Series, formats, dtype, prefix: str = "") -> list[str]:
    """The formats that read every value, tried as the importer parses (a time after a date): the
    first, then any other that reads some value differently (an ambiguity such as d/m against m/d)."""
    def parse(values: pl.Series, fmt: str) -> pl.Series:
        return (prefix + values).str.strptime(dtype, ("%Y-%m-%d " if prefix else "") + fmt, strict=False)

    def reads_all(values: pl.Series, fmt: str) -> bool:
        read = parse(values, fmt)
        years = read.dt.year()   # %Y would read '21' as the year 21
        return not read.null_count() and bool(years.min() >= 1900 and years.max() <= 2100)

    sample = distinct.head(SAMPLE_VALUES)
    found = [f for f in formats if reads_all(sample, f) and reads_all(distinct, f)]
    return found[:1] + [f for f in found[1:] if not parse(distinct, f).equals(parse(distinct, found[0]))]


# -- keys and aggregated files -------------------------------------------------------------------------

def _keys(frame: pl.DataFrame, profiles: dict[str, Profile]) -> tuple[list[str], list[Finding]]:
    """An id column unique over the rows; else an id column that repeats plus the column that makes it
    unique; else any unique column that is not a measure; else any unique pair."""
    rows = frame.height
    complete = [p for p in profiles.values() if p.missing_share == 0 and p.kind in ("integer", "text", "time", "date")]
    idlike = _id_columns(complete)
    unique = sorted((p for p in idlike if p.distinct == rows), key=lambda p: p.kind != "integer" and not p.id_pattern)
    if unique:
        return [unique[0].name], [Finding("key", repr(unique[0].name), SURE, f"unique over the {rows:,} rows")]
    for first in idlike[:1]:
        pair = _pair(frame, first, complete)
        if pair:
            return pair, [Finding("key", " + ".join(map(repr, pair)), LIKELY,
                                  f"'{first.name}' repeats ({rows - first.distinct:,} rows share a value with an "
                                  f"earlier one); '{pair[0]}' + '{pair[1]}' together are unique")]
    measures = COUNT_WORDS + NAMES["wait_s"] + NAMES["handle_s"] + NAMES["csat"]
    plain = [p for p in complete if p.distinct == rows and p.kind in ("integer", "text") and not _score(p.name, measures)]
    if plain:
        return [plain[0].name], [Finding("key", repr(plain[0].name), GUESS,
                                         f"unique over the {rows:,} rows, though its name does not say it is an id")]
    for first in ([] if idlike else complete[:MAX_PAIR_COLUMNS]):
        pair = _pair(frame, first, complete)
        if pair:
            return pair, [Finding("key", " + ".join(map(repr, pair)), GUESS, "together unique over the rows")]
    return [], [Finding("key", "none", SURE, f"no column, and no pair of columns, is unique over the {rows:,} rows")]


def _id_columns(complete: list[Profile]) -> list[Profile]:
    """Columns whose name says id, best first (whole numbers first on a tie)."""
    ids = NAMES["interaction_id"]
    return sorted((p for p in complete if _score(p.name, ids)), key=lambda p: (-_score(p.name, ids), p.kind != "integer"))


def _event_log(frame: pl.DataFrame, profiles: dict[str, Profile]) -> EventLog | None:
    """An id that repeats, and a column named like an update count or time that changes between the id's
    rows: each row is one update of a contact."""
    complete = [p for p in profiles.values() if p.missing_share == 0]
    idlike = _id_columns([p for p in complete if p.kind in ("integer", "text")])
    if not idlike or idlike[0].distinct == frame.height:
        return None
    first = idlike[0]
    changes = frame.group_by(first.name).agg(pl.all().n_unique()).drop(first.name).max().row(0, named=True)
    varying = frozenset(c for c, n in changes.items() if n > 1)
    orders = sorted((p for p in complete if p.name in varying and p.kind in ("integer", "datetime")
                     and _score(p.name, NAMES["update_order"])), key=lambda p: p.kind != "integer")
    if not orders:
        return None
    order, how, todo = _update_order(frame, first.name, orders[0])
    per_id = f"{frame.height:,} rows for {first.distinct:,} values of '{first.name}'"
    return EventLog(first.name, order, varying, Finding(
        "event log", repr(first.name), LIKELY if not todo else GUESS,
        f"{per_id}, and '{orders[0].name}' changes between the rows of one: each row is an update of a contact. "
        f"They are folded into one contact each (rows: distinct), {how}; columns that change take the last "
        f"update's value (aggregate: last)"), todo)


def _update_order(frame: pl.DataFrame, id_column: str, order: Profile) -> tuple[str | None, str, str | None]:
    """(order_by's column or None for the file's order, how the rows are ordered, a TODO if unsure).
    order_by sorts a source column as numbers, else as text: a time is usable when its text sorts in
    time order (2016-03-01 09:05), else the file's order is used if it lists each id's updates in time."""
    if order.kind == "integer":
        return order.name, f"in the order of '{order.name}' (it counts the updates)", None
    text = frame[order.name].cast(pl.String)
    times = text.str.strptime(pl.Datetime("us"), order.format, strict=False)
    year_first = order.format.startswith(("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"))   # in any export, not just this one
    if year_first and times.gather(text.arg_sort()).is_sorted():
        return order.name, f"in the order of '{order.name}' (its text sorts in time order)", None
    in_time = frame.select(pl.col(id_column), times.alias("t")).select(
        (pl.col("t") >= pl.col("t").shift(1).over(id_column)).fill_null(True).all()).item()
    if in_time:
        return None, (f"in the file's order, which lists each one's updates in time order (order_by would sort "
                      f"'{order.name}', {order.format}, as text)"), None
    return None, "in the file's order", (
        f"the file does not list each contact's updates in time order, and order_by would sort '{order.name}' "
        f"({order.format}) as text, not as time: check which row holds the final state")


def _pair(frame: pl.DataFrame, first: Profile, candidates: list[Profile]) -> list[str] | None:
    """first + the column that makes it unique (an id-like one, else the one with the fewest values)."""
    partners = [p for p in candidates[:MAX_PAIR_COLUMNS] if p.name != first.name]
    if not partners:
        return None
    counts = frame.select(pl.struct(first.name, p.name).n_unique().alias(p.name) for p in partners).row(0, named=True)
    pairs = sorted((p for p in partners if counts[p.name] == frame.height),
                   key=lambda p: (-_score(p.name, NAMES["interaction_id"]), p.distinct))
    return [first.name, pairs[0].name] if pairs else None


def _aggregated(frame: pl.DataFrame, profiles: dict[str, Profile]) -> Aggregated | None:
    """Counts per row (Calls Offered, Total...) at a date-only grain, and no id of a contact: one row
    stands for many contacts."""
    if any(_score(name, NAMES["interaction_id"]) for name in profiles):
        return None
    counts = [p for p in profiles.values() if p.kind == "integer" and (p.high or 0) > 1
              and _score(p.name, COUNT_WORDS)
              and not _score(p.name, NAMES["interaction_id"] + NAMES["wait_s"] + NAMES["handle_s"])]
    if not counts:
        return None
    kinds = {p.kind for p in profiles.values()}
    dates = [p.name for p in profiles.values() if p.kind == "date"]
    date_only = bool(dates) and not kinds & {"time", "datetime"}
    one_per_day = bool(dates) and frame[dates[0]].n_unique() == frame.height
    on_a_grid = _interval_starts(frame, profiles)
    if not (date_only or one_per_day or on_a_grid):
        return None
    best = max(counts, key=lambda p: (_score(p.name, ("offered",)), _score(p.name, ("total",)), p.high))
    grain = ("one row per date" if one_per_day else f"interval starts ('{on_a_grid}', every 15 minutes or a "
             f"multiple)" if on_a_grid else "dates without times of day")
    return Aggregated(best.name, Finding(
        "aggregated", repr(best.name), LIKELY,
        f"count columns ({', '.join(p.name for p in counts)}) at {grain}: each row stands for many contacts, "
        f"so the rows feed contact_intervals (an interval report's counts), not interactions"))


def _interval_starts(frame: pl.DataFrame, profiles: dict[str, Profile]) -> str | None:
    """A column of times that repeat, all on a quarter of an hour: the starts of an interval report's rows."""
    for p in profiles.values():
        if p.kind != "datetime" or not p.format or p.distinct == frame.height:
            continue
        cells = frame[p.name]
        times = cells if cells.dtype.is_temporal() else cells.cast(pl.String).str.strptime(
            pl.Datetime("us"), p.format, strict=False)
        if times.null_count() == cells.null_count() and (
                (times.dt.minute() % 15 == 0) & (times.dt.second() == 0)).all():
            return p.name
    return None


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])|([A-Z])([A-Z][a-z])", r"\1\3 \2\4", name)   # CallId, SRType
    words = re.findall(r"[a-z0-9]+", spaced.lower().replace("ä", "a").replace("ö", "o").replace("ü", "u"))
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


def _score(name: str, phrases) -> float:
    """How well a column name matches any phrase: 0, or above 1 when the phrase's words are all in it
    (higher when they make up more of the name)."""
    return _match(name, phrases)[0]


def _match(name: str, phrases) -> tuple[float, int]:
    """(_score, minus the index of the first phrase that reaches it): on equal scores the phrase listed
    first wins (a column named Team is the team rather than one named Department)."""
    words = _tokens(name)
    best = (0.0, 0)
    for index, phrase in enumerate(phrases):
        wanted = _tokens(phrase)
        if wanted and all(w in words for w in wanted):
            best = max(best, (1 + len(wanted) / len(words), -index))
    return best


# -- store columns: which source column could fill each ----------------------------------------------

def _best(profiles: dict[str, Profile], phrases, kinds, used: set[str], category: bool = False) -> Profile | None:
    """The column of one of these kinds whose name fits the phrases best (on a tie, the earlier phrase,
    then the first column);
    category: only a column whose values repeat (a name of an agent, team or topic, not an id)."""
    scored = [(_match(p.name, phrases), -i, p) for i, p in enumerate(profiles.values())
              if p.kind in kinds and p.name not in used and (not category or p.distinct < p.values)]
    scored = [s for s in scored if s[0][0] > 0]
    return max(scored, key=lambda s: s[:2])[2] if scored else None


def _why(profile: Profile, target: str) -> str:
    return f"'{profile.name}' ({profile.kind}{' ' + profile.format if profile.format else ''}), a name like {target}"


def _todo(column: Column, why: str) -> Choice:
    value = TODO_VALUES.get(column.name) or (
        f"TODO {column.name.removesuffix('_name')}" if column.kind == "text" else TODO_VALUES[column.kind])
    return Choice({"constant": value}, f"TODO: {why}", todo=True)


def _assign(table: str, facts: Facts) -> dict[str, TableDraft]:
    if table == "interactions" and facts.aggregated:
        # counts per row, not contacts: an interval report
        main = _intervals(facts)
        drafts = {"contact_intervals": main, **_dimensions("contact_intervals", main, facts)}
        return {t: drafts[t] for t in TABLE_ORDER if t in drafts}
    if table == "interactions":
        main = _interactions(facts)
    else:
        main = _generic(table, facts)
    drafts = {table: main}
    drafts.update(_dimensions(table, main, facts))
    if table == "interactions":
        surveys = _surveys(facts.profiles, main, facts.events)
        if surveys:
            drafts["customer_surveys"] = surveys
    return {t: drafts[t] for t in TABLE_ORDER if t in drafts}


def _source_notes(tables: dict[str, TableDraft]) -> list[str]:
    """Where an outcome column says more than lost or answered, some of its values may be no contact at
    all (test or virtual calls): a rule to drop them, left for the user to fill in."""
    abandoned = tables["interactions"].fields.get("abandoned") if "interactions" in tables else None
    value = abandoned.value if abandoned else None
    if not (isinstance(value, dict) and len(value.get("false") or []) > 1):
        return []
    return [(f"rows that are no contact at all (test or virtual calls) feed no table: name their {value['column']} "
             f"values and uncomment"), f"drop_rows: {{column: {_yaml(value['column'])}, in: [VALUE]}}"]


def _column_value(profile: Profile, **extra) -> object:
    value = {"column": profile.name}
    if profile.format and profile.kind in ("date", "datetime"):
        value["format"] = profile.format
    value.update(extra)
    return value if len(value) > 1 else profile.name


# An interval report's counts, the most specific first ("Answered in 20s" is not the answered count).
INTERVAL_COUNTS = {"answered_within_20s": ("answered in 20s", "answered in 20", "answered within", "within sl", "in sla",
                                           "within 20"),
                   "abandoned_after_20s": ("abandoned after", "abandon after", "late abandon"),
                   "answered": ("answered", "handled", "calls answered", "contacts answered"),
                   "abandoned": ("abandoned", "lost", "abandons"),
                   "offered": ("offered", "calls offered", "incoming", "total calls", "volume", "calls", "contacts")}
AVERAGE_WORDS = ("avg", "average", "mean", "asa", "aht", "speed of answer")


def _intervals(facts: Facts) -> TableDraft:
    """An aggregated file as an interval report: its date or time, queue and channel, its counts, and its
    average times as totals over the answered count (average_of: ..., times: answered)."""
    profiles, columns = facts.profiles, store_columns()["contact_intervals"]
    td, used = TableDraft(), set()
    td.notes.append(f"{facts.aggregated.finding.why}. interval_start is the start of each row's interval: "
                    f"pages by hour need intervals of an hour or less")
    td.fields["interval_start"] = _queued_at(facts, used, columns["interval_start"])
    _categories(td, profiles, used)
    for not_an_interval_column in ("customer_id", "transfers"):
        td.fields.pop(not_an_interval_column, None)
    for target, phrases in INTERVAL_COUNTS.items():
        found = _best(profiles, phrases, ("integer",), used)
        if found:
            used.add(found.name)
            td.fields[target] = Choice(found.name, _why(found, target))
    if "offered" not in td.fields:
        td.fields["offered"] = _todo(columns["offered"], "no count of offered contacts found; the store needs one")
    for target in ("answered_wait_s", "handle_s"):
        found = _best(profiles, NAMES[target.removeprefix("answered_")], ("integer", "number", "duration", "time"), used)
        if not found or "answered" not in td.fields or not (found.kind in ("integer", "number") or found.hms):
            continue
        used.add(found.name)
        average = any(_score(found.name, (word,)) for word in AVERAGE_WORDS)
        value = {"average_of": found.name, "times": "answered"} if average else {"column": found.name}
        if found.hms:
            value["duration"] = "hms"
        td.fields[target] = Choice(value, _why(found, target) + (
            "; an average over the answered contacts: the store keeps the total, times answered" if average else
            "; TODO: a total over the answered contacts? If it is an average, write average_of: instead of column:"),
            todo=not average)
    return td


def _interactions(facts: Facts) -> TableDraft:
    profiles, columns = facts.profiles, store_columns()["interactions"]
    td, used = TableDraft(), set()
    if facts.events:
        _event_options(td, facts.events)
    td.fields["interaction_id"] = _interaction_id(profiles, facts.keys, columns["interaction_id"])
    td.fields["queued_at"] = _queued_at(facts, used, columns["queued_at"])
    td.fields["abandoned"] = _abandoned(profiles, used, columns["abandoned"])
    # no agent, handle time or resolution for a lost contact, whatever the export says
    lost = {"unless": "abandoned"} if not td.fields["abandoned"].todo else {}
    _durations(td, profiles, used, lost)
    _agent(td, profiles, used, lost)
    _categories(td, profiles, used)
    _derived_times(td, profiles, used, lost)
    _resolved(td, profiles, used, lost, folded=facts.events is not None)
    for name, column in columns.items():
        reference = next((r for r, (idc, _) in REFERENCES.items() if idc == name), None)
        if column.required and name not in td.fields and reference not in td.fields:
            td.fields[name] = _todo(column, "nothing in the file looks like it; the store needs a value")
    if facts.events:
        _fold_fields(td, facts.events)
    return td


def _event_options(td: TableDraft, events: EventLog) -> None:
    td.options["rows"] = "distinct"
    if events.order:
        td.options["order_by"] = events.order
    td.notes.append(f"one contact per '{events.id}': {events.finding.why}")
    if events.todo:
        td.notes.append(f"TODO: {events.todo}")


def _fold_fields(td: TableDraft, events: EventLog, table: str = "interactions") -> None:
    """aggregate: last on every field whose source columns change between a contact's rows, and on the
    fields computed from those (the first row's value is the default)."""
    last: set[str] = set()
    for target, choice in td.fields.items():
        if target in KEYS[table] or not isinstance(choice.value, (str, dict)):
            continue
        value = {"column": choice.value} if isinstance(choice.value, str) else dict(choice.value)
        changing = sorted(_sources_of(value) & events.varying)
        if changing or _derived_from(value) & last:
            value["aggregate"] = "last"
            last.add(target)
            choice.value = value
            choice.why += (f"; '{', '.join(changing)}' changes between the rows of a contact: the last value its "
                           f"updates give" if changing else "; from values that change: the last one")


def _sources_of(value: dict) -> set[str]:
    """The source columns a field reads (its value and its conditions)."""
    found = {value[k] for k in ("column", "date", "time") if isinstance(value.get(k), str)}
    found |= set(value.get("columns") or [])
    for key in ("when", "only_if"):
        found |= _condition_columns(value.get(key))
    return found


def _condition_columns(condition) -> set[str]:
    if isinstance(condition, list):
        return set().union(*(_condition_columns(c) for c in condition))
    if not isinstance(condition, dict):
        return set()
    found = {condition["column"]} if isinstance(condition.get("column"), str) else set()
    for key in ("all", "any", "not"):
        found |= _condition_columns(condition.get(key))
    return found


def _derived_from(value: dict) -> set[str]:
    """The store columns a field is computed from."""
    return set(value.get("seconds_between") or []) | set(value.get("add_seconds") or [])


def _durations(td: TableDraft, profiles: dict[str, Profile], used: set[str], lost: dict) -> None:
    for target in ("wait_s", "handle_s"):
        found = _best(profiles, NAMES[target], ("integer", "number", "duration", "time"), used)
        if not found or not (found.kind in ("integer", "number") or found.hms):
            continue
        used.add(found.name)
        extra = {"duration": "hms"} if found.hms else ({"duration": "minutes"} if "min" in _tokens(found.name) else {})
        if target == "handle_s":
            extra.update(lost)
        why = _why(found, target) + ("; H:MM:SS read as seconds" if found.hms else "")
        if extra.get("duration") == "minutes":
            why += "; its name says minutes"
        if found.kind == "number":
            why += "; TODO: values have decimals, the store keeps whole seconds"
        td.fields[target] = Choice(_column_value(found, **extra), why, todo=found.kind == "number")


def _agent(td: TableDraft, profiles: dict[str, Profile], used: set[str], lost: dict) -> None:
    agent = _best(profiles, NAMES["agent_name"], ("text",), used, category=True)
    if agent:
        used.add(agent.name)
        td.fields["agent_name"] = Choice(_column_value(agent, **lost), _why(agent, "agent") + (
            "; none for an abandoned contact" if lost else "") + (
            f"; missing in {agent.missing_share:.0%} of rows: no agent there" if agent.missing_share else ""))


def _resolved(td: TableDraft, profiles: dict[str, Profile], used: set[str], lost: dict, folded: bool) -> None:
    """A yes/no column; else a status whose words say closed; else a closing time that is there or not.
    A status is trusted only where the closing time is there: open records are not resolved *yet*
    (unknown), not unresolved. In an event log the last update's status says it."""
    flag = _best(profiles, NAMES["resolved"], ("boolean",), used)
    if flag:
        used.add(flag.name)
        words = {"true": list(flag.words[0]), "false": list(flag.words[1])} if flag.words else {}
        td.fields["resolved"] = Choice(_column_value(flag, **words, **lost), _why(flag, "resolved"))
        return
    closing = _closing_column(td)
    status = _best(profiles, NAMES["status"], ("text",), used)
    closed = [v for v in status.levels if re.search(CLOSED_WORDS, v, re.IGNORECASE)] if status else []
    if closed and len(closed) < len(status.levels):
        used.add(status.name)
        others = [v for v in status.levels if v not in closed]
        value = {"column": status.name, "true": closed, "false": others, **lost}
        why = (f"'{status.name}': {', '.join(closed)} count as resolved, {', '.join(others)} as not (its words "
               f"say closed or not; a value in neither list is reported, not guessed)")
        if closing and not folded:
            value["only_if"] = {"column": closing, "present": "true"}
            why += f"; only where '{closing}' has a time: an open record is not resolved yet (unknown), not unresolved"
        td.fields["resolved"] = Choice(value, why)
    elif closing:
        td.fields["resolved"] = Choice({"when": {"column": closing, "present": "true"}, **lost},
                                       f"a guess: a record with a '{closing}' time counts as resolved, one without "
                                       f"as not resolved (no status column says more)")


def _closing_column(td: TableDraft) -> str | None:
    """The source column of ended_at when its name says closed or resolved and it is missing on some rows."""
    ended = td.fields.get("ended_at")
    value = ended.value if ended else None
    column = value if isinstance(value, str) else value.get("column") if isinstance(value, dict) else None
    if column and re.search(CLOSED_WORDS + r"|\bclose\b", " ".join(_tokens(column))):
        return column
    return None


def _categories(td: TableDraft, profiles: dict[str, Profile], used: set[str]) -> None:
    channel = _best(profiles, NAMES["channel"], ("text",), used, category=True)
    if channel:
        used.add(channel.name)
        td.fields["channel"] = _channel(channel)
    for target, unknown in (("touchpoint_name", "Unknown"), ("team_name", "Unassigned")):
        found = _best(profiles, NAMES[target], ("text",), used, category=True)
        if found:
            used.add(found.name)
            td.fields[target] = _with_default(found, target, unknown)
    customer = _best(profiles, NAMES["customer_id"], ("integer", "text"), used)
    if customer and (customer.kind == "integer" or customer.id_pattern):
        used.add(customer.name)
        td.fields["customer_id"] = _customer_id(customer)
    transfers = _best(profiles, NAMES["transfers"], ("integer",), used)
    if transfers:
        used.add(transfers.name)
        td.fields["transfers"] = Choice(transfers.name, _why(transfers, "transfers"))
    td.fields.setdefault("channel", Choice({"constant": "phone"}, "no channel column: every contact is a phone call"))
    td.fields.setdefault("touchpoint_name", _todo(Column("touchpoint_name", "VARCHAR", True),
                                                  "no topic, queue or skill column: one touchpoint for every contact"))
    td.fields.setdefault("team_name", _todo(Column("team_name", "VARCHAR", True),
                                            "no team column: one team for every contact; name it"))


def _customer_id(found: Profile) -> Choice:
    why = _why(found, "customer_id")
    if found.kind == "text":
        return Choice({"column": found.name, "pattern": found.id_pattern},
                      f"{why}; the store's id is a number: the digits the pattern keeps tell the customers apart")
    if found.zeros and found.high > 0:   # ACD logs write 0 for a caller they could not identify
        return Choice({"column": found.name, "only_if": {"column": found.name, "not_in": ["0"]}},
                      f"{why}; 0 in {found.zeros:,} rows is no id: no customer there (likely)")
    return Choice(found.name, why)


def _with_default(found: Profile, target: str, unknown: str) -> Choice:
    """A team or touchpoint column; where it is missing the store still needs one, so a stand-in."""
    why = _why(found, target)
    if not found.missing_share:
        return Choice(found.name, why)
    return Choice({"column": found.name, "default": unknown},
                  f"{why}; missing in {found.missing_share:.0%} of rows: those get '{unknown}' (a guess: rename it "
                  f"to the {target.removesuffix('_name')} that holds them)")


def _channel(profile: Profile) -> Choice:
    """The store's channels are phone, chat and messaging: each value of the column mapped to one."""
    store = ("phone", "chat", "messaging")
    if profile.levels and {v.lower() for v in profile.levels} <= set(store):
        return Choice(profile.name, _why(profile, "channel") + "; already the store's words")
    if not profile.levels:
        return Choice(profile.name, f"{_why(profile, 'channel')}; TODO: over {LEVELS} values, the store's channels "
                                    f"are phone, chat, messaging: add map: {{VALUE: phone, ...}}", todo=True)
    placed = {v: next((c for c, words in CHANNEL_WORDS.items() if re.search(words, v, re.IGNORECASE)), None)
              for v in profile.levels}
    guessed = [v for v, c in placed.items() if c is None]
    why = f"{_why(profile, 'channel')}; each value as one of the store's channels (phone, chat, messaging)"
    if guessed:
        why += f"; a guess for {', '.join(guessed)}: messaging (no word in them says phone or chat): check"
    return Choice({"column": profile.name, "map": {v: c or "messaging" for v, c in placed.items()}}, why)


def _interaction_id(profiles: dict[str, Profile], keys: list[str], column: Column) -> Choice:
    """The key as the store's numeric id: a whole-number column, the digits of a text id, or an id built
    from the key's columns; else a TODO."""
    if not keys:
        return _todo(column, "no column is unique over the rows; the store needs one id per contact")
    first = profiles[keys[0]]
    said = (f"'{first.name}' is unique over the rows" if first.distinct == first.values else
            f"'{first.name}' names the contact of each row")
    if len(keys) == 1 and first.kind == "integer":
        return Choice(first.name, said)
    if len(keys) == 1 and first.id_pattern:
        return Choice({"column": first.name, "pattern": first.id_pattern},
                      f"{said}; the store's id is a number: the digits the pattern keeps, which tell them apart too")
    if len(keys) == 1:
        partner = _partner(profiles, first)
        if not partner:
            return _todo(column, f"{said}, but the store's id is a number and no run of its digits alone tells "
                                 f"them apart")
        return Choice({"columns": [first.name, partner.name]},
                      f"{said}, but no run of its digits alone tells them apart; columns: makes a stable number "
                      f"from two or more columns, so '{partner.name}' (complete, the same for a record in any "
                      f"export) is added")
    ordered = sorted(keys, key=list(profiles).index)
    repeats = f"'{first.name}' repeats; " if first.distinct < first.values else ""
    return Choice({"columns": ordered}, f"{repeats}{' + '.join(map(repr, ordered))} together are unique: a stable "
                                       f"number is made from them")


def _partner(profiles: dict[str, Profile], key: Profile) -> Profile | None:
    """A second column for a key that is unique on its own: another id, else the time of the record."""
    complete = [p for p in profiles.values() if p.name != key.name and p.missing_share == 0]
    ids = _id_columns([p for p in complete if p.kind in ("integer", "text")])
    stamps = [p for p in complete if p.kind == "datetime"]
    return (ids or stamps or [None])[0]


def _queued_at(facts: Facts, used: set[str], column: Column) -> Choice:
    profiles = facts.profiles
    stamp = _best(profiles, NAMES["queued_at"] + NAMES["date"], ("datetime",), used) or _only(profiles, "datetime")
    if stamp:
        used.add(stamp.name)
        return Choice(_column_value(stamp), _why(stamp, "queued_at") + _ambiguity(stamp), bool(stamp.alternatives))
    date = _best(profiles, NAMES["date"] + NAMES["queued_at"], ("date",), used) or _only(profiles, "date")
    if not date:
        return _todo(column, "no date column found; the store needs when each contact queued")
    used.add(date.name)
    time = _best(profiles, NAMES["time"], ("time",), used) or _only(profiles, "time", hms_ok=False)
    why = f"{_why(time, 'time')}" if time else ""
    if not time:
        time, why = _earliest_time(facts)
    if not time:
        return Choice({"column": date.name, "format": date.format}, _why(date, "date") + _ambiguity(date)
                      + "; no time of day: every contact at midnight", bool(date.alternatives))
    used.add(time.name)
    return Choice({"date": date.name, "time": time.name, "date_format": date.format, "time_format": time.format},
                  f"{_why(date, 'date')} + {why}{_ambiguity(date)}", bool(date.alternatives))


def _earliest_time(facts: Facts) -> tuple[Profile | None, str]:
    """Of several time-of-day columns (an ACD log's vru_entry, q_start, ser_start...), the one earliest in
    most rows: when the contact arrived."""
    times = [p for p in facts.profiles.values() if p.kind == "time" and p.format and p.missing_share < 1]
    if len(times) < 2:
        return None, ""
    clock = facts.frame.select(pl.col(p.name).cast(pl.String).str.strptime(pl.Time, p.format, strict=False)
                               .cast(pl.Int64) for p in times)
    earliest = clock.select(pl.concat_list(pl.all()).list.arg_min()).to_series().drop_nulls()
    if earliest.is_empty():
        return None, ""
    counts = earliest.value_counts(sort=True)
    winner, rows = counts.row(0)
    found = times[winner]
    others = ", ".join(p.name for p in times if p is not found)
    return found, (f"'{found.name}' (time {found.format}), of the times of day the earliest in {rows / len(earliest):.0%} "
                   f"of rows (a guess: the contact's arrival; a queue may start at a later one: {others})")


def _only(profiles: dict[str, Profile], kind: str, hms_ok: bool = True) -> Profile | None:
    """The one column of a kind, when names do not tell (a file without a header)."""
    found = [p for p in profiles.values() if p.kind == kind and (hms_ok or not p.hms)]
    return found[0] if len(found) == 1 else None


def _ambiguity(profile: Profile) -> str:
    if not profile.alternatives:
        return ""
    return (f"; TODO: ambiguous, {', '.join(profile.alternatives)} reads every value too "
            f"(no day is above 12): check which the export uses")


def _abandoned(profiles: dict[str, Profile], used: set[str], column: Column) -> Choice:
    found = _best(profiles, NAMES["abandoned"], ("boolean",), used)
    if found:
        used.add(found.name)
        if not found.words:   # a Parquet or spreadsheet boolean: read as it is
            inverted = _score(found.name, POSITIVE)
            return Choice(found.name, _why(found, "abandoned") + (
                "; TODO: it says answered, and a native yes/no cannot be turned round here" if inverted else ""),
                todo=bool(inverted))
        yes, no = found.words
        if _score(found.name, POSITIVE):
            return Choice({"column": found.name, "true": list(no), "false": list(yes)},
                          f"'{found.name}' is yes/no and says answered: its no means abandoned")
        return Choice({"column": found.name, "true": list(yes), "false": list(no)}, _why(found, "abandoned"))
    for profile in profiles.values():
        lost = [v for v in profile.levels if re.search(LOST_WORDS, v, re.IGNORECASE)]
        if profile.kind == "text" and profile.name not in used and lost:
            used.add(profile.name)
            others = [v for v in profile.levels if v not in lost]
            return Choice({"column": profile.name, "true": lost, "false": others},
                          f"'{profile.name}' has values that mean a lost contact ({', '.join(lost)}); the others "
                          f"({', '.join(others)}) count as answered: check (a value in neither list is reported, "
                          f"not guessed; a row that is no contact at all goes with source.drop_rows)")
    return _todo(column, "no answered/abandoned column found: every contact counts as answered")


def _derived_times(td: TableDraft, profiles: dict[str, Profile], used: set[str], lost: dict) -> None:
    for target in ("answered_at", "ended_at"):
        found = _best(profiles, NAMES[target], ("datetime",), used)
        if found:
            used.add(found.name)
            empty = (f"; missing in {found.missing_share:.0%} of rows (not {target.removesuffix('_at')} yet?): "
                     f"left empty there" if found.missing_share else "")
            td.fields[target] = Choice(_column_value(found), _why(found, target) + empty)
    if "answered_at" in td.fields and "wait_s" not in td.fields:
        td.fields["wait_s"] = Choice({"seconds_between": ["queued_at", "answered_at"]},
                                     "not in the export: queued_at to answered_at (none where answered_at is empty)")
    if "answered_at" not in td.fields and "wait_s" in td.fields and not td.fields["queued_at"].todo:
        td.fields["answered_at"] = Choice({"add_seconds": ["queued_at", "wait_s"], **lost},
                                          "not in the export: queued_at + wait_s")
    if "ended_at" not in td.fields and "answered_at" in td.fields and "handle_s" in td.fields:
        td.fields["ended_at"] = Choice({"add_seconds": ["answered_at", "handle_s"]},
                                       "not in the export: answered_at + handle_s")
    if _closing_column(td):
        td.fields["resolution_s"] = Choice({"seconds_between": ["queued_at", "ended_at"]},
                                           "not in the export: queued_at to ended_at, the closing time "
                                           "(none where it is empty)")


def _generic(table: str, facts: Facts) -> TableDraft:
    """Any other store table: each column from the source column whose name is most like it."""
    profiles, keys = facts.profiles, facts.keys
    kinds = {"text": ("text",), "integer": ("integer",), "number": ("integer", "number"), "boolean": ("boolean",),
             "date": ("date",), "timestamp": ("datetime",)}
    td, used = TableDraft(), set()
    columns = dict(store_columns()[table])
    staff = _best(profiles, NAMES["agent_id"], ("integer",), used)
    if staff and "agent_id" in columns:   # an employee number: the agent's id, in this table and in agents
        used.add(staff.name)
        td.fields["agent_id"] = Choice(staff.name, _why(staff, "agent_id") + "; the agent's id in the store too")
    for reference, (id_column, _) in REFERENCES.items():
        if id_column in columns and reference not in columns and id_column not in td.fields:
            columns[reference] = Column(reference, "VARCHAR", columns.pop(id_column).required)
    for name, column in columns.items():
        if name == AUTO_IDS.get(table) or name in td.fields:
            continue
        words = re.sub(r"_(on|at|s|id|name)$", "", name).replace("_", " ")
        phrases = NAMES.get(name, ()) + (NAMES["person_name"] if name == "agent_name" else ()) + (
            words, name.replace("_", " "))
        found = _best(profiles, phrases, kinds[column.kind], used)
        if name == "interaction_id":
            td.fields[name] = _interaction_id(profiles, keys, column)
        elif found:
            used.add(found.name)
            scaled = (table, name) in SCALES and found.low is not None
            td.fields[name] = _scaled(found, table, name) if scaled else Choice(_column_value(found), _why(found, name))
        elif column.kind == "timestamp" and column.required:
            td.fields[name] = _queued_at(facts, used, column)
            td.fields[name].why += "; the time of the contact"
        elif column.kind == "date" and column.required:
            date = _best(profiles, NAMES["date"], ("date",), used) or _only(profiles, "date")
            if date:
                td.fields[name] = Choice(_column_value(date), f"TODO: '{date.name}', the only date in the export",
                                         todo=True)
    _dimension_fields(table, td, facts)
    for name, column in columns.items():
        if column.required and name not in td.fields and name != AUTO_IDS.get(table):
            td.fields[name] = _todo(column, TODO_WHY.get(name, "nothing in the file looks like it; the store needs a value"))
    td.notes += _other_answers(table, profiles, used)
    # one row per key where a one-column key repeats (a constant always does); a key of several columns
    # is left to the import's duplicate check
    key = KEYS[table][0] if len(KEYS[table]) == 1 else None
    source = _source_column(td.fields[key]) if key in td.fields else ""
    if source is None or source and profiles[source].distinct < profiles[source].values:
        td.options["rows"] = "distinct"
    return td


def _scaled(found: Profile, table: str, target: str) -> Choice:
    """A survey answer column, with the answers' own scale when they do not fill the store's: the import
    refuses an undeclared one (a 1-4 answer read as 1-5 would rate everyone low)."""
    low, high = SCALES[(table, target)]
    seen_low, seen_high = int(found.low), int(found.high)
    why = f"{_why(found, target)}; answers {seen_low}-{seen_high}, the store's {target} is {low}-{high}"
    if seen_low >= low and seen_high == high:
        return Choice(found.name, why)
    if seen_low >= low and found.values < SCALE_CHECK_ANSWERS:
        return Choice(found.name, f"{why}; too few answers to tell the scale: if it is {low}-{seen_high}, "
                                  f"add scale: {low}-{seen_high}")
    scale = f"{min(low, seen_low)}-{seen_high}"
    if seen_low >= low:
        return Choice({"column": found.name, "scale": scale},
                      f"{why}: rescaled from {scale} (likely, from {found.values:,} answers; if the top answers "
                      f"simply never occur, write scale: {low}-{high})")
    return Choice({"column": found.name, "scale": scale},
                  f"{why}; TODO: answers fall outside the store's scale: rescaled from {scale}, if that is the "
                  f"question's scale", todo=True)


def _other_answers(table: str, profiles: dict[str, Profile], used: set[str]) -> list[str]:
    """Survey-like columns left over: the user may know which store item each means."""
    if not any(t == table for t, _ in SCALES):
        return []
    left = [p for p in profiles.values() if p.name not in used and p.kind == "integer" and p.low is not None
            and 0 <= p.low and p.high <= 10 and p.distinct > 2]
    if not left:
        return []
    items = ", ".join(c for t, c in SCALES if t == table)
    shown = ", ".join(f"{p.name} ({_number(p.low)}-{_number(p.high)})" for p in left)
    return [(f"answers not mapped: {shown}. Map any that means one of {items} (with scale: if its answers are "
             f"on another scale; agent pressure is higher for more pressure)")]


def _source_column(choice: Choice) -> str | None:
    value = choice.value
    return value if isinstance(value, str) else value.get("column") or value.get("date")


def _dimensions(table: str, main: TableDraft, facts: Facts) -> dict[str, TableDraft]:
    """Teams, touchpoints and agents the main table names, drafted from the same columns."""
    out = {}
    for reference, (id_column, dimension) in REFERENCES.items():
        if dimension == table or reference in store_columns()[table]:
            continue
        if reference in main.fields:
            out[dimension] = _dimension_by_name(reference, dimension, main, facts)
        elif id_column in main.fields:   # an employee number (see _generic): the agents' id as well
            out[dimension] = _dimension_by_id(reference, id_column, dimension, main.fields[id_column], facts)
    if "teams" not in out and "agents" in out and table != "teams":
        out.update(_dimensions("agents", out["agents"], facts))
    return out


def _dimension_by_name(reference: str, dimension: str, main: TableDraft, facts: Facts) -> TableDraft:
    """One row per name the main table gives (and per stand-in it gives where the name is missing)."""
    choice, td = main.fields[reference], TableDraft(options={"rows": "distinct"})
    source = _source_column(choice)
    default = choice.value.get("default") if isinstance(choice.value, dict) else None
    if source and facts.profiles[source].missing_share and default is None:
        td.options["where_present"] = source
    if source:
        why = f"each distinct value of '{source}'" + (f", and '{default}' for rows without one" if default else "")
        td.fields[reference] = Choice({"column": source, "default": default} if default else source, why, choice.todo)
    else:
        td.fields[reference] = Choice(choice.value, choice.why, choice.todo)
    _dimension_fields(dimension, td, facts, main)
    return td


def _dimension_by_id(reference: str, id_column: str, dimension: str, by_id: Choice, facts: Facts) -> TableDraft:
    """Agents the main table names by an employee number: one per number, with a name if there is one."""
    td = TableDraft(options={"rows": "distinct"})
    number = _source_column(by_id)
    td.fields[id_column] = Choice(by_id.value, by_id.why)
    name = _best(facts.profiles, NAMES["person_name"], ("text",), {number})
    td.fields[reference] = (Choice(name.name, _why(name, reference)) if name else
                            Choice(by_id.value, f"no name column: the number '{number}' stands as the name"))
    _dimension_fields(dimension, td, facts)
    return td


def _dimension_fields(table: str, td: TableDraft, facts: Facts, main: TableDraft | None = None) -> None:
    """What an export seldom holds about teams, touchpoints and agents: stand-ins to check."""
    fields, profiles = td.fields, facts.profiles
    if table == "teams":
        fields.setdefault("site", _site(facts, _source_column(fields["team_name"]) if "team_name" in fields else None))
        fields.setdefault("manager_name", _todo(Column("manager_name", "VARCHAR", True), "the export has no manager"))
    elif table == "touchpoints":
        owner = _best(profiles, NAMES["owner_unit"], ("text",), set(), category=True)
        fields.setdefault("owner_unit", Choice(owner.name, f"'{owner.name}', a name like owner_unit: each touchpoint "
                                                           f"takes the value of its first row (check it has one owner)")
                          if owner else _todo(Column("owner_unit", "VARCHAR", True), "the unit accountable for it"))
        measure = "resolution_s" if main and "resolution_s" in main.fields and "wait_s" not in main.fields else "wait_s"
        named = {"wait_s": "Answered within 20 s", "resolution_s": "Resolved within 5 days"}[measure]
        seconds = {"wait_s": "20", "resolution_s": "432000"}[measure]
        fields.setdefault("sla_name", Choice({"constant": named}, "TODO: your service level", todo=True))
        fields.setdefault("sla_seconds", Choice({"constant": seconds}, "TODO: your service level's seconds", todo=True))
        fields.setdefault("sla_measure", Choice({"constant": measure}, "wait_s (queue time) or resolution_s" + (
            ": the export has resolution times and no waits" if measure == "resolution_s" else "")))
    elif table == "agents":
        fields.setdefault("team_name", _agents_team(profiles, main))
        fields.setdefault("hired_on", _hired_on(profiles, main or td))
        left = _best(profiles, NAMES["left_on"], ("date", "datetime"), set())
        if left:
            fields.setdefault("left_on", Choice(_column_value(left), _why(left, "left_on") + (
                "; empty while employed" if left.missing_share else "")))
        fields.setdefault("authority_limit", Choice({"constant": "0"}, "not in the export: no authority to grant money"))


def _agents_team(profiles: dict[str, Profile], main: TableDraft | None) -> Choice:
    team = main.fields.get("team_name") if main else None
    if team and isinstance(team.value, dict) and "column" in team.value:   # the column (and stand-in) only
        value = {k: v for k, v in team.value.items() if k in ("column", "default")}
        return Choice(value if len(value) > 1 else value["column"],
                      f"'{value['column']}', the team of the agent's first row" + (
                          f", '{value['default']}' where it has none" if "default" in value else ""))
    if team:
        return Choice(team.value, team.why, team.todo)
    found = _best(profiles, NAMES["team_name"], ("text",), set(), category=True)
    if found:
        return Choice(found.name, _why(found, "team_name"))
    return _todo(Column("team_name", "VARCHAR", True), "the agents' team")


def _site(facts: Facts, team_column: str | None) -> Choice:
    """A column named like a site that holds one value per team (a team's location, not a caller's)."""
    if team_column:
        named = sorted((p for p in facts.profiles.values() if p.kind == "text" and p.name != team_column
                        and _score(p.name, NAMES["site"])), key=lambda p: _match(p.name, NAMES["site"]), reverse=True)
        for found in named:
            most = facts.frame.group_by(team_column).agg(pl.col(found.name).n_unique()).get_column(found.name).max()
            if most == 1:
                return Choice(found.name, f"'{found.name}', a name like site, with one value per team")
    return _todo(Column("site", "VARCHAR", True), "the export has no site")


def _hired_on(profiles: dict[str, Profile], main: TableDraft) -> Choice:
    """A hiring date column; else (a call log) the first day the agent appears, from the contacts' date."""
    hired = _best(profiles, NAMES["hired_on"], ("date", "datetime"), set())
    if hired:
        return Choice(_column_value(hired), _why(hired, "hired_on"))
    queued = main.fields.get("queued_at")
    column = _source_column(queued) if queued and not queued.todo else None
    found = profiles.get(column) if column else (
        _best(profiles, NAMES["date"] + NAMES["queued_at"], ("date", "datetime"), set())
        or _only(profiles, "date") or _only(profiles, "datetime"))
    if found and found.kind in ("date", "datetime"):
        fmt = {"format": found.format} if found.format else {}
        return Choice({"column": found.name, "aggregate": "min", **fmt},
                      f"not in the export: the first day the agent appears in '{found.name}'")
    return _todo(Column("hired_on", "DATE", True), "the export has no hiring dates")


def _surveys(profiles: dict[str, Profile], main: TableDraft, events: EventLog | None) -> TableDraft | None:
    rating = _best(profiles, NAMES["csat"], ("integer",), set())
    if not rating:
        return None
    td = TableDraft(options={"where_present": rating.name} if rating.missing_share else {})
    td.fields["interaction_id"] = main.fields["interaction_id"]
    queued = main.fields["queued_at"]
    td.fields["answered_at"] = Choice(queued.value, "not in the export: the time of the contact", queued.todo)
    td.fields["csat"] = _scaled(rating, "customer_surveys", "csat")
    if events:   # one answer per contact: the last one given
        td.options["rows"] = "distinct"
        if events.order:
            td.options["order_by"] = events.order
        _fold_fields(td, events, "customer_surveys")
    return td


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


# -- the YAML text -------------------------------------------------------------------------------------

# Read back as text (mapping.load uses YAML's BaseLoader), so only YAML's syntax needs quoting.
PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ ./()-]*(?<! )$")


def _yaml(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    text = str(value)
    if PLAIN.match(text):
        return text
    if "'" not in text and text.isprintable():
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def _one_line(text: str, limit: int = 400) -> str:
    """Comment text on one line: a value or name holding a line break would end the comment."""
    flat = re.sub(r"\r\n|\r|\n", "\u21b5", text)
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


def _render(d: Draft) -> str:
    out = [f"# Draft mapping for {d.path.name}, written by `python -m dashboard mapping draft`.",
           "# Check every line marked TODO, then try it (nothing is written to the store until every row reads):",
           f"#   python -m dashboard import {d.path.name} --mapping THIS_FILE --db data/{_slug(d.path.stem)}.duckdb",
           "#", "# What the file looks like (how sure):"]
    out += [f"#   {f.comment()}" for f in d.findings]
    if d.aggregated:
        out.append(f"#   {d.aggregated.finding.comment()}")
    out += ["#", f"# Columns ({d.rows:,} rows): type, distinct values, missing share, examples"]
    out += [f"#   {p.describe()}" for p in d.profiles.values()]
    booleans = [p for p in d.profiles.values() if p.kind == "boolean" or any("yes/no" in n for n in p.notes)]
    if booleans:
        out.append(f"# Yes/no columns: {', '.join(p.name for p in booleans)}")
    if d.todos:
        out.append(f"# TODO ({len(d.todos)}): {', '.join(d.todos)}")
    out += ["", f"description: {_yaml(f'Drafted from {d.path.name}; edit the TODO lines')}", "", "source:"]
    for key, value in d.source.items():
        out.append(f"  {key}: {_yaml(value)}")
    out += [f"  # {n}" for n in d.source_notes]
    out += ["", "tables:"]
    for table, td in d.tables.items():
        out.append(f"  {table}:")
        out += [f"    # {n}" for n in td.notes]
        for key, value in td.options.items():
            out.append(f"    {key}: {_yaml(value)}")
        out.append("    columns:")
        for target, choice in td.fields.items():
            out.append(f"      # {choice.why}")
            out.append(f"      {target}: {_yaml(choice.value)}")
        out.append("")
    return "\n".join(_one_line(line) if line.lstrip().startswith("#") else line for line in out)


def _slug(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "store"


# -- command line ----------------------------------------------------------------------------------------

def add_parser(subparsers) -> argparse.ArgumentParser:
    """Adds `mapping draft` to cli.py's subparsers."""
    parser = subparsers.add_parser("mapping", help="help to write a mapping file")
    commands = parser.add_subparsers(dest="mapping_command", required=True)
    drafting = commands.add_parser(
        "draft", help="read an export and write a starting mapping, with what was detected in comments",
        description=__doc__.split("\n\n")[0])
    drafting.add_argument("file", type=Path, metavar="FILE", help="a CSV, TSV, Parquet or XLSX export")
    drafting.add_argument("--out", type=Path, default=None,
                          help="where to write it (default data/mappings/<FILE's name>.yaml under the current folder)")
    drafting.add_argument("--table", choices=TABLE_ORDER, default="interactions",
                          help="the store table the file mainly feeds (default interactions)")
    drafting.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    return parser


def main(args: argparse.Namespace) -> int:
    out = args.out or Path.cwd() / "data" / "mappings" / f"{args.file.stem}.yaml"
    if out.is_dir():
        out = out / f"{args.file.stem}.yaml"
    if out.exists() and not args.force:
        print(f"{out} exists; not overwriting it (use --force, or --out to write elsewhere)", file=sys.stderr)
        return 1
    try:
        result = draft(args.file, args.table)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w" if args.force else "x", encoding="utf-8") as handle:
            handle.write(result.text())
    except DraftError as exc:
        print(f"mapping draft: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"mapping draft: cannot write {out} ({exc.strerror})", file=sys.stderr)
        return 1
    print(f"wrote {out}: {result.rows:,} rows, {len(result.profiles)} columns, feeding {', '.join(result.tables)}")
    if result.todos:
        print(f"  to fill in ({len(result.todos)} TODO): {', '.join(result.todos)}")
    print(f"then: python -m dashboard import {args.file} --mapping {out} --db data/{_slug(args.file.stem)}.duckdb")
    return 0
