"""ACD interval reports import into contact_intervals through the mapping format (README, Interval
reports): the shipped sample's overview figures equal an independent computation from the file (csv
module, decimal arithmetic), bad counts are refused by file, line and column with the store unchanged,
a store holds contacts or interval reports (never both), and every page draws on a store of interval
reports, saying in words which figures need a per-contact log."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import ROOT

from dashboard import catalogue, config, coverage, filters, importer, layout, mapping, scopes, snapshot, store

DATA = ROOT / "tests" / "data"
SAMPLE = DATA / "acd_intervals.csv"
MAPPING = ROOT / "data" / "mappings" / "acd_intervals.yaml"
CHANNELS = {"Voice": "phone", "Chat": "chat"}


def sample_rows() -> list[dict]:
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def total(average: str, count: str) -> int:
    """An average over `count` contacts as the total it stands for, to the second (half up)."""
    if not average:
        return 0
    if ":" in average:
        h, m, s = (int(p) for p in average.split(":"))
        average = str(h * 3600 + m * 60 + s)
    return int((Decimal(average) * int(count)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected_kpis(rows: list[dict]) -> dict:
    """The overview's customer KPIs computed from the report's rows (README, KPI definitions)."""
    offered = sum(int(r["Offered"]) for r in rows)
    answered = sum(int(r["Answered"]) for r in rows)
    abandoned = sum(int(r["Abandoned"]) for r in rows)
    within = sum(int(r["Answered in 20s"]) for r in rows)
    late = sum(int(r["Abandoned after 20s"]) for r in rows)
    waits = sum(total(r["Avg Speed of Answer"], r["Answered"]) for r in rows)
    handling = sum(total(r["Avg Handle Time"], r["Answered"]) for r in rows)
    return {"asa": waits / answered, "asa_n": answered, "aht": handling / answered, "aht_n": answered,
            "service_level": 100 * within / (answered + late), "service_level_n": answered + late,
            "abandon_rate": 100 * abandoned / offered, "abandon_rate_n": offered}


def in_filter(row: dict, f: filters.Filters) -> bool:
    day = dt.datetime.strptime(row["Interval Start"], "%Y-%m-%d %H:%M").date()
    return (f.date_from <= day <= f.date_to and f.team in (None, row["Queue"])
            and f.channel in (None, CHANNELS[row["Channel"]]))


def digest(db: Path) -> str | None:
    published = store.version(db)[0] if db.exists() else None
    return hashlib.sha256(Path(published).read_bytes()).hexdigest() if published else None


def import_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "import", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def interval_store(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("intervals") / "store.duckdb"
    report = importer.run([SAMPLE], mapping.load(MAPPING), db)
    assert report.imported and report.inserted["contact_intervals"] == len(sample_rows())
    return db


def kpis_at(db: Path, f: filters.Filters) -> dict:
    query = catalogue.load(config.queries_dir()).get("overview_customer_kpis")
    with store.open_read_only(db) as con:
        return catalogue.execute(con, query, f.as_params()).row(0, named=True)


WHOLE = filters.Filters(dt.date(2025, 3, 3), dt.date(2025, 3, 23))
FILTERS = {
    "whole period": WHOLE,
    "one queue": filters.Filters(WHOLE.date_from, WHOLE.date_to, team="Tech Support"),
    "one channel": filters.Filters(WHOLE.date_from, WHOLE.date_to, channel="chat"),
    "one week": filters.Filters(dt.date(2025, 3, 10), dt.date(2025, 3, 16)),
    "queue, channel and day": filters.Filters(dt.date(2025, 3, 14), dt.date(2025, 3, 14), team="Sales",
                                              channel="phone"),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_overview_kpis_equal_the_report_computed_by_hand(interval_store, name):
    f = FILTERS[name]
    rows = [r for r in sample_rows() if in_filter(r, f)]
    assert rows and len(rows) < len(sample_rows()) or name == "whole period"
    got = kpis_at(interval_store, f)
    for kpi, value in expected_kpis(rows).items():
        assert got[kpi] == pytest.approx(value, rel=1e-12), (name, kpi)
    # what the report does not hold is no data, not 0
    assert got["csat"] is None and got["fcr"] is None and got["escalation_rate"] is None


def test_the_heatmap_sums_the_report_by_weekday_and_hour(interval_store):
    query = catalogue.load(config.queries_dir()).get("wait_times_by_hour")
    with store.open_read_only(interval_store) as con:
        cells = catalogue.execute(con, query, WHOLE.as_params())
    rows = [r for r in sample_rows() if r["Interval Start"][11:13] == "09"
            and dt.date.fromisoformat(r["Interval Start"][:10]).weekday() == 5]   # Saturdays, 09:00-09:59
    cell = cells.filter((cells["weekday"] == "Saturday") & (cells["hour"] == 9)).row(0, named=True)
    expected = expected_kpis(rows)
    assert cell["offered"] == expected["abandon_rate_n"]
    assert cell["service_level"] == pytest.approx(expected["service_level"], rel=1e-12)
    assert cell["asa"] == pytest.approx(expected["asa"], rel=1e-12)
    assert set(cells["hour"]) == set(range(8, 18))   # opening hours only: nothing invented


def test_coverage_says_which_counts_the_report_supplies(interval_store):
    with store.open_read_only(interval_store) as con:
        held = coverage.read(con)
    for column in ("offered", "answered", "abandoned", "answered_wait_s", "answered_with_wait", "handle_s",
                   "handled", "answered_within_20s", "abandoned_after_20s"):
        assert held.absent(f"contact_intervals.{column}") is None, column
    assert "contact_intervals.csat_answers was not imported" in held.absent("contact_intervals.csat_answers")
    assert held.absent("interactions") == coverage.INTERVALS_ONLY
    assert held.absent("interactions.wait_s") == coverage.INTERVALS_ONLY
    assert "needs a per-contact log" in coverage.INTERVALS_ONLY


def test_a_dry_run_of_the_report_says_what_it_fills_and_what_needs_contacts(tmp_path):
    db = tmp_path / "store.duckdb"
    done = import_cli(str(SAMPLE), "--mapping", str(MAPPING), "--db", str(db), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert f"contact_intervals: {len(sample_rows()):,}" in done.stdout
    assert "contact_intervals: interval_start, team_id, channel, touchpoint_id, offered, abandoned" in done.stdout
    assert "CSAT by wait before answer - needs a per-contact log" in done.stdout
    assert "ASA:" not in done.stdout and "Abandon rate:" not in done.stdout   # these will have data
    assert not db.exists()


@pytest.mark.parametrize("path", layout.drawable_paths())
def test_every_page_draws_on_a_store_of_interval_reports(interval_store, path):
    document = snapshot.render(path, "", interval_store)
    assert "Traceback" not in document
    if path == "escalations":
        assert "needs a per-contact log; this store holds interval reports only" in document
    if path == "wait-times":   # half-hour intervals: the hours are known
        assert "the hours of the day need intervals" not in document


# -- the daily totals of the truthful-imports issue now import -------------------------------------

DAILY_MAPPING = """
source: {format: csv}
tables:
  teams:
    rows: distinct
    columns: {team_name: {constant: Centre}, site: {constant: Here}, manager_name: {constant: M}}
  touchpoints:
    rows: distinct
    columns: {touchpoint_name: {constant: Calls}, owner_unit: {constant: Centre}, sla_name: {constant: 20 s},
              sla_seconds: {constant: 20}, sla_measure: {constant: wait_s}}
  contact_intervals:
    columns:
      interval_start: {column: Date, format: "%Y-%m-%d"}
      team_name: {constant: Centre}
      touchpoint_name: {constant: Calls}
      channel: {constant: phone}
      offered: Calls Offered
      answered: Calls Answered
      answered_wait_s: {average_of: Avg Wait, times: answered}
"""


def test_daily_totals_import_as_day_long_intervals(tmp_path):
    with open(DATA / "daily_calls.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rules = tmp_path / "daily.yaml"
    rules.write_text(DAILY_MAPPING, encoding="utf-8")
    db = tmp_path / "store.duckdb"
    importer.run([DATA / "daily_calls.csv"], mapping.load(rules), db)
    first, last = (dt.date.fromisoformat(rows[i]["Date"]) for i in (0, -1))
    got = kpis_at(db, filters.Filters(first, last))
    answered = sum(int(r["Calls Answered"]) for r in rows)
    assert got["asa"] == pytest.approx(sum(total(r["Avg Wait"], r["Calls Answered"]) for r in rows) / answered)
    assert got["asa_n"] == answered
    assert got["abandon_rate"] is None and got["abandon_rate_n"] == sum(int(r["Calls Offered"]) for r in rows)
    assert got["service_level"] is None   # waits, but no count of answers within 20 s: not 0 %
    # the report gives no answers within 20 s: no service level rather than one from nothing
    with store.open_read_only(db) as con:
        held = coverage.read(con)
    assert "contact_intervals.answered_within_20s was not imported" in held.absent(
        "contact_intervals.answered_within_20s")
    # the heatmap by hour of day cannot place a day's totals in an hour: it says so instead of hour 0
    assert "the hours of the day need intervals of an hour or less" in snapshot.render("wait-times", "measure=asa", db)


# -- bad reports are refused, naming file, line and column, and change nothing --------------------

HEADER = "Interval Start,Queue,Channel,Offered,Answered,Abandoned,Answered in 20s,Abandoned after 20s," \
         "Avg Speed of Answer,Avg Handle Time\n"
GOOD = "2025-03-03 08:00,Billing,Voice,10,8,2,6,1,12.5,0:05:00\n"
BAD = [
    ("2025-03-03 08:30,Billing,Voice,10,9,2,6,1,12.5,0:05:00\n",
     "'Answered' (contact_intervals.answered) / 'Abandoned' (contact_intervals.abandoned) / 'Offered' "
     "(contact_intervals.offered): answered + abandoned above offered", "'9 / 2 / 10'"),
    ("2025-03-03 08:30,Billing,Voice,10,8,2,9,1,12.5,0:05:00\n",
     "answered_within_20s above answered_with_wait", "'9 / 8'"),
    ("2025-03-03 08:30,Billing,Voice,10,8,2,6,3,12.5,0:05:00\n",
     "abandoned_after_20s above abandoned", "'3 / 2'"),
    ("2025-03-03 08:30,Billing,Voice,-1,0,0,0,0,,\n",
     "'Offered' (contact_intervals.offered): a negative count", "'-1'"),
    ("2025-03-03 08:30,Billing,Voice,10.5,8,2,6,1,12.5,0:05:00\n",
     "'Offered' (contact_intervals.offered): cannot read as a whole number", "'10.5'"),
    ("2025-03-03 08:30,Billing,Voice,,8,2,6,1,12.5,0:05:00\n",
     "'Offered' (contact_intervals.offered): missing value (the store needs one)", ""),
    ("2025-03-03 08:30,Billing,Voice,10,8,2,6,1,fast,0:05:00\n",
     "'Avg Speed of Answer' (contact_intervals.answered_wait_s): cannot read as a number", "'fast'"),
    ("2025-03-03 8.30am,Billing,Voice,10,8,2,6,1,12.5,0:05:00\n",
     "'Interval Start' (contact_intervals.interval_start): cannot read as a date and time in the format "
     "%Y-%m-%d %H:%M", "'2025-03-03 8.30am'"),
    (GOOD, "'Queue' (contact_intervals.team_name), 'Channel' (contact_intervals.channel), touchpoint_name "
           "(derived) (contact_intervals.touchpoint_name): duplicate key",
     "'2025-03-03 08:00:00.000000 / Billing / phone / ACD queues' (repeats line 2)"),
]


@pytest.mark.parametrize("line, problem, value", BAD, ids=[b[1][:60] for b in BAD])
def test_a_bad_count_is_refused_by_file_line_and_column_and_the_store_is_unchanged(tmp_path, line, problem, value):
    db = tmp_path / "store.duckdb"
    importer.run([SAMPLE], mapping.load(MAPPING), db)
    before = digest(db)
    report_file = tmp_path / "bad_report.csv"
    report_file.write_text(HEADER + GOOD + line, encoding="utf-8")
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run([report_file], mapping.load(MAPPING), db)
    text = rejected.value.report.text()
    assert problem in text
    assert f"bad_report.csv line 3{': ' if value.startswith(chr(39)) else ''}{value}" in text
    assert "nothing was imported" in text
    assert digest(db) == before


def test_the_command_line_names_the_bad_row_and_leaves_no_store(tmp_path):
    report_file = tmp_path / "bad_report.csv"
    report_file.write_text(HEADER + GOOD + BAD[0][0], encoding="utf-8")
    db = tmp_path / "store.duckdb"
    done = import_cli(str(report_file), "--mapping", str(MAPPING), "--db", str(db))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "answered + abandoned above offered" in done.stderr and "bad_report.csv line 3" in done.stderr
    assert not db.exists()


# -- a store holds contacts or interval reports ---------------------------------------------------

def test_a_report_into_a_store_of_contacts_is_refused_and_the_store_is_unchanged(tmp_path):
    db = tmp_path / "store.duckdb"
    importer.run([DATA / "acd_calls.tsv"], mapping.load(ROOT / "data" / "mappings" / "acd_call_log.yaml"), db)
    before = digest(db)
    for mode in ("replace", "append"):
        with pytest.raises(importer.IntervalsBesideContacts, match="Import it into a new store with --db"):
            importer.run([SAMPLE], mapping.load(MAPPING), db, mode=mode)
    done = import_cli(str(SAMPLE), "--mapping", str(MAPPING), "--db", str(db), "--dry-run")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "holds" in done.stderr and "contacts (interactions)" in done.stderr and "--db NEW_STORE" in done.stderr
    assert digest(db) == before


def test_contacts_imported_into_a_store_of_reports_rebuild_its_intervals(tmp_path):
    db = tmp_path / "store.duckdb"
    importer.run([SAMPLE], mapping.load(MAPPING), db)
    report = importer.run([DATA / "acd_calls.tsv"], mapping.load(ROOT / "data" / "mappings" / "acd_call_log.yaml"),
                          db)
    assert any("replaced by the intervals of the contacts" in w for w in report.warnings)
    with store.open_read_only(db) as con:
        contacts, offered = con.execute("select (select count(*) from interactions), "
                                        "(select sum(offered) from contact_intervals)").fetchone()
        held = coverage.read(con)
    assert contacts and offered == contacts
    assert held.absent("interactions") is None


def test_appending_the_same_report_again_adds_nothing(tmp_path):
    db = tmp_path / "store.duckdb"
    importer.run([SAMPLE], mapping.load(MAPPING), db)
    before = digest(db)
    report = importer.run([SAMPLE], mapping.load(MAPPING), db, mode="append")
    assert report.unchanged and digest(db) == before


# -- the mapping form --------------------------------------------------------------------------------

def interval_mapping(tmp_path: Path, columns: str, table_extra: str = "") -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(f"""
tables:
  contact_intervals:{table_extra}
    columns:
      interval_start: Start
      team_id: {{constant: 1}}
      touchpoint_id: {{constant: 1}}
      channel: {{constant: phone}}
      offered: Offered
{columns}""", encoding="utf-8")
    return path


MISTAKES = [
    ("      answered_wait_s: {average_of: ASA}\n", "tables.contact_intervals.columns.answered_wait_s.times",
     "average_of needs times"),
    ("      answered_wait_s: {column: ASA, times: answered}\n",
     "tables.contact_intervals.columns.answered_wait_s.times", "goes with average_of"),
    ("      answered_wait_s: {average_of: ASA, times: answered}\n",
     "tables.contact_intervals.columns.answered_wait_s.times", "'answered' is a count this mapping does not fill"),
    ("      answered: A\n      answered_wait_s: {average_of: ASA, times: channel}\n",
     "tables.contact_intervals.columns.answered_wait_s.times", "'channel' is not another count"),
    ("      csat_satisfied: Satisfied\n", "tables.contact_intervals.columns.csat_satisfied",
     "part of csat_answers, which the mapping does not fill"),
    ("      answered_wait_s: Total Wait\n", "tables.contact_intervals.columns.answered_wait_s",
     "part of answered_with_wait, which the mapping does not fill: map answered_with_wait, or answered"),
    ("      answered: A\n      answered_wait_s: {average_of: [ASA, Wait], times: answered}\n",
     "tables.contact_intervals.columns.answered_wait_s.average_of", "names one column"),
    ("      answered: A\n      channel_x: B\n", "tables.contact_intervals.columns.channel_x", "has no column"),
]


@pytest.mark.parametrize("columns, where, message", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_mistake_in_the_interval_form_is_named_by_its_key(tmp_path, columns, where, message):
    with pytest.raises(mapping.MappingError) as found:
        mapping.load(interval_mapping(tmp_path, columns))
    assert found.value.where == where and message in found.value.message


def test_a_mapping_feeds_contacts_or_intervals_not_both(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text((MAPPING.read_text(encoding="utf-8")
                     + "  interactions:\n    columns: {interaction_id: Id, team_id: {constant: 1}, touchpoint_id: "
                       "{constant: 1}, channel: {constant: phone}, queued_at: At, abandoned: {constant: false}}\n"),
                    encoding="utf-8")
    with pytest.raises(mapping.MappingError, match="interactions .* or contact_intervals .*, not both"):
        mapping.load(path)


def test_answered_implies_the_contacts_a_total_wait_is_over(tmp_path):
    loaded = mapping.load(interval_mapping(tmp_path, "      answered: A\n      answered_wait_s: Total Wait\n"))
    fields = loaded.tables["contact_intervals"].fields
    assert fields["answered_with_wait"].same_as == "answered"
    assert "handled" not in fields   # no handle time: nothing implied about it


def test_a_team_scope_on_a_store_of_reports_sees_its_queue_only(interval_store):
    scope = scopes.Scope(teams=frozenset({"Sales"}))
    with store.open_read_only(scopes.store_for(interval_store, scope, "pages")) as con:
        query = catalogue.load(config.queries_dir()).get("overview_customer_kpis")
        got = catalogue.execute(con, query, WHOLE.as_params()).row(0, named=True)
        held = coverage.read(con)
    expected = expected_kpis([r for r in sample_rows() if r["Queue"] == "Sales"])
    assert got["abandon_rate"] == pytest.approx(expected["abandon_rate"], rel=1e-12)
    assert got["asa"] == pytest.approx(expected["asa"], rel=1e-12)
    assert held.absent("contact_intervals.csat_answers") and held.absent("contact_intervals.abandoned") is None
