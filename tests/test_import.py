"""Imports through mapping files: the PwC sample against figures computed with the csv module,
rejection that leaves the store byte for byte as it was, --skip-bad-rows, --append, and the
parsing edge cases of real exports, each on a small fixture written here."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import statistics
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import PWC_CSV, PWC_MAPPING, ROOT

from dashboard import importer, mapping, sources, store


def checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rows_of(db: Path, sql: str) -> list[tuple]:
    with store.open_read_only(db) as con:
        return con.sql(sql).fetchall()


def one(db: Path, sql: str):
    return rows_of(db, sql)[0][0]


def import_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "import", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


# -- the PwC sample, against the file read with the csv module ---------------------------------

@pytest.fixture(scope="module")
def pwc_rows() -> list[dict]:
    with open(PWC_CSV, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_pwc_sample_imports_with_the_figures_of_the_file(pwc_store_path, pwc_rows):
    answered = [r for r in pwc_rows if r["Answered (Y/N)"] == "Y"]
    ratings = [int(r["Satisfaction rating"]) for r in pwc_rows if r["Satisfaction rating"]]
    assert one(pwc_store_path, "select count(*) from interactions") == len(pwc_rows) == 5000
    assert one(pwc_store_path, "select count(*) from interactions where abandoned") == len(pwc_rows) - len(answered) == 946
    assert one(pwc_store_path, "select count(*) from interactions where resolved") == sum(
        r["Resolved"] == "Y" for r in pwc_rows)
    assert one(pwc_store_path, "select avg(csat) from customer_surveys") == pytest.approx(statistics.mean(ratings), abs=1e-12)
    assert one(pwc_store_path, "select count(*) from customer_surveys") == len(ratings)
    assert one(pwc_store_path, "select avg(wait_s) from interactions where not abandoned") == pytest.approx(
        statistics.mean(int(r["Speed of answer in seconds"]) for r in answered), abs=1e-12)
    assert one(pwc_store_path, "select count(*) from agents") == len({r["Agent"] for r in pwc_rows}) == 8
    assert one(pwc_store_path, "select count(distinct agent_id) from interactions") == 8


def test_pwc_rows_keep_their_times_durations_and_topics(pwc_store_path, pwc_rows):
    first = pwc_rows[0]   # ID0001,Diane,2021-01-01,09:12:58,Contract related,Y,Y,109,00:02:23,3
    row = rows_of(pwc_store_path, """
        select i.queued_at, i.answered_at, i.ended_at, i.wait_s, i.handle_s, a.agent_name, tp.touchpoint_name
        from interactions as i join agents as a using (agent_id) join touchpoints as tp using (touchpoint_id)
        where interaction_id = 1""")[0]
    queued = dt.datetime.fromisoformat(f"{first['Date']} {first['Time']}")
    h, m, s = (int(x) for x in first["AvgTalkDuration"].split(":"))
    wait = int(first["Speed of answer in seconds"])
    assert row == (queued, queued + dt.timedelta(seconds=wait), queued + dt.timedelta(seconds=wait + h * 3600 + m * 60 + s),
                   wait, h * 3600 + m * 60 + s, first["Agent"], first["Topic"])
    assert one(pwc_store_path, "select count(*) from touchpoints") == len({r["Topic"] for r in pwc_rows})
    # a lost call has no agent, answer time or handle time, whatever the export routed it to
    assert one(pwc_store_path, "select count(*) from interactions where abandoned and "
                               "(agent_id is not null or answered_at is not null or handle_s is not null)") == 0


# -- a corrupt copy: rejected whole, or imported without its bad rows ----------------------------

@pytest.fixture
def corrupt_copy(tmp_path, pwc_rows) -> tuple[Path, dict[str, int]]:
    """The sample with an impossible date, a rating of 9 and a row missing columns; returns the
    file and the line of each fault (the header is line 1)."""
    lines = PWC_CSV.read_text(encoding="utf-8").splitlines()
    faults = {"date": 8, "rating": 15, "short": 23}
    fields = lines[faults["date"] - 1].split(",")
    fields[2] = "2021-02-30"
    lines[faults["date"] - 1] = ",".join(fields)
    fields = lines[faults["rating"] - 1].split(",")
    assert fields[5] == "Y", "the fixture needs an answered call here"
    fields[9] = "9"
    lines[faults["rating"] - 1] = ",".join(fields)
    lines[faults["short"] - 1] = ",".join(lines[faults["short"] - 1].split(",")[:6])
    path = tmp_path / "corrupt.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, faults


def test_a_corrupt_copy_is_rejected_naming_each_row_and_column_and_the_store_is_unchanged(tmp_path, corrupt_copy):
    db = tmp_path / "store.duckdb"
    importer.run([PWC_CSV], mapping.load(PWC_MAPPING), db)
    before = checksum(db)
    path, faults = corrupt_copy
    result = import_cli(str(path), "--mapping", str(PWC_MAPPING), "--db", str(db))
    assert result.returncode == 1
    message = result.stderr
    assert f"corrupt.csv line {faults['date']}: '2021-02-30" in message
    assert "column 'Date' + 'Time' (interactions.queued_at)" in message
    assert f"corrupt.csv line {faults['rating']}: '9'" in message
    assert "'Satisfaction rating' (customer_surveys.csat): outside 1-5" in message
    assert f"corrupt.csv line {faults['short']}" in message and "missing columns" in message
    assert "3 row(s)" in message and "unchanged" in message
    assert checksum(db) == before
    assert one(db, "select count(*) from interactions") == 5000


def test_skip_bad_rows_imports_the_rest_and_writes_the_three_rejects(tmp_path, corrupt_copy, pwc_rows):
    db = tmp_path / "store.duckdb"
    path, faults = corrupt_copy
    result = import_cli(str(path), "--mapping", str(PWC_MAPPING), "--db", str(db), "--skip-bad-rows")
    assert result.returncode == 0, result.stderr
    assert one(db, "select count(*) from interactions") == 5000 - 3
    bad_ids = {int(pwc_rows[line - 2]["Call Id"][2:]) for line in faults.values()}
    assert one(db, f"select count(*) from interactions where interaction_id in {tuple(bad_ids)}") == 0
    with open(tmp_path / "corrupt.rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert [int(r["line"]) for r in rejects] == sorted(faults.values())
    by_line = {int(r["line"]): r for r in rejects}
    assert "2021-02-30" in by_line[faults["date"]]["reason"]
    assert "outside 1-5" in by_line[faults["rating"]]["reason"]
    assert "missing columns" in by_line[faults["short"]]["reason"]
    original = path.read_text().splitlines()
    assert all(r["original"] == original[int(r["line"]) - 1] for r in rejects)


def test_append_of_a_file_already_imported_adds_nothing_twice(tmp_path):
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    importer.run([PWC_CSV], rules, db)
    tables = ("teams", "touchpoints", "agents", "interactions", "customer_surveys")
    counts = {t: one(db, f"select count(*) from {t}") for t in tables}
    report = importer.run([PWC_CSV], rules, db, mode="append")
    assert {t: one(db, f"select count(*) from {t}") for t in tables} == counts
    assert report.inserted == {t: 0 for t in tables}
    assert report.already_present["interactions"] == 5000


def test_append_adds_new_rows_and_reuses_the_agents_already_known(tmp_path):
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    lines = PWC_CSV.read_text().splitlines()
    first, second = tmp_path / "january.csv", tmp_path / "rest.csv"
    first.write_text("\n".join(lines[:2001]) + "\n")
    second.write_text("\n".join([lines[0], *lines[1501:]]) + "\n")   # overlaps the first by 500 calls
    importer.run([first], rules, db)
    report = importer.run([second], rules, db, mode="append")
    assert report.inserted["interactions"] == 3000 and report.already_present["interactions"] == 500
    assert one(db, "select count(*) from interactions") == 5000
    assert one(db, "select count(*) from agents") == 8
    assert one(db, "select count(*) from interactions i left join agents a using (agent_id) "
                   "where i.agent_id is not null and a.agent_id is null") == 0


def test_replace_empties_only_the_tables_the_mapping_feeds(tmp_path, store_path):
    db = tmp_path / "store.duckdb"
    db.write_bytes(Path(store.version(store_path)[0]).read_bytes())
    trainings = one(db, "select count(*) from training")
    report = importer.run([PWC_CSV], mapping.load(PWC_MAPPING), db)
    assert one(db, "select count(*) from interactions") == 5000
    assert one(db, "select count(*) from training") == trainings
    # the demo's training rows now point at agents that were replaced: said, not hidden
    assert any("training row(s) refer to agents" in w for w in report.warnings)
    # new ids never reuse old ones, so kept rows cannot land on an imported agent
    assert one(db, "select count(*) from training join agents using (agent_id)") == 0


def test_a_running_reader_keeps_its_file_and_the_next_open_sees_the_new_one(tmp_path):
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    lines = PWC_CSV.read_text().splitlines()
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines[:101]) + "\n")
    importer.run([small], rules, db)
    reader = store.open_read_only(db)
    importer.run([PWC_CSV], rules, db)
    assert reader.sql("select count(*) from interactions").fetchall()[0][0] == 100   # still on its file
    reader.close()
    assert one(db, "select count(*) from interactions") == 5000


# -- parsing edge cases, each on a small fixture ----------------------------------------------

CALLS = [  # id, date, time, wait, talk, answered, rating
    ("1", "2024-03-05", "09:00:00", "12", "0:03:10", "Y", "5"),
    ("2", "2024-03-05", "13:30:15", "", "", "N", ""),
    ("3", "2024-03-06", "08:05:00", "40", "1:00:00", "Y", ""),
]


def write_mapping(tmp_path: Path, source: dict, **overrides) -> Path:
    """A mapping for the small call files below: one team, agents and touchpoint by name."""
    interactions = {
        "interaction_id": "id", "team_name": {"constant": "Alpha"}, "touchpoint_name": {"constant": "Billing"},
        "channel": {"constant": "phone"}, "queued_at": {"date": "date", "time": "time"},
        "abandoned": {"column": "answered", "true": ["N"], "false": ["Y"]}, "wait_s": "wait",
        "handle_s": {"column": "talk", "duration": "hms"},
        "answered_at": {"add_seconds": ["queued_at", "wait_s"], "unless": "abandoned"},
    }
    for key, value in overrides.items():   # None: leave the column out
        interactions.pop(key) if value is None else interactions.__setitem__(key, value)
    doc = {"source": source, "tables": {
        "teams": {"rows": "distinct", "columns": {"team_name": {"constant": "Alpha"}, "site": {"constant": "Here"},
                                                  "manager_name": {"constant": "Ann"}}},
        "touchpoints": {"rows": "distinct", "columns": {
            "touchpoint_name": {"constant": "Billing"}, "owner_unit": {"constant": "Billing"},
            "sla_name": {"constant": "20 s"}, "sla_seconds": {"constant": 20}, "sla_measure": {"constant": "wait_s"}}},
        "interactions": {"columns": interactions},
        "customer_surveys": {"where_present": "rating", "columns": {
            "interaction_id": "id", "answered_at": interactions["queued_at"], "csat": "rating"}},
    }}
    path = tmp_path / "calls.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def write_calls(tmp_path: Path, name: str, rows=CALLS, separator=",", newline="\n", header=True,
                encoding="utf-8", bom=False, date=lambda d: d, time=lambda t: t) -> Path:
    lines = ([separator.join(["id", "date", "time", "wait", "talk", "answered", "rating"])] if header else [])
    lines += [separator.join([i, date(d), time(t), w, talk, a, r]) for i, d, t, w, talk, a, r in rows]
    data = (newline.join(lines) + newline).encode(encoding)
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def imported(tmp_path: Path, data: Path, rules: Path) -> list[tuple]:
    db = tmp_path / "edge.duckdb"
    importer.run([data], mapping.load(rules), db)
    return rows_of(db, """
        select i.interaction_id, i.queued_at, i.wait_s, i.handle_s, i.abandoned, i.answered_at, s.csat
        from interactions as i left join customer_surveys as s using (interaction_id) order by 1""")


EXPECTED = [
    (1, dt.datetime(2024, 3, 5, 9, 0, 0), 12, 190, False, dt.datetime(2024, 3, 5, 9, 0, 12), 5),
    (2, dt.datetime(2024, 3, 5, 13, 30, 15), None, None, True, None, None),
    (3, dt.datetime(2024, 3, 6, 8, 5, 0), 40, 3600, False, dt.datetime(2024, 3, 6, 8, 5, 40), None),
]


@pytest.mark.parametrize("case, write, source", [
    ("utf-8 byte-order mark", dict(bom=True), {}),
    ("CR-only line ends", dict(newline="\r"), {"line_end": "cr"}),
    ("CR-only line ends, detected", dict(newline="\r"), {}),
    ("CRLF line ends", dict(newline="\r\n"), {}),
    ("semicolon separator", dict(separator=";"), {"separator": ";"}),
    ("tab separator", dict(separator="\t"), {"format": "tsv"}),
    ("no header row", dict(header=False), {"header": False,
                                           "columns": ["id", "date", "time", "wait", "talk", "answered", "rating"]}),
    ("windows-1252 text", dict(encoding="cp1252"), {"encoding": "cp1252"}),
    ("utf-16 text", dict(encoding="utf-16"), {"encoding": "utf-16"}),
])
def test_text_layouts_import_the_same_rows(tmp_path, case, write, source):
    data = write_calls(tmp_path, "calls.csv", **write)
    assert imported(tmp_path, data, write_mapping(tmp_path, source)) == EXPECTED


def test_yymmdd_dates_and_12_hour_times(tmp_path):
    data = write_calls(tmp_path, "calls.csv", date=lambda d: dt.date.fromisoformat(d).strftime("%y%m%d"),
                       time=lambda t: dt.datetime.strptime(t, "%H:%M:%S").strftime("%I:%M:%S %p"))
    assert "PM" in data.read_text() and "240305" in data.read_text()
    rules = write_mapping(tmp_path, {}, queued_at={"date": "date", "time": "time", "date_format": "%y%m%d",
                                                   "time_format": "%I:%M:%S %p"})
    assert imported(tmp_path, data, rules) == EXPECTED


def test_dd_mm_yy_dates_in_one_column(tmp_path):
    data = write_calls(tmp_path, "calls.csv", date=lambda d: dt.date.fromisoformat(d).strftime("%d-%m-%y"))
    rules = write_mapping(tmp_path, {}, queued_at={"date": "date", "time": "time", "date_format": "%d-%m-%y"})
    assert imported(tmp_path, data, rules) == EXPECTED


def test_question_mark_and_na_mean_missing(tmp_path):
    rows = [list(r) for r in CALLS]
    rows[1][3], rows[1][4], rows[1][6] = "?", "NA", "?"
    rows[2][6] = " ? "
    data = write_calls(tmp_path, "calls.csv", rows=[tuple(r) for r in rows])
    assert imported(tmp_path, data, write_mapping(tmp_path, {})) == EXPECTED


def test_durations_in_seconds_or_minutes(tmp_path):
    rows = [(i, d, t, w, {"0:03:10": "190", "1:00:00": "3600"}.get(talk, talk), a, r) for i, d, t, w, talk, a, r in CALLS]
    data = write_calls(tmp_path, "calls.csv", rows=rows)
    assert imported(tmp_path, data, write_mapping(tmp_path, {}, handle_s="talk")) == EXPECTED


@pytest.mark.parametrize("yes, no", [("yes", "no"), ("1", "0"), ("Y", "N"), ("TRUE", "false")])
def test_booleans_in_the_usual_spellings(tmp_path, yes, no):
    rows = [(i, d, t, w, talk, yes if a == "N" else no, r) for i, d, t, w, talk, a, r in CALLS]
    data = write_calls(tmp_path, "calls.csv", rows=rows)
    rules = write_mapping(tmp_path, {}, abandoned="answered")   # here the column says 'lost'
    assert imported(tmp_path, data, rules) == EXPECTED


def test_abandoned_from_an_outcome_value_and_wait_from_two_timestamps(tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text("ref,queued,answered,outcome\n"
                    "A-7,2024-03-05 09:00:00,2024-03-05 09:00:12,Handled\n"
                    "A-8,2024-03-05 13:30:15,,Caller hung up\n")
    rules = write_mapping(tmp_path, {}, **{
        "interaction_id": {"column": "ref", "pattern": r"A-(\d+)"},
        "queued_at": "queued", "answered_at": "answered",
        "abandoned": {"column": "outcome", "true": ["Caller hung up", "Abandoned"], "otherwise": False},
        "wait_s": {"seconds_between": ["queued_at", "answered_at"]}, "handle_s": None})
    doc = yaml.safe_load(rules.read_text())
    del doc["tables"]["customer_surveys"]
    rules.write_text(yaml.safe_dump(doc))
    db = tmp_path / "edge.duckdb"
    importer.run([path], mapping.load(rules), db)
    assert rows_of(db, "select interaction_id, abandoned, wait_s from interactions order by 1") == [
        (7, False, 12), (8, True, None)]


def test_parquet_and_xlsx_sources(tmp_path):
    frame = pl.DataFrame([list(r) for r in CALLS], schema=["id", "date", "time", "wait", "talk", "answered", "rating"],
                         orient="row")
    frame.write_parquet(tmp_path / "calls.parquet")
    assert imported(tmp_path, tmp_path / "calls.parquet", write_mapping(tmp_path, {})) == EXPECTED
    typed = frame.with_columns(pl.col("date").str.to_date(), pl.col("wait").cast(pl.Int64, strict=False))
    typed.write_excel(tmp_path / "calls.xlsx")   # real date cells and number cells, as exported from Excel
    assert imported(tmp_path, tmp_path / "calls.xlsx", write_mapping(tmp_path, {})) == EXPECTED


# -- problems found before anything is written ------------------------------------------------

def problems_of(tmp_path: Path, rows, **overrides) -> str:
    data = write_calls(tmp_path, "calls.csv", rows=rows)
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run([data], mapping.load(write_mapping(tmp_path, {}, **overrides)), tmp_path / "never.duckdb")
    assert not (tmp_path / "never.duckdb").exists()
    return rejected.value.report.text()


def test_impossible_values_are_named_by_line_and_column(tmp_path):
    rows = [list(r) for r in CALLS]
    rows[0][3] = "-5"          # negative wait
    rows[2][6] = "0"           # csat outside 1-5
    text = problems_of(tmp_path, [tuple(r) for r in rows])
    assert "'wait' (interactions.wait_s): negative wait - 1 row" in text and "calls.csv line 2: '-5'" in text
    assert "'rating' (customer_surveys.csat): outside 1-5" in text and "calls.csv line 4: '0'" in text


def test_answered_before_queued_is_rejected(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("ref,queued,answered\n1,2024-03-05 09:00:00,2024-03-05 08:59:00\n")
    rules = write_mapping(tmp_path, {}, interaction_id="ref", queued_at="queued", answered_at="answered",
                          abandoned={"constant": False}, wait_s={"seconds_between": ["queued_at", "answered_at"]},
                          handle_s=None)
    doc = yaml.safe_load(rules.read_text())
    del doc["tables"]["customer_surveys"]
    rules.write_text(yaml.safe_dump(doc))
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run([path], mapping.load(rules), tmp_path / "never.duckdb")
    assert "answered before queued" in rejected.value.report.text()
    assert "calls.csv line 2" in rejected.value.report.text()


def test_duplicate_keys_name_both_lines(tmp_path):
    rows = [*CALLS, ("1", "2024-03-07", "10:00:00", "3", "0:01:00", "Y", "")]
    text = problems_of(tmp_path, rows)
    assert "(interactions.interaction_id): duplicate key - 1 row" in text
    assert "calls.csv line 5: '1' (repeats line 2)" in text


def test_unreadable_cells_and_missing_required_values(tmp_path):
    rows = [list(r) for r in CALLS]
    rows[0][4] = "3 minutes"   # not H:MM:SS
    rows[1][0] = ""            # no id
    rows[2][5] = "maybe"       # not a yes/no value
    text = problems_of(tmp_path, [tuple(r) for r in rows])
    assert "cannot read as a duration H:MM:SS" in text and "'3 minutes'" in text
    assert "'id' (interactions.interaction_id): missing value" in text and "calls.csv line 3" in text
    assert "not one of the yes/no values" in text and "'maybe'" in text


def test_a_column_the_mapping_reads_but_the_file_lacks(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("id,date,time\n1,2024-03-05,09:00:00\n")
    with pytest.raises(sources.SourceError, match=r"calls.csv: .*'wait' \(for interactions.wait_s\).*The file has: id, date, time"):
        importer.run([path], mapping.load(write_mapping(tmp_path, {})), tmp_path / "never.duckdb")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["tables"].update(calls={}), "tables.calls: no such store table"),
    (lambda d: d["tables"]["interactions"]["columns"].pop("channel"), "the store needs interactions.channel"),
    (lambda d: d["tables"]["interactions"]["columns"].update(colour="x"), "interactions has no column 'colour'"),
    (lambda d: d["tables"]["interactions"]["columns"].update(wait_s={"column": "wait", "duration": "hours"}),
     "duration 'hours' is not one of"),
    (lambda d: d["tables"]["interactions"]["columns"].update(answered_at={"add_seconds": ["queued_at", "talk_s"]}),
     "uses 'talk_s', which this table's mapping does not fill"),
    (lambda d: d["source"].update(separator=";;"), "source.separator: must be one character"),
    (lambda d: d["source"].update(header="false"), "a file without a header row needs its columns named"),
])
def test_mapping_mistakes_are_named_by_key(tmp_path, change, message):
    rules = write_mapping(tmp_path, {})
    doc = yaml.safe_load(rules.read_text())
    change(doc)
    rules.write_text(yaml.safe_dump(doc))
    with pytest.raises(mapping.MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        mapping.load(rules)


def test_the_shipped_mappings_load():
    for path in (ROOT / "data" / "mappings").glob("*.yaml"):
        assert mapping.load(path).tables


def test_the_kept_sample_is_the_shared_one_byte_for_byte():
    shared = ROOT.parent / "shared" / "datasets" / PWC_CSV.name
    if not shared.exists():
        pytest.skip("no shared/datasets beside this clone")
    assert checksum(shared) == checksum(PWC_CSV)


def test_a_latin_1_export_with_bytes_0x80_to_0x9f_imports(tmp_path):
    """DuckDB's own latin-1 reader refused these bytes ('File is not latin-1 encoded'); Python's
    Latin-1 codec reads every byte, as the export's encoding promises."""
    text = PWC_CSV.read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace("Diane", "Di\x96ane")   # byte 0x96 in Latin-1: a C1 control, a dash in cp1252
    data = tmp_path / "latin1.csv"
    data.write_bytes(("\n".join(text) + "\n").encode("latin-1"))
    rules = yaml.safe_load(PWC_MAPPING.read_text(encoding="utf-8"))
    rules["source"]["encoding"] = "latin-1"
    (tmp_path / "latin1.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    db = tmp_path / "latin1.duckdb"
    importer.run([data], mapping.load(tmp_path / "latin1.yaml"), db)
    assert one(db, "select count(*) from interactions") == 5000
    assert one(db, "select count(*) from agents where agent_name = 'Di\x96ane'") == 1
