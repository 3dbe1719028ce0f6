"""No data is not zero, for charts and tables (issue 9, build item 1).

A figure whose inputs the store lacks says "No data" and why, never 0: the header's `needs`,
`column_needs` and `row_needs` are judged by the store's coverage (what each import supplied), not
by counting values; a row whose bucket is unknown is never drawn in a real bucket, and the chart
says how many were left out. Stores used here: the PwC sample (no escalation levels, leaving dates,
customer ids, agent surveys, requests or training), a call log written below with no waits and no
resolution field, and an HR export with agent surveys but no contacts.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import PWC_CSV, ROOT
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, coverage, filters, importer, mapping, nodata, pages, rollups, store

PAGES = [page.view for page in pages.PAGES]


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90).run()

# ---- stores ----------------------------------------------------------------------------------------

HR_MAPPING = """
source: {format: csv, separator: ",", header: true}
tables:
  teams:
    rows: distinct
    columns:
      team_name: Team
      site: {constant: Head office}
      manager_name: {constant: Not in the export}
  agents:
    rows: distinct
    columns:
      agent_name: Agent
      team_name: Team
      hired_on: Hired
      authority_limit: {constant: 0}
  agent_surveys:
    columns:
      agent_name: Agent
      surveyed_at: Surveyed
      milestone: {constant: pulse}
      satisfaction: Satisfaction
"""


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_into(folder: Path, name: str, rows: list[dict], mapping_text: str) -> Path:
    source = write_csv(folder / f"{name}.csv", rows)
    mapping_path = folder / f"{name}.yaml"
    mapping_path.write_text(mapping_text, encoding="utf-8")
    db = folder / f"{name}.duckdb"
    report = importer.run([source], mapping.load(mapping_path), db)
    assert report.imported, report
    return db


HR_ROWS = [{"Agent": f"Agent {i}", "Team": ["Blue", "Green"][i % 2], "Hired": f"2019-0{1 + i % 9}-15",
            "Surveyed": f"2022-{3 + 3 * (i % 3):02d}-{10 + i:02d}", "Satisfaction": str(1 + i % 5)}
           for i in range(12)]


@pytest.fixture(scope="module")
def survey_only_store(tmp_path_factory) -> Path:
    """An HR export alone: agents and their survey answers, no contacts."""
    return import_into(tmp_path_factory.mktemp("hr"), "hr", HR_ROWS, HR_MAPPING)


# ---- the data range comes from the data ------------------------------------------------------------

def test_a_store_with_no_interactions_shows_the_period_of_what_it_holds(survey_only_store):
    surveyed = [dt.date.fromisoformat(r["Surveyed"]) for r in HR_ROWS]
    with store.open_read_only(survey_only_store) as con:
        choices = filters.read_choices(con)
    assert (choices.first_day, choices.last_day) == (min(surveyed), max(surveyed))
    assert dt.date.today() not in (choices.first_day, choices.last_day)


def test_a_store_with_no_dated_rows_has_no_period_and_the_app_says_so(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    with duckdb.connect(str(path)) as con:
        store.create_schema(con)
        rollups.build(con)
        coverage.record(con)
    with store.open_read_only(path) as con:
        choices = filters.read_choices(con)
    assert (choices.first_day, choices.last_day, choices.has_data) == (None, None, False)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    at = app()
    assert not at.exception and not at.error
    assert any("holds no data yet" in i.value and "python -m dashboard import" in i.value for i in at.info)


# ---- a call log with no waits and no resolution field, and one with some waits and levels unknown ----

NO_WAITS_MAPPING = """
source: {format: csv, separator: ",", header: true}
tables:
  teams:
    rows: distinct
    columns:
      team_name: Team
      site: Site
      manager_name: {constant: Not in the export}
  touchpoints:
    rows: distinct
    columns:
      touchpoint_name: Topic
      owner_unit: {constant: Service desk}
      sla_name: {constant: Answered within 30 s}
      sla_seconds: {constant: 30}
      sla_measure: {constant: wait_s}
  agents:
    rows: distinct
    where_present: Agent
    columns:
      agent_name: Agent
      team_name: Team
      hired_on: {column: Date, aggregate: min}
      authority_limit: {constant: 0}
  interactions:
    columns:
      interaction_id: Call
      customer_id: Customer
      team_name: Team
      touchpoint_name: Topic
      channel: Channel
      queued_at: {date: Date, time: Time}
      abandoned: {column: Outcome, true: [abandoned], false: [answered]}
      agent_name: {column: Agent, unless: abandoned}
      handle_s: {column: Talk seconds, unless: abandoned}
  customer_surveys:
    where_present: CSAT
    columns:
      interaction_id: Call
      answered_at: {date: Date, time: Time}
      csat: CSAT
"""

# the same export read with its queue times, exception flags and escalation levels, some of them blank
PARTIAL_MAPPING = NO_WAITS_MAPPING.replace("""      handle_s: {column: Talk seconds, unless: abandoned}
""", """      handle_s: {column: Talk seconds, unless: abandoned}
      wait_s: Queue seconds
      exception_requested: Exception
      escalation_depth: Escalation
""")

AGENTS = {"Ana": ("North", "Lisbon"), "Ben": ("North", "Lisbon"), "Cleo": ("South", "Porto"), "Dev": ("South", "Porto")}
WAITS = (5, 15, 45, 90, 200, 400, 900)   # one in each bucket of the wait charts


def call_log_rows() -> list[dict]:
    rows = []
    for i in range(240):
        agent = list(AGENTS)[i % 4]
        team, site = AGENTS[agent]
        abandoned = i % 7 == 3
        exception = not abandoned and i % 5 == 0
        rows.append({
            "Call": 1000 + i, "Agent": "" if abandoned else agent, "Team": team, "Site": site,
            "Customer": 1 + (i * 5) % 23, "Date": (dt.date(2024, 2, 1) + dt.timedelta(days=i // 3)).isoformat(),
            "Time": f"{9 + i % 8:02d}:{(i * 7) % 60:02d}:00", "Channel": ["phone", "chat"][i % 2],
            "Topic": ["Billing", "Orders", "Returns"][i % 3], "Outcome": "abandoned" if abandoned else "answered",
            "Talk seconds": "" if abandoned else str(60 + (i * 37) % 400),
            "Queue seconds": "" if i % 11 == 5 else str(WAITS[(i // 2) % 7]),
            "Exception": "Y" if exception else "N",
            "Escalation": ("" if i % 15 == 0 else str((i // 5) % 4)) if exception else "0",
            "CSAT": "" if abandoned or i % 2 else str(1 + (i * 3) % 5),
        })
    return rows


@pytest.fixture(scope="module")
def call_log(tmp_path_factory) -> Path:
    return write_csv(tmp_path_factory.mktemp("calls") / "calls.csv", call_log_rows())


def _import_call_log(call_log: Path, name: str, mapping_text: str) -> Path:
    mapping_path = call_log.parent / f"{name}.yaml"
    mapping_path.write_text(mapping_text, encoding="utf-8")
    db = call_log.parent / f"{name}.duckdb"
    report = importer.run([call_log], mapping.load(mapping_path), db)
    assert report.imported, report
    return db


@pytest.fixture(scope="module")
def no_waits_store(call_log) -> Path:
    """Contacts and CSAT answers with no waits, no resolution field and no escalation levels."""
    return _import_call_log(call_log, "no_waits", NO_WAITS_MAPPING)


@pytest.fixture(scope="module")
def partial_store(call_log) -> Path:
    """The same contacts with waits and escalation levels, some of them not recorded."""
    return _import_call_log(call_log, "partial", PARTIAL_MAPPING)


def raw_calls(call_log: Path) -> list[dict]:
    with open(call_log, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ---- the mechanism, without Streamlit ---------------------------------------------------------------

CHART = """
-- title: CSAT and FCR by wait
-- description: d
-- chart: bar
-- x: wait_bucket
-- y: [csat, fcr]
-- color: measure
-- needs: [interactions]
-- column_needs: {fcr: [interactions.resolved, interactions.customer_id], answers: customer_surveys.csat}
-- row_needs: {"Escalated": interactions.escalation_depth}
-- n: answers
-- unknown: no recorded wait
-- labels: {fcr: "FCR %", answers: "Survey answers (n)"}
select 1 as x
"""


def held(**supplied) -> coverage.Coverage:
    """A store's coverage by hand: tables with rows, and whether each named column was supplied."""
    entries = {}
    for need, is_supplied in supplied.items():
        table, _, column = need.partition("__")
        entries[(table, coverage.TABLE_ROW)] = coverage.Entry(True, 10, None, None)
        entries[(table, column)] = coverage.Entry(is_supplied, 10 if is_supplied else 0, None, None)
    return coverage.Coverage(entries)


@pytest.fixture
def chart(tmp_path) -> catalogue.Query:
    path = tmp_path / "chart.sql"
    path.write_text(CHART.lstrip(), encoding="utf-8")
    return catalogue.parse_query_file(path)


def test_the_header_declares_needs_per_column_per_series_and_the_count_behind_a_row(chart):
    assert chart.column_needs == {"fcr": ("interactions.resolved", "interactions.customer_id"),
                                  "answers": ("customer_surveys.csat",)}
    assert chart.row_needs == {"Escalated": ("interactions.escalation_depth",)}
    assert (chart.spec.n, chart.spec.unknown) == ("answers", "no recorded wait")


@pytest.mark.parametrize("line, text, number", [
    ("-- column_needs: {fcr: interactions.nosuch}", "column_needs 'interactions.nosuch': not a store table", 5),
    ("-- column_needs: [interactions.resolved]", "column_needs must map names to needs", 5),
    ("-- row_needs: {FCR: nosuch}", "row_needs 'nosuch': not a store table", 5),
    ("-- n: [a, b]", "n must be one column name", 5),
])
def test_a_bad_needs_field_is_named_at_its_line(tmp_path, line, text, number):
    path = tmp_path / "bad.sql"
    path.write_text(f"-- title: t\n-- description: d\n-- chart: bar\n-- x: a\n{line}\n-- y: b\nselect 1 as a, 2 as b\n")
    with pytest.raises(catalogue.QueryFileError) as caught:
        catalogue.parse_query_file(path)
    assert caught.value.line == number and text in caught.value.message


def test_a_column_without_its_inputs_is_blank_not_zero_and_the_note_says_why(chart):
    frame = pl.DataFrame({"wait_bucket": ["0-10 s", "10 min+"], "measure": ["CSAT", "CSAT"],
                          "csat": [50.0, 40.0], "fcr": [0.0, 0.0], "answers": [3, 4]})
    store_held = held(interactions__resolved=False, interactions__customer_id=True, customer_surveys__csat=True,
                      interactions__escalation_depth=True)
    blanked = nodata.blank(chart, frame, store_held)
    assert blanked["fcr"].null_count() == 2 and blanked["fcr"].dtype == pl.Float64
    assert blanked["csat"].to_list() == [50.0, 40.0] and blanked["answers"].to_list() == [3, 4]
    assert nodata.notes(chart, store_held) == [
        "No data for FCR %: this store has no resolution field (interactions.resolved was not imported)."]
    assert nodata.all_y_absent(chart, store_held) == []


def test_a_series_without_its_inputs_is_dropped_and_named(chart):
    frame = pl.DataFrame({"wait_bucket": ["0-10 s", "0-10 s"], "measure": ["CSAT", "Escalated"],
                          "csat": [50.0, 0.0], "fcr": [1.0, 0.0], "answers": [3, 4]})
    store_held = held(interactions__resolved=True, interactions__customer_id=True, customer_surveys__csat=True,
                      interactions__escalation_depth=False)
    assert nodata.blank(chart, frame, store_held)["measure"].to_list() == ["CSAT"]
    assert nodata.notes(chart, store_held) == ["No data for Escalated: this store has no escalation levels "
                                               "(interactions.escalation_depth was not imported)."]


def test_a_chart_whose_every_y_is_blank_has_no_data(chart):
    store_held = held(interactions__resolved=False, interactions__customer_id=False)
    no_csat = replace(chart, column_needs={**chart.column_needs, "csat": ("customer_surveys",)})
    assert nodata.all_y_absent(chart, store_held) == []
    reasons = nodata.all_y_absent(no_csat, store_held)
    assert len(reasons) == 3 and "customer_surveys is empty" in reasons[0]
    assert nodata.message(reasons).startswith("No data: no customer survey answers were imported")
    assert "python -m dashboard import" in nodata.message(reasons)


def test_rows_of_an_unknown_bucket_are_left_out_and_counted_from_n(chart):
    frame = pl.DataFrame({"wait_bucket": ["0-10 s", None, "10 min+", None], "measure": ["CSAT"] * 4,
                          "csat": [50.0, 10.0, 40.0, 20.0], "fcr": [1.0] * 4, "answers": [3, 1200, 4, 34]})
    drawn, left_out = nodata.split_unknown(chart.spec, frame)
    assert drawn["wait_bucket"].to_list() == ["0-10 s", "10 min+"]
    assert left_out.text() == "1,234 survey answers left out: no recorded wait."
    without_n = chart.spec.but(n=None, unknown=None)
    assert nodata.split_unknown(without_n, frame)[1].text() == "2 rows left out: wait bucket unknown."
    known = frame.drop_nulls("wait_bucket")
    drawn, left_out = nodata.split_unknown(chart.spec, known)
    assert drawn.equals(known) and left_out is None


# ---- every shipped query, on the stores ------------------------------------------------------------

QUERIES = catalogue.load(config.queries_dir())


def result(db: Path, name: str, **narrow) -> tuple[pl.DataFrame, coverage.Coverage, catalogue.Query]:
    """A query's result as the pages get it (blanked by the store's coverage), for the store's default
    period."""
    query = QUERIES.get(name)
    with store.open_read_only(db) as con:
        held_now = coverage.read(con)
        values = {**filters.read_choices(con).defaults().as_params(), **catalogue.page_param_defaults(), **narrow}
        frame = catalogue.execute(con, query, values)
    return nodata.blank(query, frame, held_now), held_now, query


def test_every_column_a_header_names_is_a_column_of_its_result(store_path):
    for query in QUERIES.queries:
        frame, _, _ = result(store_path, query.name)
        named = set(query.column_needs) | ({query.spec.n} if query.spec.n else set())
        assert named <= set(frame.columns), (query.name, named - set(frame.columns))


@pytest.mark.parametrize("name", [q.name for q in QUERIES.queries if q.spec.kind != "kpi"])
def test_on_the_demo_store_nothing_is_blanked_or_dropped(store_path, name):
    query = QUERIES.get(name)
    with store.open_read_only(store_path) as con:
        held_now = coverage.read(con)
        frame = catalogue.execute(con, query, {**filters.read_choices(con).defaults().as_params(),
                                               **catalogue.page_param_defaults()})
    assert nodata.chart_reasons(query, held_now) == [] and nodata.notes(query, held_now) == []
    assert nodata.blank(query, frame, held_now).equals(frame)
    assert nodata.split_unknown(query.spec, frame)[1] is None   # every demo contact has its wait and level


PWC_ABSENT = {   # a chart the PwC sample cannot feed -> words of the reason it gives
    "attrition_by_site": "no leaving dates", "attrition_by_team": "no leaving dates",
    "attrition_site_trend": "no leaving dates", "attrition_agent_tenure": "no leaving dates",
    "attrition_customer_churn": "no customer records", "escalations_weekly_rate": "no escalation levels",
    "escalations_depth_distribution": "no escalation levels", "escalations_what_if": "no escalation levels",
    "escalations_fcr_by_depth": "no customer ids to tell repeat contacts apart",
    "management_requests_by_kind": "no agent requests", "management_survey_items": "no agent survey answers",
    "management_training_buckets": "no training records", "customer_vs_agent_team_months": "no agent survey answers",
}


@pytest.mark.parametrize("name, words", PWC_ABSENT.items())
def test_a_chart_without_its_inputs_says_no_data_and_why_on_the_pwc_store(pwc_store_path, name, words):
    with store.open_read_only(pwc_store_path) as con:
        reasons = nodata.chart_reasons(QUERIES.get(name), coverage.read(con))
    assert any(words in reason for reason in reasons), reasons


def test_pwc_teams_tables_show_no_escalation_fcr_or_agent_satisfaction_rather_than_zero(pwc_store_path):
    for name in ("teams_team_table", "teams_agent_table"):
        frame, held_now, query = result(pwc_store_path, name)
        # one agent's own survey answers are never shown: the agents table has no such column
        agent_side = ("agent_satisfaction_pct", "agent_survey_answers") if name == "teams_team_table" else ()
        assert name == "teams_team_table" or "agent_satisfaction_pct" not in frame.columns
        for column in ("escalation_pct", "fcr_pct", *agent_side):
            assert frame[column].null_count() == frame.height > 0, (name, column)
        assert frame["aht_s"].null_count() == 0 and frame["survey_answers"].sum() > 0
        notes = " ".join(nodata.notes(query, held_now))
        assert "Escalation %: this store has no escalation levels" in notes
        assert "FCR %: this store has no customer ids" in notes
        assert ("agent_surveys is empty" in notes) == bool(agent_side)


def test_pwc_months_show_no_agent_side_rather_than_zero_answers(pwc_store_path):
    frame, _, _ = result(pwc_store_path, "customer_vs_agent_monthly")
    assert frame["agent_answers"].null_count() == frame["agent_satisfaction"].null_count() == frame.height == 3
    with open(PWC_CSV, newline="", encoding="utf-8") as handle:
        rated = sum(1 for row in csv.DictReader(handle) if row["Satisfaction rating"])
    assert frame["customer_answers"].sum() == rated


def test_pwc_agent_trend_has_no_data_at_all(pwc_store_path):
    _, held_now, query = result(pwc_store_path, "overview_agent_trend")
    reasons = nodata.all_y_absent(query, held_now)
    assert len(reasons) == 3 and any("leaving dates" in r for r in reasons)


def test_without_waits_every_wait_figure_says_so(no_waits_store):
    for name in ("wait_times_csat_by_wait", "wait_times_abandon_by_wait"):
        _, held_now, query = result(no_waits_store, name)
        assert nodata.chart_reasons(query, held_now) == [
            "this store has no waiting times (interactions.wait_s was not imported)"]
    for name, columns in (("wait_times_by_hour", {"asa", "service_level"}),
                          ("overview_customer_trend", {"service_level"})):
        frame, held_now, query = result(no_waits_store, name)
        assert set(nodata.absent_columns(query, held_now)) == columns
        assert all(frame[c].null_count() == frame.height for c in columns)
    frame, _, _ = result(no_waits_store, "overview_customer_trend")
    assert frame["abandon_rate"].null_count() == 0 and frame["csat"].null_count() == 0


def test_without_a_resolution_field_fcr_is_blank_and_the_scorecard_judges_nothing(no_waits_store, call_log):
    frame, held_now, query = result(no_waits_store, "teams_team_table")
    assert frame["fcr_pct"].null_count() == frame.height == 2
    assert "FCR %: this store has no resolution field" in " ".join(nodata.notes(query, held_now))
    rows = raw_calls(call_log)
    answered = {team: sum(1 for r in rows if r["Team"] == team and r["Outcome"] == "answered") for team in ("North", "South")}
    assert dict(frame.select("team_name", "answered").iter_rows()) == answered
    card, _, _ = result(no_waits_store, "management_touchpoint_scorecard")
    assert card["Attainment %"].null_count() == card["Low %"].null_count() == card.height == 3
    assert card["Judged"].to_list() == [0, 0, 0]
    assert all(m.startswith("wait (not in this store") for m in card["Measured on"])
    for name in ("escalations_fcr_by_depth", "escalations_resolution_by_depth"):
        assert "this store has no resolution field (interactions.resolved was not imported)" in \
            nodata.chart_reasons(QUERIES.get(name), held_now)


BUCKETS = ((10, "0-10 s"), (30, "10-30 s"), (60, "30-60 s"), (120, "1-2 min"), (300, "2-5 min"), (600, "5-10 min"),
           (None, "10 min+"))


def _bucket(wait: int) -> str:
    return next(label for bound, label in BUCKETS if bound is None or wait < bound)


def test_an_unknown_wait_never_lands_in_a_bucket(partial_store, call_log):
    rows = [r for r in raw_calls(call_log) if r["Outcome"] == "answered" and r["CSAT"]]
    frame, _, query = result(partial_store, "wait_times_csat_by_wait")
    drawn, left_out = nodata.split_unknown(query.spec, frame)
    unknown = sum(1 for r in rows if not r["Queue seconds"])
    assert unknown > 0 and left_out.text() == f"{unknown} survey answers left out: no recorded wait before answer."
    expected = {label: 0 for _, label in BUCKETS}   # every bucket shows, even an empty one
    for r in rows:
        if r["Queue seconds"]:
            expected[_bucket(int(r["Queue seconds"]))] += 1
    assert dict(drawn.select("wait_bucket", "survey_answers").iter_rows()) == expected
    assert drawn["survey_answers"].sum() + unknown == len(rows)


def test_contacts_with_no_time_in_queue_are_counted_once_not_per_line(partial_store, call_log):
    rows = raw_calls(call_log)
    frame, _, query = result(partial_store, "wait_times_abandon_by_wait")
    drawn, left_out = nodata.split_unknown(query.spec, frame)
    unknown = sum(1 for r in rows if not r["Queue seconds"])
    assert left_out.text() == f"{unknown} contacts left out: no recorded time in queue."
    pooled = drawn.filter(pl.col("series") == "All channels")
    assert pooled["offered"].sum() == len(rows) - unknown
    ten_plus = [r for r in rows if r["Queue seconds"] and int(r["Queue seconds"]) >= 600]
    top = pooled.filter(pl.col("wait_bucket") == "10 min+").row(0, named=True)
    assert (top["offered"], top["abandoned"]) == (len(ten_plus), sum(r["Outcome"] == "abandoned" for r in ten_plus))


def test_an_unknown_escalation_level_is_no_level(partial_store, call_log):
    rows = [r for r in raw_calls(call_log) if r["Outcome"] == "answered" and r["CSAT"]]
    frame, _, query = result(partial_store, "escalations_csat_by_depth")
    drawn, left_out = nodata.split_unknown(query.spec, frame)
    unknown = sum(1 for r in rows if r["Exception"] == "Y" and not r["Escalation"])
    assert unknown > 0
    assert left_out.text() == f"{unknown} survey answers left out: no recorded exception request or escalation level."
    senior = drawn.filter(pl.col("decided_by") == "3 · senior management")["survey_answers"].sum()
    assert senior == sum(1 for r in rows if r["Exception"] == "Y" and r["Escalation"] == "3")
    shares, _, query = result(partial_store, "escalations_depth_distribution")
    drawn, left_out = nodata.split_unknown(query.spec, shares)
    answered = [r for r in raw_calls(call_log) if r["Outcome"] == "answered"]
    assert left_out.count == sum(1 for r in answered if not r["Escalation"])
    every = drawn.filter(pl.col("contacts_in") == "All answered contacts")
    assert every["contacts"].sum() == every["total_contacts"][0] == len(answered) - left_out.count
    assert every["share_pct"].sum() == pytest.approx(100.0)


# ---- every page, as a reader sees it -----------------------------------------------------------------

ZERO_PERCENT = re.compile(r"(?<![\d.])0(?:\.0+)? ?%")

# page -> words each store's page must show in its "No data" notes (each absent section says why)
WHY = {
    "pwc": {
        "overview.py": ["no leaving dates", "no agent survey answers"],
        "customer_vs_agent.py": ["No data: no agent survey answers", "No data for Agent satisfaction %"],
        "wait_times.py": ["946 contacts left out: no recorded time in queue"],
        "escalations.py": ["No data: this store has no escalation levels"] * 9,
        "attrition.py": ["No data: this store has no leaving dates"] * 5 + ["No data: no customer records"],
        "management.py": ["No data: no agent requests"] * 4 + ["No data: no training records"] * 2
                         + ["No data: no agent survey answers"],
        "teams.py": ["No data for FCR %: this store has no customer ids", "No data for Escalation %",
                     "No data for Agent satisfaction %"],
        "queries.py": ["No data: no training records"],
    },
    "no_waits": {
        "overview.py": ["No data for Service level % (20 s): this store has no waiting times", "no leaving dates"],
        "customer_vs_agent.py": ["No data: no agent survey answers"],
        "wait_times.py": ["No data: this store has no waiting times"] * 3,
        "escalations.py": ["No data: this store has no escalation levels"] * 9,
        "attrition.py": ["No data: this store has no leaving dates"] * 5 + ["No data: no customer records"],
        "management.py": ["No data: no agent requests"] * 4 + ["No data: no training records"] * 2
                         + ["No data: no agent survey answers"],
        "teams.py": ["No data for FCR %: this store has no resolution field", "No data for Escalation %"],
        "queries.py": ["No data: no training records"],
    },
}


def shown_texts(at: AppTest, page: str) -> list[str]:
    """Every text a reader sees on the page: notes, captions, metrics (the overview's KPI tiles too)
    and table cells."""
    texts = [e.value for kind in ("info", "caption", "markdown", "warning", "subheader") for e in at.get(kind)]
    texts += [str(m.value) for m in at.metric]
    for table in at.dataframe:
        frame = table.value
        texts += [str(v) for column in frame.columns if frame[column].dtype == object for v in frame[column]]
    return texts


def percent_zeros(at: AppTest) -> list[str]:
    """Percentage columns of the tables on the page holding exactly 0 (a rate computed from nothing)."""
    found = []
    for table in at.dataframe:
        frame = table.value
        if list(frame.columns)[:1] == ["Agents"]:   # the Erlang C what-if: a model's output, not data
            continue
        for column in frame.columns:
            if ("%" in column or "pct" in column or "rate" in column) and frame[column].dtype != object:
                if (frame[column] == 0).any():
                    found.append(column)
    return found


@pytest.fixture(params=["pwc", "no_waits"])
def sample_store(request, monkeypatch):
    path = request.getfixturevalue("pwc_store_path" if request.param == "pwc" else "no_waits_store")
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    return request.param


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_why_and_never_shows_zero_percent_for_an_absent_input(sample_store, page):
    at = app()
    at.switch_page(f"views/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    texts = shown_texts(at, page)
    assert [t for t in texts if ZERO_PERCENT.search(t)] == []
    assert percent_zeros(at) == []
    notes = [i.value for i in at.info]
    for words in set(WHY[sample_store].get(page, [])):
        expected = WHY[sample_store][page].count(words)
        assert sum(words in note for note in notes) >= expected, (words, notes)
    for note in notes:
        if note.startswith("No data:"):
            assert "python -m dashboard import" in note


def test_a_header_naming_a_column_the_query_lacks_is_shown_in_place(chart):
    frame = pl.DataFrame({"wait_bucket": ["0-10 s"], "measure": ["CSAT"], "csat": [50.0], "fcr": [1.0]})
    assert nodata.unknown_columns(chart, frame) == ["answers"]
    assert nodata.unknown_columns(replace(chart, spec=chart.spec.but(n="csat"), column_needs={}), frame) == []


def test_a_chart_whose_rows_hold_no_value_is_not_drawn_empty(chart):
    frame = pl.DataFrame({"wait_bucket": ["0-10 s"], "measure": ["CSAT"], "csat": [None], "fcr": [None],
                          "answers": [0]}, schema_overrides={"csat": pl.Float64, "fcr": pl.Float64})
    assert nodata.nothing_to_plot(chart.spec, frame) and nodata.nothing_to_plot(chart.spec, frame.clear())
    assert not nodata.nothing_to_plot(chart.spec, frame.with_columns(pl.lit(1.0).alias("fcr")))
