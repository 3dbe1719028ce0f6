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


def test_a_rejection_also_says_which_rows_the_mapping_left_out(tmp_path):
    rows = [list(r) for r in STAFFED]
    rows[0][1] = "yesterday"   # a problem, so the import is refused
    data = data_file(tmp_path, "calls.csv", STAFFED_HEADER, rows)
    rules = staffed_mapping(tmp_path, drop_rows={"column": "id", "in": ["5"]})
    text = rejection(tmp_path, data, rules)
    assert "calls.csv line 2: 'yesterday'" in text
    nameless = sum(cell(r, "agent") is None for r in records(data))
    lines = text.splitlines()
    assert "  1 row dropped by tables.interactions.drop_rows (id in 5)" in lines
    assert f"  {nameless} rows name no agent_name: no agents row from them" in lines


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


# -- an ACD log: a key from two columns, phantom rows, a value map, times crossing midnight -------

ACD_HEADER = ["vru+line", "call_id", "date", "q_start", "ser_start", "ser_exit", "outcome", "media", "q_time", "ser_time"]
ACD = [["AA0101", "33116", "990101", "0:00:36", "0:03:09", "0:06:49", "AGENT", "Voice", "153", "0:03:40"],
       ["AA0101", "33117", "990101", "23:57:10", "23:58:00", "0:02:30", "AGENT", "Chat", "50", "0:04:30"],
       ["AA0102", "33116", "990101", "0:10:05", "0:00:00", "0:00:00", "HANG", "Voice", "35", "0:00:00"],
       ["AA0103", "33118", "990101", "1:00:00", "0:00:00", "0:00:00", "HANG", "voice", "0", "0:00:00"],
       ["AA0104", "33119", "990101", "2:00:00", "0:00:00", "0:00:00", "PHANTOM", "Voice", "0", "0:00:00"],
       ["AA0105", "33120", "990102", "23:59:30", "0:00:20", "0:01:20", "AGENT", "E-mail", "50", "0:01:00"],
       ["AA0106", "33121", "990102", "3:00:00", "0:00:00", "0:00:00", "PHANTOM", "Voice", "0", "0:00:00"]]

ACD_COLUMNS = {
    "interaction_id": {"columns": ["vru+line", "call_id"]},
    "channel": {"column": "media", "map": {"Voice": "phone", "Chat": "chat"}, "otherwise": "messaging"},
    "queued_at": {"date": "date", "time": "q_start", "date_format": "%y%m%d"},
    "answered_at": {"date": "date", "time": "ser_start", "date_format": "%y%m%d", "after": "queued_at",
                    "only_if": {"column": "outcome", "in": ["AGENT"]}},
    "ended_at": {"date": "date", "time": "ser_exit", "date_format": "%y%m%d", "after": "answered_at",
                 "only_if": {"column": "outcome", "in": ["AGENT"]}},
    "abandoned": {"when": {"all": [{"column": "outcome", "in": ["HANG"]}, {"column": "q_time", "above": 0}]}},
    "wait_s": "q_time",
    "handle_s": {"column": "ser_time", "duration": "hms", "only_if": {"column": "outcome", "in": ["AGENT"]}},
}


def acd_expected(path: Path) -> list[tuple]:
    """The ACD file's calls as the mapping describes them, worked out with datetime from the csv rows."""
    expected = []
    for r in records(path, "\t"):
        if r["outcome"] == "PHANTOM":
            continue
        day = dt.datetime.strptime(r["date"], "%y%m%d")
        queued = day + dt.timedelta(seconds=seconds(r["q_start"]))
        answered = ended = handle = None
        if r["outcome"] == "AGENT":
            answered = day + dt.timedelta(seconds=seconds(r["ser_start"]))
            answered += dt.timedelta(days=1) if answered < queued else dt.timedelta(0)
            ended = day + dt.timedelta(seconds=seconds(r["ser_exit"]))
            ended += dt.timedelta(days=1) if ended < answered else dt.timedelta(0)
            handle = seconds(r["ser_time"])
        channel = {"voice": "phone", "chat": "chat"}.get(r["media"].lower(), "messaging")
        expected.append((stable_id(r["vru+line"], r["call_id"]), channel, queued, answered, ended,
                         r["outcome"] == "HANG" and int(r["q_time"]) > 0, int(r["q_time"]), handle))
    return sorted(expected)


def test_an_acd_log_imports_without_editing_the_file(tmp_path):
    data = data_file(tmp_path, "acd.tsv", ACD_HEADER, ACD, delimiter="\t")
    rules = mapping_file(tmp_path, {**ACD_COLUMNS, "interaction_id": ACD_COLUMNS["interaction_id"]},
                         source={"format": "tsv", "drop_rows": {"column": "outcome", "in": ["PHANTOM"]}})
    db, report = import_into(tmp_path, data, rules)
    assert rows_of(db, "select interaction_id, channel, queued_at, answered_at, ended_at, abandoned, wait_s, handle_s "
                       "from interactions order by 1") == acd_expected(data)
    phantoms = sum(r["outcome"] == "PHANTOM" for r in records(data, "\t"))
    assert f"{phantoms} rows dropped by source.drop_rows (outcome in PHANTOM)" in report.text()
    # the call id repeats across lines (33116 twice); with the line it is a key, and no duplicate
    assert len({r["call_id"] for r in records(data, "\t")}) < len(ACD)


def test_a_key_from_several_columns_is_the_same_id_in_another_import(tmp_path):
    data = data_file(tmp_path, "acd.tsv", ACD_HEADER, ACD, delimiter="\t")
    calls = mapping_file(tmp_path, ACD_COLUMNS, source={"format": "tsv",
                                                        "drop_rows": {"column": "outcome", "in": ["PHANTOM"]}})
    db, _ = import_into(tmp_path, data, calls)
    answers = data_file(tmp_path, "survey.csv", ["line", "call", "when", "score"],
                        [["AA0101", "33116", "1999-01-01 00:10:00", "4"], ["AA0102", "33116", "1999-01-01 00:20:00", "2"]])
    doc = {"tables": {"customer_surveys": {"columns": {
        "interaction_id": {"columns": ["line", "call"]}, "answered_at": "when", "csat": "score"}}}}
    survey_rules = tmp_path / "survey.yaml"
    survey_rules.write_text(yaml.safe_dump(doc))
    report = importer.run([answers], mapping.load(survey_rules), db, mode="append")
    assert not report.warnings   # every answer points at a call in the store
    expected = sorted((stable_id(r["line"], r["call"]), int(r["score"])) for r in records(answers))
    assert rows_of(db, "select s.interaction_id, s.csat from customer_surveys as s join interactions "
                       "using (interaction_id) order by 1") == expected


def test_a_key_from_one_text_column_is_a_stable_id(tmp_path):
    # a request number such as 18-00269879 has no digits that are unique alone (they repeat across years)
    data = data_file(tmp_path, "requests.csv", ["id", "queued", "score"],
                     [["18-00269879", "2024-03-05 09:00:00", "4"], ["19-00269879", "2024-03-05 09:01:00", "2"],
                      ["18-00000001", "2024-03-05 09:02:00", "5"]])
    surveys = {"customer_surveys": {"columns": {"interaction_id": {"columns": ["id"]}, "answered_at": "queued",
                                                "csat": "score"}}}
    db, _ = import_into(tmp_path, data, mapping_file(tmp_path, {"interaction_id": {"columns": ["id"]}}, tables=surveys))
    expected = sorted((stable_id(r["id"]), int(r["score"])) for r in records(data))
    assert rows_of(db, "select interaction_id, csat from interactions join customer_surveys using (interaction_id) "
                       "order by 1") == expected


def test_a_text_key_from_several_columns_joins_the_cells(tmp_path):
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "queue", "skill"],
                     [["1", "2024-03-05 09:00:00", "Billing", "EN"], ["2", "2024-03-05 09:01:00", "Billing", "DE"],
                      ["3", "2024-03-05 09:02:00", "Sales", "EN"], ["4", "2024-03-05 09:03:00", "Sales", ""]])
    touchpoints = {"rows": "distinct", "keep_rows": {"all": [{"column": "queue", "present": True},
                                                             {"column": "skill", "present": True}]},
                   "columns": {**TOUCHPOINTS["columns"], "touchpoint_name": {"columns": ["queue", "skill"]}}}
    rules = mapping_file(tmp_path, {"touchpoint_name": {"columns": ["queue", "skill"]}},
                         tables={"touchpoints": touchpoints})
    # a row missing one of the cells has no key, and interactions need a touchpoint
    text = rejection(tmp_path, data, rules)
    assert "column 'queue' + 'skill' (interactions.touchpoint_name): missing value (the store needs one)" in text
    assert "calls.csv line 5" in text
    rules = mapping_file(tmp_path, {"touchpoint_name": {"columns": ["queue", "skill"]}},
                         tables={"touchpoints": touchpoints}, keep_rows={"column": "skill", "present": True})
    db, _ = import_into(tmp_path, data, rules)
    expected = [(int(r["id"]), f"{r['queue']} / {r['skill']}") for r in records(data) if r["skill"]]
    assert rows_of(db, "select interaction_id, touchpoint_name from interactions join touchpoints "
                       "using (touchpoint_id) order by 1") == expected


def test_a_value_in_no_key_of_a_map_is_a_problem_naming_the_value_and_the_keys(tmp_path):
    data = data_file(tmp_path, "acd.tsv", ACD_HEADER, ACD, delimiter="\t")
    columns = {**ACD_COLUMNS, "channel": {"column": "media", "map": {"Voice": "phone", "Chat": "chat"}}}
    rules = mapping_file(tmp_path, columns, source={"format": "tsv"})
    text = rejection(tmp_path, data, rules)
    assert "column 'media' (interactions.channel): not a key of the map (Voice, Chat) and no otherwise - 1 row" in text
    line = 2 + next(i for i, r in enumerate(ACD) if r[7] == "E-mail")
    assert f"acd.tsv line {line}: 'E-mail'" in text


@pytest.mark.parametrize("column, words, cells, expected", [
    ("abandoned", {"HANG": "true", "AGENT": "false"}, ["hang", " AGENT "], [True, False]),
    ("transfers", {"none": "0", "one": "1", "many": "5"}, ["None", "MANY"], [0, 5]),
    ("exception_amount", {"small": "9.5", "big": "100"}, ["small", "Big"], [9.5, 100.0]),
    ("decided_at", {"same day": "2024-03-05 18:00:00"}, ["Same Day", "same day"],
     [dt.datetime(2024, 3, 5, 18), dt.datetime(2024, 3, 5, 18)]),
    ("channel", {"V": "phone", "C": "chat"}, ["v", "c"], ["phone", "chat"]),
])
def test_a_value_map_works_for_every_type(tmp_path, column, words, cells, expected):
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "cell"],
                     [[str(i), f"2024-03-05 09:0{i}:00", c] for i, c in enumerate(cells, start=1)])
    db, _ = import_into(tmp_path, data, mapping_file(tmp_path, {column: {"column": "cell", "map": words}}))
    assert [v for (v,) in rows_of(db, f"select {column} from interactions order by interaction_id")] == expected


def test_a_map_value_left_empty_means_missing(tmp_path):
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "cell"],
                     [["1", "2024-03-05 09:00:00", "n/k"], ["2", "2024-03-05 09:01:00", "two"]])
    rules = mapping_file(tmp_path, {"transfers": {"column": "cell", "map": {"n/k": "", "two": "2"}}})
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, "select transfers from interactions order by interaction_id") == [(None,), (2,)]


# -- numbers: cap, bands, scale --------------------------------------------------------------------

def counts_file(tmp_path: Path, values: list[str]) -> Path:
    return data_file(tmp_path, "calls.csv", ["id", "queued", "n"],
                     [[str(i), "2024-03-05 09:00:00", v] for i, v in enumerate(values, start=1)])


def stored_depths(tmp_path: Path, values: list[str], depth: dict) -> list:
    db, _ = import_into(tmp_path, counts_file(tmp_path, values), mapping_file(tmp_path, {"escalation_depth": depth}))
    return [v for (v,) in rows_of(db, "select escalation_depth from interactions order by interaction_id")]


def test_cap_clips_at_the_top(tmp_path):
    values = ["0", "1", "2", "3", "4", "11", ""]
    assert stored_depths(tmp_path, values, {"column": "n", "cap": 3}) == [
        None if v == "" else min(int(v), 3) for v in values]


def test_cap_low_and_high(tmp_path):
    data = counts_file(tmp_path, ["-4", "0", "2", "9"])
    db, _ = import_into(tmp_path, data, mapping_file(tmp_path, {"transfers": {"column": "n", "cap": [0, 5]}}))
    assert [v for (v,) in rows_of(db, "select transfers from interactions order by 1")] == [
        max(0, min(int(r["n"]), 5)) for r in records(data)]


def test_bands_turn_counts_into_levels(tmp_path):
    values = ["0", "1", "2", "3", "4", "17", ""]
    bands = {"0": 0, "1": 1, "2-3": 2, "4+": 3}   # the issue's reassignments 0..n -> depth 0..3
    level = {"0": 0, "1": 1, "2": 2, "3": 2}
    assert stored_depths(tmp_path, values, {"column": "n", "bands": bands}) == [
        None if v == "" else level.get(v, 3) for v in values]


def test_a_number_in_no_band_is_a_problem(tmp_path):
    data = counts_file(tmp_path, ["1", "2.5", "0"])
    rules = mapping_file(tmp_path, {"escalation_depth": {"column": "n", "bands": {"1-2": 1, "3+": 2}}})
    text = rejection(tmp_path, data, rules)
    assert "column 'n' (interactions.escalation_depth): in no band (1-2, 3+) - 2 rows" in text
    assert "calls.csv line 3: '2.5'" in text and "calls.csv line 4: '0'" in text


def test_bands_of_durations_give_text(tmp_path):
    data = counts_file(tmp_path, ["0:00:40", "0:05:00", "1:10:00"])
    bands = {"0-59": "quick", "60-3599": "normal", "3600+": "long"}
    rules = mapping_file(tmp_path, {"channel": {"column": "n", "duration": "hms", "bands": bands}})
    db, _ = import_into(tmp_path, data, rules)
    expected = ["quick" if seconds(v) < 60 else "normal" if seconds(v) < 3600 else "long"
                for v in (r["n"] for r in records(data))]
    assert [v for (v,) in rows_of(db, "select channel from interactions order by interaction_id")] == expected


def hr_mapping(tmp_path: Path, satisfaction: dict) -> Path:
    doc = {"tables": {
        "teams": TEAMS,
        "agents": {"rows": "distinct", "columns": {"agent_name": "name", "team_name": {"constant": "Alpha"},
                                                   "hired_on": {"column": "date", "aggregate": "min"},
                                                   "authority_limit": {"constant": 0}}},
        "agent_surveys": {"columns": {"agent_name": "name", "surveyed_at": "date", "milestone": {"constant": "pulse"},
                                      "satisfaction": satisfaction}}}}
    path = tmp_path / "hr.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def hr_file(tmp_path: Path, answers: list[str]) -> Path:
    return data_file(tmp_path, "hr.csv", ["name", "date", "sat"],
                     [[f"Agent {i}", "2024-02-01", a] for i, a in enumerate(answers)])


def test_a_1_to_4_scale_is_rescaled_onto_the_stores_1_to_5(tmp_path):
    data = hr_file(tmp_path, ["1", "2", "3", "4", "", "4"])
    db, _ = import_into(tmp_path, data, hr_mapping(tmp_path, {"column": "sat", "scale": "1-4"}))
    spec = {"1": 1, "2": 2, "3": 4, "4": 5}   # the spec's table: 1->1, 2->2.33->2, 3->3.67->4, 4->5
    assert rows_of(db, "select a.agent_name, s.satisfaction from agent_surveys s join agents a using (agent_id) "
                       "order by 1") == sorted((r["name"], spec.get(r["sat"])) for r in records(data))


def test_an_answer_outside_the_declared_scale_is_a_problem(tmp_path):
    text = rejection(tmp_path, hr_file(tmp_path, ["1", "5", "3"]), hr_mapping(tmp_path, {"column": "sat", "scale": "1-4"}))
    assert "column 'sat' (agent_surveys.satisfaction): outside the declared scale 1-4 - 1 row" in text
    assert "hr.csv line 3: '5'" in text


def test_a_scale_that_never_reaches_the_top_is_refused_unless_declared(tmp_path):
    answers = [str(1 + i % 4) for i in range(30)]   # 1-4 only, 30 answers
    data = hr_file(tmp_path, answers)
    db = tmp_path / "store.duckdb"
    importer.run([data], mapping.load(hr_mapping(tmp_path, {"column": "sat", "scale": "1-5"})), db)
    before = hashlib.sha256(Path(store.version(db)[0]).read_bytes()).hexdigest()
    result = import_cli(str(data), "--mapping", str(hr_mapping(tmp_path, "sat")), "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ("hr.yaml: tables.agent_surveys.columns.satisfaction: answers in hr.csv span 1-4 only, the store's "
            "satisfaction is 1-5: declare `scale: 1-4` to rescale, or `scale: 1-5` if the top answer simply never "
            "occurs") in result.stderr
    assert hashlib.sha256(Path(store.version(db)[0]).read_bytes()).hexdigest() == before
    # `scale: 1-5` said the top answer simply never occurred: the answers are kept as they are
    assert sorted(v for (v,) in rows_of(db, "select satisfaction from agent_surveys")) == sorted(int(a) for a in answers)


def test_fewer_than_30_answers_are_not_judged_by_their_top(tmp_path):
    answers = [str(1 + i % 4) for i in range(29)]
    db, _ = import_into(tmp_path, hr_file(tmp_path, answers), hr_mapping(tmp_path, "sat"))
    assert sorted(v for (v,) in rows_of(db, "select satisfaction from agent_surveys")) == sorted(int(a) for a in answers)


def test_an_nps_scale_of_0_to_5_is_rescaled_onto_0_to_10(tmp_path):
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "nps"],
                     [[str(i), "2024-03-05 09:00:00", str(i)] for i in range(6)])
    surveys = {"customer_surveys": {"columns": {"interaction_id": "id", "answered_at": "queued",
                                                "nps": {"column": "nps", "scale": "0-5"}}}}
    db, _ = import_into(tmp_path, data, mapping_file(tmp_path, tables=surveys))
    assert rows_of(db, "select interaction_id, nps from customer_surveys order by 1") == [
        (int(r["id"]), 2 * int(r["nps"])) for r in records(data)]


# -- an event log folded into one contact per incident ---------------------------------------------

EVENTS_HEADER = ["incident", "at", "state", "assigned_to", "media", "work"]
EVENTS = [["INC1", "2024-03-05 09:00:00", "New", "", "", "0"],
          ["INC1", "2024-03-05 09:30:00", "Reassigned", "Ann", "Voice", "300"],
          ["INC1", "2024-03-05 10:00:00", "Resolved", "Ann", "", "60"],
          ["INC1", "2024-03-05 09:10:00", "Assigned", "Bob", "", "120"],   # entered late: earlier than the two above
          ["INC2", "2024-03-06 08:00:00", "New", "", "Chat", ""],
          ["INC2", "2024-03-06 08:20:00", "Reassigned", "Cid", "", "200"],
          ["INC2", "2024-03-06 08:25:00", "Reassigned", "Ann", "", ""]]

EVENT_COLUMNS = {
    "interaction_id": {"column": "incident", "pattern": r"INC(\d+)"},
    "queued_at": {"column": "at", "aggregate": "min"},
    "ended_at": {"column": "at", "aggregate": "max"},
    "agent_name": {"column": "assigned_to", "aggregate": "last"},
    "channel": {"column": "media", "map": {"Voice": "phone", "Chat": "chat"}, "aggregate": "last"},
    "transfers": {"aggregate": "count", "only_if": {"column": "state", "in": ["Reassigned"]}},
    "escalation_depth": {"column": "assigned_to", "aggregate": "count_distinct"},
    "handle_s": {"column": "work", "aggregate": "sum"},
    "resolution_s": {"column": "work", "aggregate": "count"},
}


def events_mapping(tmp_path: Path, **interactions) -> Path:
    agents = {"rows": "distinct", "keep_rows": {"column": "assigned_to", "present": True}, "columns": {
        "agent_name": "assigned_to", "team_name": {"constant": "Alpha"},
        "hired_on": {"column": "at", "pattern": r"^(\S+)", "aggregate": "min"}, "authority_limit": {"constant": 0}}}
    return mapping_file(tmp_path, EVENT_COLUMNS, tables={"agents": agents},
                        **{"rows": "distinct", "order_by": "at", **interactions})


def folded(path: Path, order) -> list[tuple]:
    """Each incident's contact, worked out from the csv rows in Python."""
    by_incident: dict[str, list[dict]] = {}
    for r in sorted(records(path), key=order):
        by_incident.setdefault(r["incident"], []).append(r)
    result = []
    for incident, rows in by_incident.items():
        times = [dt.datetime.fromisoformat(r["at"]) for r in rows]
        agents = [r["assigned_to"] for r in rows if r["assigned_to"]]
        media = [r["media"] for r in rows if r["media"]]
        work = [int(r["work"]) for r in rows if r["work"]]
        result.append((int(incident[3:]), min(times), max(times), agents[-1],
                       {"Voice": "phone", "Chat": "chat"}[media[-1]],
                       sum(r["state"] == "Reassigned" for r in rows), len(set(agents)), sum(work), len(work)))
    return sorted(result)


FOLDED_SQL = """select i.interaction_id, i.queued_at, i.ended_at, a.agent_name, i.channel, i.transfers,
                       i.escalation_depth, i.handle_s, i.resolution_s
                from interactions as i join agents as a using (agent_id) order by 1"""


# a source column, a store column of the table, or the long form (a source column)
@pytest.mark.parametrize("order_by", ["at", "queued_at", {"column": "at"}])
def test_an_event_log_folds_into_one_contact_per_incident_in_time_order(tmp_path, order_by):
    data = data_file(tmp_path, "events.csv", EVENTS_HEADER, EVENTS)
    db, _ = import_into(tmp_path, data, events_mapping(tmp_path, order_by=order_by))
    assert rows_of(db, FOLDED_SQL) == folded(data, order=lambda r: r["at"])
    assert rows_of(db, "select agent_name from interactions join agents using (agent_id) "
                       "where interaction_id = 1") == [("Ann",)]   # Bob's row was entered last, but happened earlier


def test_without_order_by_rows_fold_in_file_order(tmp_path):
    data = data_file(tmp_path, "events.csv", EVENTS_HEADER, EVENTS)
    rules = events_mapping(tmp_path)
    doc = yaml.safe_load(rules.read_text())
    del doc["tables"]["interactions"]["order_by"]
    rules.write_text(yaml.safe_dump(doc))
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, FOLDED_SQL) == folded(data, order=lambda r: 0)   # sorted() is stable: file order
    assert rows_of(db, "select agent_name from interactions join agents using (agent_id) "
                       "where interaction_id = 1") == [("Bob",)]


def test_a_value_the_store_needs_may_come_from_any_row_of_the_key(tmp_path):
    rows = [*EVENTS, ["INC3", "2024-03-07 10:00:00", "New", "Ann", "", ""],
            ["INC3", "2024-03-07 10:05:00", "Assigned", "Ann", "", ""]]
    data = data_file(tmp_path, "events.csv", EVENTS_HEADER, rows)
    text = rejection(tmp_path, data, events_mapping(tmp_path))
    # INC1's first row has no media either, but a later row has: only INC3 lacks a channel, at its first line
    first = 2 + next(i for i, r in enumerate(rows) if r[0] == "INC3")
    assert ("column 'media' (interactions.channel): missing value (the store needs one) in every row of its key"
            " - 1 row") in text
    assert f"events.csv line {first}: '3'" in text


def test_a_sum_of_no_values_is_missing_not_zero(tmp_path):
    rows = [["INC7", "2024-03-07 10:00:00", "New", "Ann", "Voice", ""]]
    data = data_file(tmp_path, "events.csv", EVENTS_HEADER, rows)
    db, _ = import_into(tmp_path, data, events_mapping(tmp_path))
    assert rows_of(db, "select handle_s, resolution_s, transfers from interactions") == [(None, 0, 0)]


# -- a distinct table's rows that name no key: no row of that table, counted, not refused -----------

STAFFED_HEADER = ["id", "queued", "agent", "started"]
STAFFED = [["1", "2024-03-05 09:00:00", "Ann", "2024-01-02"],
           ["2", "2024-03-05 09:01:00", "", "soon"],         # nobody took it: its start date is no agent's
           ["3", "2024-03-05 09:02:00", "Bob", "2024-01-03"],
           ["4", "2024-03-05 09:03:00", "NA", ""],
           ["5", "2024-03-05 09:04:00", "Ann", "2024-01-01"]]


def staffed_mapping(tmp_path: Path, agent_name="agent", **interactions) -> Path:
    agents = {"rows": "distinct", "columns": {"agent_name": agent_name, "team_name": {"constant": "Alpha"},
                                              "hired_on": {"column": "started", "aggregate": "min"},
                                              "authority_limit": {"constant": 0}}}
    return mapping_file(tmp_path, {"agent_name": agent_name}, tables={"agents": agents}, **interactions)


def test_rows_that_name_no_agent_make_no_agent_row_and_are_counted(tmp_path):
    data = data_file(tmp_path, "calls.csv", STAFFED_HEADER, STAFFED)
    db, report = import_into(tmp_path, data, staffed_mapping(tmp_path))
    hired: dict[str, dt.date] = {}
    for r in records(data):
        if cell(r, "agent"):
            day = dt.date.fromisoformat(r["started"])
            hired[r["agent"]] = min(hired.get(r["agent"], day), day)
    assert dict(rows_of(db, "select agent_name, hired_on from agents")) == hired
    assert rows_of(db, "select interaction_id, agent_name from interactions left join agents using (agent_id) "
                       "order by 1") == [(int(r["id"]), cell(r, "agent")) for r in records(data)]
    nameless = sum(cell(r, "agent") is None for r in records(data))
    assert f"  {nameless} rows name no agent_name: no agents row from them" in report.text().splitlines()
    assert "dropped by" not in report.text()


def test_a_key_cell_that_cannot_be_read_is_still_a_problem(tmp_path):
    # present but not a name the pattern reads: a mistake in the file or the mapping, not "no agent"
    rows = [*STAFFED, ["6", "2024-03-05 09:05:00", "Team lead", "2024-01-04"]]
    data = data_file(tmp_path, "calls.csv", STAFFED_HEADER, rows)
    rules = staffed_mapping(tmp_path, agent_name={"column": "agent", "pattern": r"^(Ann|Bob)$"})
    text = rejection(tmp_path, data, rules)
    assert "column 'agent' (agents.agent_name): does not match the pattern ^(Ann|Bob)$, or is not text - 1 row" in text
    assert "calls.csv line 7: 'Team lead'" in text
    assert "'soon'" not in text   # the row without an agent makes no agent row: its date is not read for one


# -- order_by on text dates: read with a format, or refused; never sorted as words ------------------

DAY_FIRST = "%d/%m/%Y %H:%M"
# INC1's last update is Ann's on the 10th; as words "10/3/..." sorts before "9/3/...", which would make
# Bob's the last. INC2's rows are in time order whichever way they are read.
UPDATES = [["INC1", "9/3/2024 23:50", "New", "", "Voice"],
           ["INC1", "10/3/2024 08:00", "Resolved", "Ann", ""],
           ["INC1", "9/3/2024 23:55", "Assigned", "Bob", ""],
           ["INC2", "11/3/2024 08:00", "New", "Cid", "Chat"],
           ["INC2", "11/3/2024 09:00", "Assigned", "Dan", ""]]


def updates_mapping(tmp_path: Path, order_by, at_format: str | None = DAY_FIRST, at_pattern: str = "(.*)") -> Path:
    """Incidents folded in order_by's order; queued_at is the first `at`, read with at_pattern and at_format
    (at_format None: `at` as it is, for typed cells)."""
    read_at = {"pattern": at_pattern, "format": at_format} if at_format else {}
    columns = {"interaction_id": {"column": "incident", "pattern": r"INC(\d+)"},
               "queued_at": {"column": "at", **read_at, "aggregate": "min"},
               "agent_name": {"column": "assigned_to", "aggregate": "last"},
               "channel": {"column": "media", "map": {"Voice": "phone", "Chat": "chat"}}}
    agents = {"rows": "distinct", "keep_rows": {"column": "assigned_to", "present": True}, "columns": {
        "agent_name": "assigned_to", "team_name": {"constant": "Alpha"}, "hired_on": {"constant": "2024-01-01"},
        "authority_limit": {"constant": 0}}}
    return mapping_file(tmp_path, columns, tables={"agents": agents}, rows="distinct", order_by=order_by)


def last_agents(path: Path, when) -> dict[int, str]:
    """Each incident's last named agent, the rows sorted by `when` in Python."""
    last = {}
    for r in sorted(records(path), key=when):
        if r["assigned_to"]:
            last[int(r["incident"][3:])] = r["assigned_to"]
    return last


def test_order_by_text_dates_with_their_format_folds_in_time_order(tmp_path):
    data = data_file(tmp_path, "updates.csv", ["incident", "at", "state", "assigned_to", "media"], UPDATES)
    rules = updates_mapping(tmp_path, {"column": "at", "format": DAY_FIRST})
    db, _ = import_into(tmp_path, data, rules)
    in_time = last_agents(data, lambda r: dt.datetime.strptime(r["at"], DAY_FIRST))
    assert in_time != last_agents(data, lambda r: r["at"])   # the sample tells time order from word order
    assert dict(rows_of(db, "select interaction_id, agent_name from interactions join agents using (agent_id)")) \
        == in_time


def test_order_by_text_that_is_neither_numbers_nor_iso_dates_is_refused(tmp_path):
    data = data_file(tmp_path, "updates.csv", ["incident", "at", "state", "assigned_to", "media"], UPDATES)
    rules = updates_mapping(tmp_path, "at")
    db = tmp_path / "store.duckdb"
    with pytest.raises(mapping.MappingError) as refused:
        importer.run([data], mapping.load(rules), db)
    assert str(refused.value).startswith("calls.yaml: tables.interactions.order_by: ")
    message = refused.value.message
    assert "'at'" in message and "updates.csv" in message and "'9/3/2024 23:50'" in message
    assert "order_by: {column: at, format:" in message
    result = import_cli(str(data), "--mapping", str(rules), "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "tables.interactions.order_by" in result.stderr
    assert not db.exists()


def test_order_by_iso_text_reads_as_times_not_words(tmp_path):
    # as words, '2024-03-05 10:00' sorts before '2024-03-05T09:30' (a space before a T): Bob would be last
    rows = [["INC1", "2024-03-05T09:30:00", "New", "Ann", "Voice"], ["INC1", "2024-03-05 10:00", "Assigned", "Bob", ""],
            ["INC1", "2024-03-05", "New", "Cid", ""]]
    data = data_file(tmp_path, "updates.csv", ["incident", "at", "state", "assigned_to", "media"], rows)
    db, _ = import_into(tmp_path, data, updates_mapping(tmp_path, "at", at_format="%Y-%m-%d",
                                                                at_pattern=r"^(\S{10})"))
    in_time = last_agents(data, lambda r: dt.datetime.fromisoformat(r["at"]))
    assert in_time != last_agents(data, lambda r: r["at"])
    assert dict(rows_of(db, "select interaction_id, agent_name from interactions join agents using (agent_id)")) \
        == in_time


@pytest.mark.parametrize("order_by", ["at", {"column": "at", "format": DAY_FIRST}])
def test_order_by_typed_times_of_parquet_need_no_format_and_take_one(tmp_path, order_by):
    import polars as pl

    data = data_file(tmp_path, "updates.csv", ["incident", "at", "state", "assigned_to", "media"], UPDATES)
    typed = pl.read_csv(data).with_columns(pl.col("at").str.strptime(pl.Datetime("us"), DAY_FIRST))
    typed.write_parquet(tmp_path / "updates.parquet")   # `at` is a timestamp there, not text
    db, _ = import_into(tmp_path, tmp_path / "updates.parquet", updates_mapping(tmp_path, order_by, at_format=None))
    assert dict(rows_of(db, "select interaction_id, agent_name from interactions join agents using (agent_id)")) \
        == last_agents(data, lambda r: dt.datetime.strptime(r["at"], DAY_FIRST))


def test_order_by_numbers_mixed_with_dates_is_refused(tmp_path):
    rows = [list(r) for r in UPDATES]
    for r, at in zip(rows, ["1", "2", "2024-03-10", "3", "4"]):
        r[1] = at
    data = data_file(tmp_path, "updates.csv", ["incident", "at", "state", "assigned_to", "media"], rows)
    with pytest.raises(mapping.MappingError) as refused:
        importer.run([data], mapping.load(updates_mapping(tmp_path, "at", at_format=None)), tmp_path / "s.duckdb")
    assert "holds neither only numbers nor only ISO dates ('2024-03-10')" in refused.value.message


def test_an_order_by_cell_its_format_cannot_read_is_a_problem(tmp_path):
    rows = [list(r) for r in UPDATES]
    rows[3][1] = "11/3/2024"   # no time
    data = data_file(tmp_path, "updates.csv", ["incident", "at", "state", "assigned_to", "media"], rows)
    rules = updates_mapping(tmp_path, {"column": "at", "format": DAY_FIRST}, at_format="%d/%m/%Y",
                            at_pattern=r"^(\S+)")
    text = rejection(tmp_path, data, rules)
    assert f"column 'at' (tables.interactions.order_by): cannot read as a date and time in the format {DAY_FIRST}" \
           f" - 1 row" in text
    assert "updates.csv line 5: '11/3/2024'" in text


# -- aggregated exports: refused as contacts (they import as contact_intervals) -----------------------------------------------------------

def test_an_aggregated_export_is_refused_and_the_store_is_unchanged(tmp_path):
    days = data_file(tmp_path, "daily.csv", ["id", "queued", "calls"],
                     [["1", "2024-03-05 00:00:00", "412"], ["2", "2024-03-06 00:00:00", "388"]])
    db = tmp_path / "store.duckdb"
    importer.run([days], mapping.load(mapping_file(tmp_path)), db)
    before = hashlib.sha256(Path(store.version(db)[0]).read_bytes()).hexdigest()
    rules = mapping_file(tmp_path, contacts_per_row="calls")
    with pytest.raises(importer.AggregatedRows):
        importer.run([days], mapping.load(rules), db)
    result = import_cli(str(days), "--mapping", str(rules), "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    message = result.stderr
    assert "daily.csv" in message and "contacts_per_row: calls" in message
    assert "aggregated rows" in message and "Map its counts to the table contact_intervals instead" in message
    assert "refused rather than imported as one contact per row" in message and "unchanged" in message
    assert hashlib.sha256(Path(store.version(db)[0]).read_bytes()).hexdigest() == before


# -- mistakes in the new keys: a MappingError naming the key path, at load ------------------------

def interactions_column(name: str, value):
    return lambda doc: doc["tables"]["interactions"]["columns"].__setitem__(name, value)


def interactions_key(name: str, value):
    return lambda doc: doc["tables"]["interactions"].__setitem__(name, value)


MISTAKES = [
    # conditions
    (lambda d: d["source"].__setitem__("drop_rows", {"column": "outcome", "equals": "X"}),
     "source.drop_rows", "a condition is {column: NAME, TEST: VALUE}"),
    (lambda d: d["source"].__setitem__("keep_rows", "outcome"), "source.keep_rows", "a condition is"),
    (interactions_key("drop_rows", {"column": "wait", "above": "lots"}),
     "tables.interactions.drop_rows.above", "must be a number (or H:MM:SS), got 'lots'"),
    (interactions_key("keep_rows", {"any": [{"column": "a", "present": True}, {"column": "b", "present": "maybe"}]}),
     "tables.interactions.keep_rows.any.1.present", "must be true or false"),
    (interactions_key("keep_rows", {"all": {"column": "a", "present": True}}),
     "tables.interactions.keep_rows.all", "takes a list of conditions"),
    (interactions_key("keep_rows", {"not": {"column": "a", "present": True}, "column": "b"}),
     "tables.interactions.keep_rows", "'not' stands alone in its condition"),
    (interactions_key("keep_rows", []), "tables.interactions.keep_rows", "an empty list of conditions"),
    (interactions_key("keep_rows", {"column": "note", "matches": "(?=vip)"}),
     "tables.interactions.keep_rows.matches", "is not a usable regular expression"),
    (interactions_key("keep_rows", {"column": "note", "in": []}),
     "tables.interactions.keep_rows.in", "takes a list of values"),
    (interactions_key("where_present", ["a", "b"]), "tables.interactions.where_present", "names one source column"),
    (interactions_column("abandoned", {"when": {"column": "outcome", "in": ["HANG"], "above": 0}}),
     "tables.interactions.columns.abandoned.when", "a condition is"),
    (interactions_column("channel", {"when": {"column": "outcome", "in": ["HANG"]}}),
     "tables.interactions.columns.channel.when", "gives true or false; the store column channel is VARCHAR"),
    (interactions_column("wait_s", {"column": "wait", "only_if": {"column": "x"}}),
     "tables.interactions.columns.wait_s.only_if", "a condition is"),
    # columns
    (interactions_column("interaction_id", {"columns": []}),
     "tables.interactions.columns.interaction_id.columns", "takes one or more source columns"),
    (interactions_column("interaction_id", {"columns": "line"}),
     "tables.interactions.columns.interaction_id.columns", "takes one or more source columns"),
    (interactions_column("customer_id", {"columns": ["a", "b"]}),
     "tables.interactions.columns.customer_id.columns", "interactions.customer_id is INTEGER"),
    (interactions_column("interaction_id", {"columns": ["a", "b"], "pattern": r"(\d+)"}),
     "tables.interactions.columns.interaction_id.pattern", "does not go with columns"),
    (interactions_column("interaction_id", {"column": "id", "columns": ["a", "b"]}),
     "tables.interactions.columns.interaction_id", "give exactly one of"),
    # map and otherwise
    (interactions_column("channel", {"column": "media", "map": ["Voice", "Chat"]}),
     "tables.interactions.columns.channel.map", "takes source values and what each becomes"),
    (interactions_column("transfers", {"column": "n", "map": {"none": "zero"}}),
     "tables.interactions.columns.transfers.map.none", "map value 'zero' is not a whole number"),
    (interactions_column("channel", {"column": "media", "map": {"Voice": "phone", " voice": "chat"}}),
     "tables.interactions.columns.channel.map", "are the same key"),
    (interactions_column("abandoned", {"column": "outcome", "map": {"HANG": "true"}, "true": ["HANG"]}),
     "tables.interactions.columns.abandoned.map", "give map or true/false, not both"),
    (interactions_column("channel", {"column": "media", "otherwise": "phone"}),
     "tables.interactions.columns.channel.otherwise", "goes with map"),
    (interactions_column("transfers", {"column": "n", "map": {"a": "1"}, "otherwise": "many"}),
     "tables.interactions.columns.transfers.otherwise", "otherwise 'many' is not a whole number"),
    # cap, bands, scale
    (interactions_column("channel", {"column": "media", "cap": 3}),
     "tables.interactions.columns.channel.cap", "caps numbers"),
    (interactions_column("transfers", {"column": "n", "cap": [5, 1]}),
     "tables.interactions.columns.transfers.cap", "LOW 5 is above HIGH 1"),
    (interactions_column("transfers", {"column": "n", "cap": 2.5}),
     "tables.interactions.columns.transfers.cap", "cap it at whole numbers"),
    (interactions_column("transfers", {"column": "n", "cap": "max"}),
     "tables.interactions.columns.transfers.cap", "must be a number"),
    (interactions_column("escalation_depth", {"column": "n", "bands": {"two": 2}}),
     "tables.interactions.columns.escalation_depth.bands.two", 'a band is "N", "LOW-HIGH" (inclusive) or "N+"'),
    (interactions_column("escalation_depth", {"column": "n", "bands": {"0-2": 0, "2+": 1}}),
     "tables.interactions.columns.escalation_depth.bands.2+", "overlaps the band 0-2"),
    (interactions_column("escalation_depth", {"column": "n", "bands": {"3-1": 0}}),
     "tables.interactions.columns.escalation_depth.bands.3-1", "runs from 3 down to 1"),
    (interactions_column("escalation_depth", {"column": "n", "bands": {"0+": "high"}}),
     "tables.interactions.columns.escalation_depth.bands.0+", "band value 'high' is not a whole number"),
    (interactions_column("escalation_depth", {"column": "n", "bands": {"0": 0}, "map": {"a": 1}}),
     "tables.interactions.columns.escalation_depth.map", "give map or bands, not both"),
    (interactions_column("wait_s", {"column": "n", "scale": "1-4"}),
     "tables.interactions.columns.wait_s.scale", "rescales survey answers; interactions.wait_s has no answer scale"),
    # after
    (interactions_column("wait_s", {"column": "n", "after": "queued_at"}),
     "tables.interactions.columns.wait_s.after", "names a timestamp store column of this table"),
    (interactions_column("ended_at", {"column": "end", "after": "answered_at"}),
     "tables.interactions.columns.ended_at.after", "'answered_at' is a store column this table's mapping does not "
                                                   "fill; after: compares with a store column mapped here"),
    (interactions_column("ended_at", {"column": "end", "after": "q_start"}),
     "tables.interactions.columns.ended_at.after", "'q_start' is not a store column of interactions: after: names a "
                                                   "store column this table maps (such as queued_at), not a source "
                                                   "column"),
    (lambda d: d["tables"]["interactions"]["columns"].update(wait_s="wait", ended_at={"column": "e", "after": "wait_s"}),
     "tables.interactions.columns.ended_at.after", "'wait_s' is not a timestamp"),
    (interactions_column("ended_at", {"constant": "2024-03-05 10:00:00", "after": "queued_at"}),
     "tables.interactions.columns.ended_at.after", "does not go with constant"),
    # default
    (interactions_column("answered_at", {"column": "answered", "default": "tomorrow"}),
     "tables.interactions.columns.answered_at.default", "default 'tomorrow' is not a date and time"),
    (interactions_column("resolved", {"column": "r", "default": "maybe"}),
     "tables.interactions.columns.resolved.default", "default 'maybe' is not true or false (the store column resolved is BOOLEAN)"),
    (interactions_column("transfers", {"column": "n", "default": "1.5"}),
     "tables.interactions.columns.transfers.default", "default '1.5' is not a whole number"),
    (interactions_column("exception_amount", {"column": "n", "default": ["1"]}),
     "tables.interactions.columns.exception_amount.default", "default must be one value"),
    # aggregate and order_by, on tables folded or not
    (interactions_column("queued_at", {"column": "queued", "aggregate": "median"}),
     "tables.interactions.columns.queued_at.aggregate", "'median' is not one of first, last, min, max, count"),
    (interactions_column("queued_at", {"column": "queued", "aggregate": "last"}),
     "tables.interactions.columns.queued_at.aggregate", "needs rows: distinct on the table"),
    (interactions_key("order_by", "queued"), "tables.interactions.order_by", "needs rows: distinct"),
    (lambda d: d["tables"]["interactions"].update(rows="distinct", columns={
        **d["tables"]["interactions"]["columns"], "channel": {"column": "media", "aggregate": "count"}}),
     "tables.interactions.columns.channel.aggregate", "count gives a number; interactions.channel is VARCHAR"),
    (lambda d: d["tables"]["interactions"].update(rows="distinct", columns={
        **d["tables"]["interactions"]["columns"], "interaction_id": {"column": "id", "aggregate": "max"}}),
     "tables.interactions.columns.interaction_id.aggregate", "is the table's key"),
    (lambda d: d["tables"]["interactions"].update(rows="distinct", order_by=["a", "b"]),
     "tables.interactions.order_by", "names one column"),
    (lambda d: d["tables"]["interactions"].update(rows="distinct", order_by={"column": "at", "format": "%H:%M"}),
     "tables.interactions.order_by.format", "'%H:%M' has no date in it"),
    (lambda d: d["tables"]["interactions"].update(rows="distinct", order_by={"format": "%d/%m/%Y"}),
     "tables.interactions.order_by", "names its source column under column:"),
    (lambda d: d["tables"]["interactions"].update(rows="distinct", order_by={"column": "at", "sort": "desc"}),
     "tables.interactions.order_by", "unknown key(s) ['sort']"),
    (lambda d: d["tables"]["interactions"].update(rows="distinct", order_by="channel"),
     "tables.interactions.order_by", "'channel' is a text store column"),
    (interactions_key("contacts_per_row", {"column": "calls"}), "tables.interactions.contacts_per_row",
     "names one column"),
    # a key that was silently ignored before
    (interactions_column("wait_s", {"column": "wait", "date_format": "%d.%m.%Y"}),
     "tables.interactions.columns.wait_s.date_format", "does not go with column"),
]


@pytest.mark.parametrize("change, where, message", MISTAKES, ids=[f"{w}: {m}" for _, w, m in MISTAKES])
def test_a_mistake_in_a_new_key_is_named_by_its_key_path(tmp_path, change, where, message):
    rules = mapping_file(tmp_path)
    doc = yaml.safe_load(rules.read_text())
    change(doc)
    rules.write_text(yaml.safe_dump(doc))
    with pytest.raises(mapping.MappingError) as error:
        mapping.load(rules)
    assert str(error.value).startswith(f"calls.yaml: {where}: ")
    assert message in error.value.message


def test_a_mapping_mistake_reaches_the_cli_user_as_one_line_without_a_traceback(tmp_path):
    data = data_file(tmp_path, "calls.csv", CELLS_HEADER, CELLS)
    rules = mapping_file(tmp_path, {"channel": {"column": "outcome", "map": {"AGENT": "phone"}, "otherwise": ""},
                                    "transfers": {"column": "wait", "bands": {"0-": 1}}})
    result = import_cli(str(data), "--mapping", str(rules), "--db", str(tmp_path / "store.duckdb"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("import failed, the store is unchanged: calls.yaml: "
                                     "tables.interactions.columns.transfers.bands.0-: a band is \"N\", \"LOW-HIGH\" "
                                     "(inclusive) or \"N+\"")
    assert not (tmp_path / "store.duckdb").exists()


def test_the_readmes_mapping_example_is_a_mapping_that_loads(tmp_path):
    section = (ROOT / "README.md").read_text().split("### Mapping files", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme.yaml"
    path.write_text(example)
    rules = mapping.load(path)
    assert set(rules.tables) == {"agents", "interactions", "agent_surveys"}
    assert rules.tables["interactions"].fields["interaction_id"].columns == ("vru+line", "call_id")


def test_skip_bad_rows_leaves_out_a_whole_key_whose_folded_row_is_bad(tmp_path):
    rows = [*EVENTS, ["INC4", "2024-03-07 10:00:00", "New", "Ann", "Voice", "5"],
            ["INC4", "2024-03-07 10:01:00", "Reassigned", "Bob", "Voice", ""],
            ["INC4", "2024-03-07 10:02:00", "Reassigned", "Cid", "Voice", ""],
            ["INC4", "2024-03-07 10:03:00", "Reassigned", "Dan", "Voice", ""]]   # four agents: depth 4 breaks 0-3
    data = data_file(tmp_path, "events.csv", EVENTS_HEADER, rows)
    rules = events_mapping(tmp_path)
    text = rejection(tmp_path, data, rules)
    first = 2 + next(i for i, r in enumerate(rows) if r[0] == "INC4")
    assert "(interactions.escalation_depth): outside 0-3 - 1 row" in text and f"events.csv line {first}: '4'" in text
    # without its first line INC4 would fold to depth 3 and look sound: the whole incident stays out
    result = import_cli(str(data), "--mapping", str(rules), "--db", str(tmp_path / "store.duckdb"), "--skip-bad-rows")
    assert result.returncode == 0, result.stderr
    good = data_file(tmp_path, "good.csv", EVENTS_HEADER, EVENTS)
    assert rows_of(tmp_path / "store.duckdb", FOLDED_SQL) == folded(good, order=lambda r: r["at"])


def test_typed_cells_of_parquet_read_as_the_same_words_as_in_a_csv(tmp_path):
    import polars as pl

    data = data_file(tmp_path, "calls.csv", ["id", "queued", "line", "n"],
                     [["1", "2024-03-05 09:00:00", "7", "3"], ["2", "2024-03-05 09:01:00", "7", "1.5"],
                      ["3", "2024-03-05 09:02:00", "8", "2"]])
    typed = pl.read_csv(data, schema_overrides={"n": pl.Float64, "line": pl.Float64})
    typed.write_parquet(tmp_path / "calls.parquet")   # n and line are numbers there: 3.0, 7.0
    columns = {"interaction_id": {"columns": ["line", "id"]},
               "transfers": {"column": "n", "map": {"3": 3, "1.5": 1}, "otherwise": 0},
               "abandoned": {"when": {"column": "n", "in": ["3", "2"]}}}
    rules = mapping_file(tmp_path, columns)
    stored = []
    for name in ("calls.csv", "calls.parquet"):
        db = tmp_path / f"{name}.duckdb"
        importer.run([tmp_path / name], mapping.load(rules), db)
        stored.append(rows_of(db, "select interaction_id, transfers, abandoned from interactions order by queued_at"))
    expected = [(stable_id(r["line"], r["id"]), {"3": 3, "1.5": 1}.get(r["n"], 0), r["n"] in ("3", "2"))
                for r in records(data)]
    assert stored == [expected, expected]
