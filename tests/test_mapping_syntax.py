"""The mapping keys of issue 9, each on a small export written here and imported into a new store:
conditions (drop_rows, keep_rows, when, only_if), keys from several columns, value maps, cap, bands,
scale, after, typed defaults, folding aggregates with order_by, contacts_per_row, and the mapping
mistakes each key can hold. Expected values come from the file read with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from dashboard import importer, mapping, store

TEAMS = {"rows": "distinct", "columns": {"team_name": {"constant": "Alpha"}, "site": {"constant": "Here"},
                                         "manager_name": {"constant": "Ann"}}}
TOUCHPOINTS = {"rows": "distinct", "columns": {
    "touchpoint_name": {"constant": "Billing"}, "owner_unit": {"constant": "Billing"},
    "sla_name": {"constant": "20 s"}, "sla_seconds": {"constant": 20}, "sla_measure": {"constant": "wait_s"}}}
CALL_COLUMNS = {"interaction_id": "id", "team_name": {"constant": "Alpha"}, "touchpoint_name": {"constant": "Billing"},
                "channel": {"constant": "phone"}, "queued_at": "queued", "abandoned": {"constant": False}}


def mapping_file(tmp_path: Path, columns: dict | None = None, source: dict | None = None,
                 tables: dict | None = None, **interactions) -> Path:
    """A mapping feeding interactions from a file with `id` and `queued` (plus the columns given; None
    leaves one out), one team and one touchpoint; `interactions` are keys of the interactions table."""
    fields = dict(CALL_COLUMNS)
    for key, value in (columns or {}).items():
        fields.pop(key) if value is None else fields.__setitem__(key, value)
    doc = {"source": source or {}, "tables": {"teams": TEAMS, "touchpoints": TOUCHPOINTS,
                                              "interactions": {**interactions, "columns": fields}, **(tables or {})}}
    path = tmp_path / "calls.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def data_file(tmp_path: Path, name: str, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
    return path


def records(path: Path, delimiter: str = ",") -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def import_into(tmp_path: Path, data: Path | list[Path], rules: Path) -> tuple[Path, importer.Report]:
    db = tmp_path / "store.duckdb"
    report = importer.run(data if isinstance(data, list) else [data], mapping.load(rules), db)
    return db, report


def rows_of(db: Path, sql: str) -> list[tuple]:
    with store.open_read_only(db) as con:
        return con.sql(sql).fetchall()


def rejection(tmp_path: Path, data: Path, rules: Path) -> str:
    db = tmp_path / "never.duckdb"
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run([data], mapping.load(rules), db)
    assert not db.exists()
    return rejected.value.report.text()


def import_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "import", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def stable_id(*cells: str) -> int:
    """The spec's key id: the first 62 bits of the MD5 of the cells joined with \\x1f."""
    return int.from_bytes(hashlib.md5("\x1f".join(cells).encode("utf-8")).digest()[:8], "big") >> 2


def seconds(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


# -- default: read as the store column's type -----------------------------------------------------

def test_a_default_on_a_timestamp_column_is_a_timestamp_not_a_traceback(tmp_path):
    # before issue 9 this raised polars' "casting from string to datetime is not supported"
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "answered"],
                     [["1", "2024-03-05 09:00:00", "2024-03-05 09:00:10"], ["2", "2024-03-05 10:00:00", ""]])
    rules = mapping_file(tmp_path, {"answered_at": {"column": "answered", "default": "2024-03-05 12:00:00"}})
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, "select interaction_id, answered_at from interactions order by 1") == [
        (1, dt.datetime(2024, 3, 5, 9, 0, 10)), (2, dt.datetime(2024, 3, 5, 12, 0, 0))]


@pytest.mark.parametrize("column, default, expected", [
    ("resolved", "true", True),
    ("transfers", "0", 0),
    ("exception_amount", "12.5", 12.5),
    ("decided_at", "2024-03-06 08:00:00", dt.datetime(2024, 3, 6, 8, 0)),
    ("channel", "chat", "chat"),
])
def test_defaults_of_every_type_fill_missing_cells_only(tmp_path, column, default, expected):
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "cell"],
                     [["1", "2024-03-05 09:00:00", ""], ["2", "2024-03-05 10:00:00", "?"]])
    rules = mapping_file(tmp_path, {column: {"column": "cell", "default": default}})
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, f"select {column} from interactions order by interaction_id") == [(expected,), (expected,)]


def test_a_date_default_on_a_date_column(tmp_path):
    data = data_file(tmp_path, "agents.csv", ["name", "hired", "left"],
                     [["Ann", "2023-01-02", ""], ["Bob", "2023-02-01", "2024-01-31"]])
    doc = {"tables": {"teams": TEAMS, "agents": {"columns": {
        "agent_name": "name", "team_name": {"constant": "Alpha"}, "hired_on": "hired", "authority_limit": {"constant": 0},
        "left_on": {"column": "left", "default": "2099-12-31"}}}}}
    rules = tmp_path / "agents.yaml"
    rules.write_text(yaml.safe_dump(doc))
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, "select agent_name, left_on from agents order by 1") == [
        ("Ann", dt.date(2099, 12, 31)), ("Bob", dt.date(2024, 1, 31))]


# -- conditions: one language for drop_rows, keep_rows, when and only_if ---------------------------

CELLS_HEADER = ["id", "queued", "outcome", "wait", "talk", "note"]
CELLS = [["1", "2024-03-05 09:00:00", "AGENT", "12", "0:03:10", "vip caller"],
         ["2", "2024-03-05 09:05:00", "HANG", "0", "0:00:00", ""],
         ["3", "2024-03-05 09:10:00", " Phantom ", "", "", "test call"],
         ["4", "2024-03-05 09:15:00", "hang", "45", "0:01:00", "VIP"],
         ["5", "2024-03-05 09:20:00", "", "30", "1:00:00", "retry"],
         ["6", "2024-03-05 09:25:00", "AGENT", "7.5", "0:00:20", "NA"]]


def cell(record: dict, column: str) -> str | None:
    """A cell as the importer sees it: trimmed, and '', NA, N/A and ? mean missing."""
    value = record[column].strip()
    return None if value in ("", "NA", "N/A", "?") else value


def number(text: str | None) -> float | None:
    if text is None:
        return None
    return seconds(text) if ":" in text else float(text)


CONDITIONS = [  # (condition, the same test in Python on a record)
    ({"column": "outcome", "in": ["HANG"]}, lambda r: (cell(r, "outcome") or "").lower() == "hang"),
    ({"column": "outcome", "in": ["phantom", "agent"]},
     lambda r: (cell(r, "outcome") or "").lower() in ("phantom", "agent")),
    ({"column": "outcome", "not_in": ["HANG", "AGENT"]},
     lambda r: cell(r, "outcome") is None or cell(r, "outcome").lower() not in ("hang", "agent")),
    ({"column": "note", "present": True}, lambda r: cell(r, "note") is not None),
    ({"column": "note", "present": False}, lambda r: cell(r, "note") is None),
    ({"column": "wait", "above": 10}, lambda r: number(cell(r, "wait")) is not None and number(cell(r, "wait")) > 10),
    ({"column": "wait", "below": 10}, lambda r: number(cell(r, "wait")) is not None and number(cell(r, "wait")) < 10),
    ({"column": "wait", "at_least": 12}, lambda r: number(cell(r, "wait")) is not None and number(cell(r, "wait")) >= 12),
    ({"column": "wait", "at_most": 7.5}, lambda r: number(cell(r, "wait")) is not None and number(cell(r, "wait")) <= 7.5),
    ({"column": "talk", "above": "0:01:00"},
     lambda r: number(cell(r, "talk")) is not None and number(cell(r, "talk")) > 60),
    ({"column": "note", "matches": "^(vip|VIP)"}, lambda r: bool(re.search("^(vip|VIP)", cell(r, "note") or "\n"))),
    ({"all": [{"column": "outcome", "in": ["HANG"]}, {"column": "wait", "above": 0}]},
     lambda r: (cell(r, "outcome") or "").lower() == "hang" and (number(cell(r, "wait")) or 0) > 0),
    ([{"column": "outcome", "in": ["HANG"]}, {"column": "wait", "above": 0}],   # a list means all
     lambda r: (cell(r, "outcome") or "").lower() == "hang" and (number(cell(r, "wait")) or 0) > 0),
    ({"any": [{"column": "note", "matches": "call"}, {"column": "wait", "at_least": 30}]},
     lambda r: "call" in (cell(r, "note") or "") or (number(cell(r, "wait")) or 0) >= 30),
    ({"not": {"column": "outcome", "present": True}}, lambda r: cell(r, "outcome") is None),
]


@pytest.mark.parametrize("condition, test", CONDITIONS, ids=[str(c) for c, _ in CONDITIONS])
def test_keep_rows_keeps_the_rows_meeting_each_kind_of_condition(tmp_path, condition, test):
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, CELLS)
    wanted = [int(r["id"]) for r in records(data) if test(r)]
    assert 0 < len(wanted) < len(CELLS), "each case must keep some rows and drop others"
    db, report = import_into(tmp_path, data, mapping_file(tmp_path, keep_rows=condition))
    assert [i for (i,) in rows_of(db, "select interaction_id from interactions order by 1")] == wanted
    described = mapping.load(tmp_path / "calls.yaml").tables["interactions"].row_rules[0].describe()
    assert report.dropped == {described: len(CELLS) - len(wanted)}


@pytest.mark.parametrize("condition, test", CONDITIONS[:6], ids=[str(c) for c, _ in CONDITIONS[:6]])
def test_source_drop_rows_leaves_the_matching_rows_out_of_every_table(tmp_path, condition, test):
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, CELLS)
    kept = [r for r in records(data) if not test(r)]
    surveys = {"customer_surveys": {"columns": {"interaction_id": "id", "answered_at": "queued"}}}
    rules = mapping_file(tmp_path, source={"drop_rows": condition}, tables=surveys)
    db, report = import_into(tmp_path, data, rules)
    ids = [int(r["id"]) for r in kept]
    assert [i for (i,) in rows_of(db, "select interaction_id from interactions order by 1")] == ids
    assert [i for (i,) in rows_of(db, "select interaction_id from customer_surveys order by 1")] == ids
    dropped = len(CELLS) - len(kept)
    line = f"  {dropped} row{'s' if dropped != 1 else ''} dropped by source.drop_rows ("
    assert line in report.text()


def test_the_report_names_each_rule_and_the_rows_it_dropped(tmp_path):
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, CELLS)
    rules = mapping_file(tmp_path, source={"drop_rows": {"column": "outcome", "in": ["PHANTOM"]}},
                         drop_rows={"column": "wait", "below": 10})
    phantoms = sum((cell(r, "outcome") or "").lower() == "phantom" for r in records(data))
    short = sum((cell(r, "outcome") or "").lower() != "phantom" and cell(r, "wait") is not None
                and float(cell(r, "wait")) < 10 for r in records(data))
    result = import_cli(str(data), "--mapping", str(rules), "--db", str(tmp_path / "store.duckdb"))
    assert result.returncode == 0, result.stderr
    assert f"{phantoms} row dropped by source.drop_rows (outcome in PHANTOM)" in result.stdout
    assert f"{short} rows dropped by tables.interactions.drop_rows (wait below 10)" in result.stdout


def test_a_rule_that_drops_nothing_says_0_rows(tmp_path):
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, CELLS)
    rules = mapping_file(tmp_path, source={"drop_rows": {"column": "outcome", "in": ["PHANTOMS"]}})
    _, report = import_into(tmp_path, data, rules)
    assert "0 rows dropped by source.drop_rows (outcome in PHANTOMS)" in report.text()


def test_where_present_is_keep_rows_present(tmp_path):
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, CELLS)
    db, report = import_into(tmp_path, data, mapping_file(tmp_path, where_present="note"))
    wanted = [int(r["id"]) for r in records(data) if cell(r, "note") is not None]
    assert [i for (i,) in rows_of(db, "select interaction_id from interactions order by 1")] == wanted
    assert report.dropped == {"tables.interactions.where_present (keeps only note present)": len(CELLS) - len(wanted)}


def test_a_cell_a_numeric_test_cannot_read_is_a_problem_not_a_silent_false(tmp_path):
    rows = [list(r) for r in CELLS]
    rows[1][3] = "soon"
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, rows)
    text = rejection(tmp_path, data, mapping_file(tmp_path, source={"drop_rows": {"column": "wait", "above": 40}}))
    assert "column 'wait' (source.drop_rows): cannot read as a number for the condition wait above 40 - 1 row" in text
    assert "calls.csv line 3: 'soon'" in text


def test_when_gives_a_boolean_and_only_if_blanks_a_value_where_it_does_not_hold(tmp_path):
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, CELLS)
    rules = mapping_file(tmp_path, {
        "abandoned": {"when": {"all": [{"column": "outcome", "in": ["HANG"]}, {"column": "wait", "above": 0}]}},
        "wait_s": {"column": "wait", "pattern": r"^(\d+)", "only_if": {"column": "outcome", "in": ["AGENT", "HANG"]}},
        "transfers": {"column": "wait", "pattern": r"^(\d+)", "default": "99",
                      "only_if": {"column": "outcome", "in": ["AGENT"]}}})
    db, _ = import_into(tmp_path, data, rules)
    expected = []
    for r in records(data):
        outcome, wait = (cell(r, "outcome") or "").lower(), cell(r, "wait")
        whole = None if wait is None else int(re.match(r"\d+", wait)[0])
        expected.append((int(r["id"]), outcome == "hang" and float(wait or 0) > 0,
                         whole if outcome in ("agent", "hang") else None,
                         whole if outcome == "agent" and whole is not None else 99))
    assert rows_of(db, "select interaction_id, abandoned, wait_s, transfers from interactions order by 1") == expected
