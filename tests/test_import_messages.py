"""Import messages a person can read (issue 9, build item 5): problems grouped by kind, the file's
physical line numbers even with multi-line quoted fields, rejects holding each record's original
text, a rejects file that goes beside the store (or where --rejects says), and no traceback
whatever the mapping or file holds.

Expected lines and texts are computed here from the records the test writes (counting the line
ends before each record), never taken from the importer's output."""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from pathlib import Path

import pytest
from test_import import import_cli, write_mapping

from dashboard import importer, mapping, sources

HEADER = ("id", "note", "date", "time", "wait", "talk", "answered", "rating")


def quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


def write_records(path: Path, records: list[tuple[str, ...]], newline: str = "\n",
                  encoding: str = "utf-8") -> list[int]:
    """Writes the header and records; returns the physical line each record starts on, counted
    from the line ends written before it (a CR LF inside a field is one line end)."""
    texts = [",".join(HEADER) + newline] + [",".join(quoted(c) for c in record) + newline for record in records]
    ends = [len(re.findall(r"\r\n|\r|\n", text)) for text in texts]
    path.write_bytes("".join(texts).encode(encoding))
    return list(itertools.accumulate(ends, initial=1))[1:-1]   # where texts[1:] start


def call(id_: str, note: str = "", wait: str = "12", fields: int = len(HEADER)) -> tuple[str, ...]:
    # ratings spread over 1-5, so a file of many calls reads as the store's 1-5 scale
    rating = str(1 + int(id_) % 5) if id_.isdigit() else "4"
    return (id_, note, "2024-03-05", "09:00:00", wait, "0:03:10", "Y", rating)[:fields]


def rejected(data: Path, tmp_path: Path) -> str:
    with pytest.raises(importer.ImportRejected) as caught:
        importer.run([data], mapping.load(write_mapping(tmp_path, {})), tmp_path / "never.duckdb")
    assert not (tmp_path / "never.duckdb").exists()
    return caught.value.report.text()


def example_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("      ")]


# -- 1. problems grouped by kind ---------------------------------------------------------------

def test_ten_thousand_duplicate_keys_make_one_group_of_a_few_lines(tmp_path):
    records = [call(str(i)) for i in range(1, 101)] + [call(str(1 + i % 100)) for i in range(10_000)]
    starts = write_records(tmp_path / "calls.csv", records)
    ids = [r[0] for r in records]
    repeats = sum(n - 1 for n in Counter(ids).values())
    assert repeats == 10_000
    text = rejected(tmp_path / "calls.csv", tmp_path)
    assert len(text.splitlines()) < 30, text
    # the interaction key and the survey key (both the id) each repeat 10,000 times
    assert text.count(f"duplicate key - {repeats:,} rows") == 2
    first_repeat_line = 2 + 100   # the header, then 100 distinct ids, then the first repeat
    assert f"calls.csv line {first_repeat_line}: '1' (repeats line {starts[0]})" in example_lines(text)


def test_each_example_names_the_line_it_repeats(tmp_path):
    records = [call("7"), call("8"), call("7"), call("8"), call("7")]
    write_records(tmp_path / "calls.csv", records)
    examples = example_lines(rejected(tmp_path / "calls.csv", tmp_path))
    # header is line 1: 7 on lines 2, 4, 6 and 8 on lines 3, 5
    assert {"calls.csv line 4: '7' (repeats line 2)", "calls.csv line 5: '8' (repeats line 3)",
            "calls.csv line 6: '7' (repeats line 2)"} <= set(examples)


def test_a_key_repeated_from_another_file_names_that_file(tmp_path):
    write_records(tmp_path / "monday.csv", [call("1"), call("2")])
    write_records(tmp_path / "tuesday.csv", [call("3"), call("2")])
    with pytest.raises(importer.ImportRejected) as caught:
        importer.run([tmp_path / "monday.csv", tmp_path / "tuesday.csv"], mapping.load(write_mapping(tmp_path, {})),
                     tmp_path / "never.duckdb")
    assert "tuesday.csv line 3: '2' (repeats monday.csv line 3)" in example_lines(caught.value.report.text())


def test_unreadable_cells_short_rows_and_duplicates_each_make_one_group(tmp_path):
    records = [call(str(i)) for i in range(1, 2001)]
    records += [call(str(i), wait=f"{i} s") for i in range(2001, 12001)]          # 10,000 unreadable waits
    records += [call(str(i), fields=3 + i % 4) for i in range(12001, 22001)]     # 10,000 rows cut short
    records += [call(str(1 + i % 2000)) for i in range(10_000)]                  # 10,000 repeated ids
    write_records(tmp_path / "calls.csv", records)
    text = rejected(tmp_path / "calls.csv", tmp_path)
    assert len(text.splitlines()) < 30, text
    assert "'wait' (interactions.wait_s): cannot read as a whole number - 10,000 rows" in text
    # short rows miss different columns, but are one kind: fewer fields than the header
    assert text.count("the row has fewer fields than the header") == 1
    assert "the row has fewer fields than the header (missing columns) - 10,000 rows" in text
    assert "(missing from 'time' on)" in text or "(missing from 'wait' on)" in text


def test_a_long_value_is_shortened_in_the_message(tmp_path):
    records = [call("1", wait="9" * 5000 + "x")]
    write_records(tmp_path / "calls.csv", records)
    text = rejected(tmp_path / "calls.csv", tmp_path)
    assert max(len(line) for line in text.splitlines()) < 300


# -- 2 and 3. the file's physical lines, and each rejected record's original text -------------------

MULTI_LINE = [                                   # what each record holds, and why it is here
    call("1", note="first line\nsecond line"),   # a quoted field over two lines
    call("2"),
    call("3", note="a\r\nb\nc, \"quoted\""),    # CR LF and LF inside one field, with quotes
    call("4", fields=4),                         # cut short: DuckDB rejects it
    call("5", wait="soon"),                      # a value the importer cannot read
    call("1"),                                   # repeats the first record
    call("7", note="x\ny", wait="-5"),           # a multi-line record with an impossible value
    call("8", note="p\nq", fields=3),            # a multi-line record cut short
    call("9"),
]
BAD = {3: "missing columns", 4: "cannot read as a whole number", 5: "duplicate key", 6: "negative wait",
       7: "missing columns"}   # index in MULTI_LINE -> the problem it has


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_lines_are_the_files_physical_lines_after_multi_line_fields(tmp_path, newline):
    starts = write_records(tmp_path / "calls.csv", MULTI_LINE, newline)
    assert starts[-1] > len(MULTI_LINE) + 1, "the fixture needs records spanning lines"
    text = rejected(tmp_path / "calls.csv", tmp_path)
    shown = {int(m) for m in re.findall(r"calls\.csv line (\d+)", text)}
    assert shown == {starts[i] for i in BAD}
    assert f"calls.csv line {starts[5]}: '1' (repeats line {starts[0]})" in example_lines(text)


@pytest.mark.parametrize("newline, encoding", [("\n", "utf-8"), ("\r\n", "utf-8"), ("\r\n", "utf-16"),
                                               ("\r", "cp1252")])
def test_rejects_hold_each_records_original_text(tmp_path, newline, encoding):
    starts = write_records(tmp_path / "calls.csv", MULTI_LINE, newline, encoding)
    db = tmp_path / "store.duckdb"
    report = importer.run([tmp_path / "calls.csv"], mapping.load(write_mapping(tmp_path, {"encoding": encoding})), db,
                          skip_bad_rows=True)
    with open(report.rejects_files[0], newline="", encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert [int(r["line"]) for r in rejects] == [starts[i] for i in sorted(BAD)]
    for r, i in zip(rejects, sorted(BAD)):
        assert r["original"] == ",".join(quoted(c) for c in MULTI_LINE[i]), r
        assert BAD[i] in r["reason"] and r["file"] == "calls.csv"
    good = [r[0] for i, r in enumerate(MULTI_LINE) if i not in BAD]
    assert report.inserted["interactions"] == len(good)


def test_blank_lines_between_records_do_not_shift_the_lines(tmp_path):
    records = [call("1"), (), call("2"), (), (), call("3", wait="-1"), call("4", fields=2)]
    starts = write_records(tmp_path / "calls.csv", records)
    text = rejected(tmp_path / "calls.csv", tmp_path)
    assert f"calls.csv line {starts[5]}: '-1'" in text and f"calls.csv line {starts[6]}: '4," in text


def test_a_file_of_one_line_records_is_not_scanned(tmp_path, monkeypatch):
    """Quoted fields without line ends keep the fast path (DuckDB's record numbers are the lines)."""
    scanned, scan = [], sources._record_starts

    def counted_scan(*args):
        scanned.append(args)
        return scan(*args)

    monkeypatch.setattr(sources, "_record_starts", counted_scan)
    records = [call(str(i), note=f'said "hi", {i}') for i in range(1, 50)] + [call("50", wait="-2")]
    starts = write_records(tmp_path / "calls.csv", records)
    assert f"calls.csv line {starts[-1]}: '-2'" in rejected(tmp_path / "calls.csv", tmp_path)
    assert not scanned
    write_records(tmp_path / "calls.csv", [call("1", note="two\nlines")])
    importer.run([tmp_path / "calls.csv"], mapping.load(write_mapping(tmp_path, {})), tmp_path / "store.duckdb")
    assert len(scanned) == 1


# -- 4. where the rejects file goes ------------------------------------------------------------------

def short_row_file(folder: Path) -> tuple[Path, list[int]]:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "calls.csv", write_records(folder / "calls.csv", [call("1"), call("2", fields=3), call("3")])


def test_rejects_go_beside_the_store_not_into_a_read_only_input_folder(tmp_path):
    data, starts = short_row_file(tmp_path / "exports")
    write_mapping(tmp_path, {})
    before = sorted(p.name for p in (tmp_path / "exports").iterdir())
    (tmp_path / "exports").chmod(0o555)
    try:
        result = import_cli(str(data), "--mapping", str(tmp_path / "calls.yaml"),
                            "--db", str(tmp_path / "data" / "store.duckdb"), "--skip-bad-rows")
    finally:
        (tmp_path / "exports").chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == before
    written = tmp_path / "data" / "calls.rejects.csv"
    assert str(written) in result.stdout
    with open(written, newline="", encoding="utf-8") as handle:
        assert [int(r["line"]) for r in csv.DictReader(handle)] == [starts[1]]


def test_rejects_path_chooses_where_the_file_goes(tmp_path):
    data, starts = short_row_file(tmp_path)
    target = tmp_path / "elsewhere" / "bad-rows.csv"
    result = import_cli(str(data), "--mapping", str(write_mapping(tmp_path, {})), "--db",
                        str(tmp_path / "store.duckdb"), "--skip-bad-rows", "--rejects", str(target))
    assert result.returncode == 0, result.stderr
    with open(target, newline="", encoding="utf-8") as handle:
        assert [int(r["line"]) for r in csv.DictReader(handle)] == [starts[1]]
    assert not (tmp_path / "calls.rejects.csv").exists()


@pytest.mark.parametrize("where", ["an existing folder", "under a file"])
def test_a_rejects_path_that_cannot_be_written_stops_before_anything_is_imported(tmp_path, where):
    data, _ = short_row_file(tmp_path / "in")
    target = {"an existing folder": tmp_path / "in", "under a file": data / "rejects.csv"}[where]
    db = tmp_path / "store.duckdb"
    result = import_cli(str(data), "--mapping", str(write_mapping(tmp_path, {})), "--db", str(db),
                        "--skip-bad-rows", "--rejects", str(target))
    assert result.returncode == 1
    assert f"cannot write the rejects file {target}" in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()


def test_rejects_without_skip_bad_rows_is_a_usage_error(tmp_path):
    data, _ = short_row_file(tmp_path)
    result = import_cli(str(data), "--mapping", str(write_mapping(tmp_path, {})), "--db",
                        str(tmp_path / "store.duckdb"), "--rejects", str(tmp_path / "r.csv"))
    assert result.returncode == 2 and "--rejects goes with --skip-bad-rows" in result.stderr


# -- 5. no traceback, whatever the mapping or file holds ---------------------------------------------

def assert_refused_in_a_paragraph(result, names: str) -> None:
    message = result.stderr.strip()
    assert result.returncode in (1, 2), (result.returncode, message)
    assert "Traceback" not in result.stderr and message, message
    assert names in message, message
    assert "\n\n" not in message and len(message.splitlines()) < 30 and len(message) < 4000, message


def good_calls(folder: Path) -> Path:
    path = folder / "calls.csv"
    write_records(path, [call("1"), call("2")])
    return path


HOSTILE_FILES = {
    "empty": lambda p: p.write_bytes(b""),
    "binary junk": lambda p: p.write_bytes(bytes(range(256)) * 40),
    "a folder": lambda p: p.mkdir(),
    "header only": lambda p: p.write_text(",".join(HEADER) + "\n"),
    "a 5 MB line": lambda p: p.write_text(",".join(HEADER) + "\n" + ",".join(call("1")) + "x" * 5_000_000 + "\n"),
    "UTF-16 read as UTF-8": lambda p: p.write_bytes((",".join(HEADER) + "\n" + ",".join(call("1")) + "\n")
                                                    .encode("utf-16")),
    "Latin-1 read as UTF-8": lambda p: p.write_bytes((",".join(HEADER) + "\n" + ",".join(call("1", note="Zürich"))
                                                      + "\n").encode("latin-1")),
    "NUL bytes": lambda p: p.write_bytes(b"id,note\x00\n1\x00,\x00\n"),
    "an unterminated quote": lambda p: p.write_text(",".join(HEADER) + "\n" + ",".join(call("1")) + ',"open\n'),
}


SAYS = {"empty": "the file has no data rows", "binary junk": "cannot read it as CSV", "a folder": "is a folder",
        "header only": "the file has no data rows", "a 5 MB line": "Maximum line size",
        "UTF-16 read as UTF-8": "reads column(s) the file lacks",
        "Latin-1 read as UTF-8": "not valid in the file's encoding",
        "NUL bytes": "reads column(s) the file lacks", "an unterminated quote": "reads column(s) the file lacks"}


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_a_hostile_data_file_gets_a_message_not_a_traceback(tmp_path, case):
    data = tmp_path / "calls.csv"
    HOSTILE_FILES[case](data)
    db = tmp_path / "store.duckdb"
    result = import_cli(str(data), "--mapping", str(write_mapping(tmp_path, {})), "--db", str(db))
    assert_refused_in_a_paragraph(result, "calls.csv")
    assert SAYS[case] in result.stderr
    assert not db.exists()


@pytest.mark.parametrize("name, content", [
    ("calls.xlsx", b"this is not a zip archive"),
    ("calls.parquet", b"PAR1 not really parquet"),
    ("calls.dat", b"id\n1\n"),
    ("missing.csv", None),
])
def test_a_file_that_is_not_what_its_name_says_gets_a_message(tmp_path, name, content):
    data = tmp_path / name
    if content is not None:
        data.write_bytes(content)
    result = import_cli(str(data), "--mapping", str(write_mapping(tmp_path, {})), "--db", str(tmp_path / "s.duckdb"))
    assert_refused_in_a_paragraph(result, name)


def write_cp1252_mapping(tmp_path: Path) -> Path:
    return write_mapping(tmp_path, {"encoding": "cp1252"})


def test_bytes_the_mappings_encoding_cannot_read_get_a_message(tmp_path):
    data = tmp_path / "calls.csv"
    data.write_bytes(b"id,note\n1,\x81\x8d\x8f\x90\x9d\n")   # undefined in windows-1252
    result = import_cli(str(data), "--mapping", str(write_cp1252_mapping(tmp_path)), "--db", str(tmp_path / "s.duckdb"))
    assert_refused_in_a_paragraph(result, "calls.csv")
    assert "cp1252" in result.stderr


ALIAS_BOMB = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] +
                       [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)] +
                       ["source: {missing: *a8}", "tables: {interactions: {columns: {interaction_id: *a8}}}"])
HOSTILE_MAPPINGS = {
    "a list": "- tables\n- source\n",
    "a number": "42\n",
    "nested deeply (flow)": "[" * 5000 + "]" * 5000,
    "nested deeply (block)": "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "v\n",
    "a YAML alias bomb": ALIAS_BOMB,
    "a 5 MB line": "k" * 5_000_000 + ": v\ntables: {interactions: {}}\n",
    "empty": "",
    "not YAML": "tables: {interactions: [unclosed\n",
    "not UTF-8": "description: Z\xfcrich\n",
    "a pattern that is a list": "tables: {interactions: {columns: {interaction_id: {column: id, pattern: [a]}}}}\n",
    "tables a string": "tables: interactions\n",
    "columns a list": "tables:\n  interactions:\n    columns: [id, note]\n",
}


@pytest.mark.parametrize("case", HOSTILE_MAPPINGS)
def test_a_hostile_mapping_gets_a_message_not_a_traceback(tmp_path, case):
    rules = tmp_path / "hostile.yaml"
    rules.write_bytes(HOSTILE_MAPPINGS[case].encode("latin-1" if case == "not UTF-8" else "utf-8"))
    result = import_cli(str(good_calls(tmp_path)), "--mapping", str(rules), "--db", str(tmp_path / "s.duckdb"))
    assert_refused_in_a_paragraph(result, "hostile.yaml")


@pytest.mark.parametrize("case", ["missing", "a folder"])
def test_a_mapping_that_is_not_a_file_gets_a_message(tmp_path, case):
    rules = tmp_path / "rules.yaml"
    if case == "a folder":
        rules.mkdir()
    result = import_cli(str(good_calls(tmp_path)), "--mapping", str(rules), "--db", str(tmp_path / "s.duckdb"))
    assert_refused_in_a_paragraph(result, "rules.yaml")
