"""Issue 9: common export shapes import with a mapping in data/mappings/ and no edit to the file.

Each sample in tests/data (written by tests/data/make_samples.py, except the Baltimore 311 export,
which is real) is imported into a new store, and the store's figures are compared with figures
computed here from the raw file with the csv module: what each mapping's comments say the export
means, computed a second time without the importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import ROOT

from dashboard import catalogue, config, filters, importer, mapping, store

DATA = ROOT / "tests" / "data"
MAPPINGS = ROOT / "data" / "mappings"


# -- helpers ----------------------------------------------------------------------------------------

def read_rows(name: str, delimiter: str = ",") -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def rows_of(db: Path, sql: str) -> list[tuple]:
    with store.open_read_only(db) as con:
        return con.sql(sql).fetchall()


def one(db: Path, sql: str):
    return rows_of(db, sql)[0][0]


def kpis(db: Path, query_name: str, first: dt.date, last: dt.date) -> dict:
    """The overview's own KPI query over [first, last], as the app runs it."""
    query = catalogue.load(config.queries_dir()).get(query_name)
    with store.open_read_only(db) as con:
        return catalogue.execute(con, query, filters.Filters(first, last).as_params()).row(0, named=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Imported:
    """A sample imported into a new store with its shipped mapping."""

    def __init__(self, tmp_path_factory, sample: str, mapping_file: str):
        self.sample = DATA / sample
        before = sha256(self.sample)
        self.db = tmp_path_factory.mktemp(Path(sample).stem) / "store.duckdb"
        self.report = importer.run([self.sample], mapping.load(MAPPINGS / mapping_file), self.db)
        assert sha256(self.sample) == before, "the import must not touch the export"


def import_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "import", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def stable_id(*cells: str) -> int:
    """mapping-spec.md: a key from columns: is the first 62 bits of the MD5 of the cells joined with
    the unit separator (one cell: the cell itself)."""
    return int.from_bytes(hashlib.md5("\x1f".join(cells).encode("utf-8")).digest()[:8], "big") >> 2


def seconds(text: str) -> int:
    h, m, s = (int(part) for part in text.split(":"))
    return h * 3600 + m * 60 + s


# -- 1. ACD call log (Anonymous Bank shape) ------------------------------------------------------

ACD_DAY = "%y%m%d"


@pytest.fixture(scope="module")
def acd_rows() -> list[dict]:
    return read_rows("acd_calls.tsv", delimiter="\t")


@pytest.fixture(scope="module")
def acd(tmp_path_factory) -> Imported:
    return Imported(tmp_path_factory, "acd_calls.tsv", "acd_call_log.yaml")


def acd_kept(rows: list[dict]) -> list[dict]:
    """Phantom calls and hang-ups in the VRU (never queued) are not contacts."""
    return [r for r in rows if r["outcome"] != "PHANTOM" and not (r["outcome"] == "HANG" and int(r["q_time"]) == 0)]


def test_acd_log_offers_answers_and_abandons_as_the_file_says(acd, acd_rows):
    kept = acd_kept(acd_rows)
    answered = [r for r in kept if r["outcome"] == "AGENT"]
    abandoned = [r for r in kept if r["outcome"] == "HANG"]
    assert all(int(r["q_time"]) > 0 for r in abandoned)
    assert len(kept) == len(answered) + len(abandoned)
    assert one(acd.db, "select count(*) from interactions") == len(kept)
    assert one(acd.db, "select count(*) from interactions where abandoned") == len(abandoned)
    assert one(acd.db, "select count(*) from interactions where not abandoned") == len(answered)
    assert one(acd.db, "select avg(wait_s) from interactions where not abandoned") == pytest.approx(
        statistics.mean(int(r["q_time"]) for r in answered), rel=1e-12)
    assert one(acd.db, "select avg(wait_s) from interactions where abandoned") == pytest.approx(
        statistics.mean(int(r["q_time"]) for r in abandoned), rel=1e-12)
    assert one(acd.db, "select avg(handle_s) from interactions where not abandoned") == pytest.approx(
        statistics.mean(int(r["ser_time"]) for r in answered), rel=1e-12)
    # a lost call has no agent, answer or handle time
    assert one(acd.db, "select count(*) from interactions where abandoned and "
                       "(agent_id is not null or answered_at is not null or handle_s is not null)") == 0


def test_acd_report_counts_the_rows_dropped_by_value(acd, acd_rows):
    dropped = len(acd_rows) - len(acd_kept(acd_rows))
    phantoms = sum(r["outcome"] == "PHANTOM" for r in acd_rows)
    assert phantoms and dropped > phantoms   # both rules drop rows in the sample
    assert f"{dropped} rows dropped by source.drop_rows" in acd.report.text()


def test_acd_calls_no_agent_took_make_no_agent_and_are_counted(acd, acd_rows):
    unserved = sum(r["server"] in ("", "NO_SERVER") for r in acd_kept(acd_rows))
    assert unserved
    assert f"  {unserved} rows name no agent_name: no agents row from them" in acd.report.text().splitlines()


def test_acd_overview_kpis_equal_the_file(acd, acd_rows):
    kept = acd_kept(acd_rows)
    answered = [int(r["q_time"]) for r in kept if r["outcome"] == "AGENT"]
    abandoned = [int(r["q_time"]) for r in kept if r["outcome"] == "HANG"]
    days = sorted(dt.datetime.strptime(r["date"], ACD_DAY).date() for r in kept)
    row = kpis(acd.db, "overview_customer_kpis", days[0], days[-1])
    assert row["abandon_rate"] == pytest.approx(100 * len(abandoned) / len(kept), rel=1e-12)
    assert row["asa"] == pytest.approx(sum(answered) / len(answered), rel=1e-12)
    assert row["aht"] == pytest.approx(sum(int(r["ser_time"]) for r in kept if r["outcome"] == "AGENT")
                                       / len(answered), rel=1e-12)
    within = sum(w <= 20 for w in answered)
    late_abandons = sum(w > 20 for w in abandoned)
    assert row["service_level"] == pytest.approx(100 * within / (len(answered) + late_abandons), rel=1e-12)


def test_acd_key_is_line_and_call_id_together(acd, acd_rows):
    kept = acd_kept(acd_rows)
    assert len({r["call_id"] for r in kept}) < len(kept)   # the sample repeats call ids across lines
    ids = {stable_id(r["vru+line"], r["call_id"]) for r in kept}
    assert len(ids) == len(kept)
    assert {i for (i,) in rows_of(acd.db, "select interaction_id from interactions")} == ids


def test_acd_times_cross_midnight_onto_the_next_day(acd, acd_rows):
    def at(day: str, clock: str) -> dt.datetime:
        return dt.datetime.strptime(day, ACD_DAY) + dt.timedelta(seconds=seconds(clock))

    expected = {}
    for r in acd_kept(acd_rows):
        if r["outcome"] != "AGENT":
            continue
        queued = at(r["date"], r["vru_exit"])
        answered = at(r["date"], r["ser_start"])
        answered += dt.timedelta(days=1) if answered < queued else dt.timedelta(0)
        ended = answered + dt.timedelta(seconds=seconds(r["ser_exit"]) - seconds(r["ser_start"]))
        ended += dt.timedelta(days=1) if ended < answered else dt.timedelta(0)
        expected[stable_id(r["vru+line"], r["call_id"])] = (queued, answered, ended)
    crossing = [v for v in expected.values() if v[2].date() > v[0].date()]
    assert len(crossing) >= 3
    got = {i: (q, a, e) for i, q, a, e in rows_of(
        acd.db, "select interaction_id, queued_at, answered_at, ended_at from interactions where not abandoned")}
    assert got == expected
    assert one(acd.db, "select count(*) from interactions where not abandoned "
                       "and epoch(ended_at - answered_at) <> handle_s") == 0


def test_acd_agents_customers_and_touchpoints(acd, acd_rows):
    kept = acd_kept(acd_rows)
    answered = [r for r in kept if r["outcome"] == "AGENT"]
    per_agent = Counter(r["server"] for r in answered)
    assert dict(rows_of(acd.db, "select a.agent_name, count(*) from interactions join agents as a using (agent_id) "
                                "group by all")) == per_agent
    assert one(acd.db, "select count(*) from agents") == len(per_agent) >= 5
    first_day = {}
    for r in answered:
        day = dt.datetime.strptime(r["date"], ACD_DAY).date()
        first_day[r["server"]] = min(first_day.get(r["server"], day), day)
    assert dict(rows_of(acd.db, "select agent_name, hired_on from agents")) == first_day
    assert one(acd.db, "select count(*) from interactions where customer_id is null") == sum(
        r["customer_id"] == "0" for r in kept)
    assert one(acd.db, "select count(distinct customer_id) from interactions") == len(
        {r["customer_id"] for r in kept} - {"0"})
    by_type = Counter(r["type"] for r in kept)
    names = {"PS": "Regular service", "PE": "Regular service in English", "IN": "Internet support",
             "NE": "Stock exchange", "NW": "Prospective customers", "TT": "Call-back requests"}
    assert dict(rows_of(acd.db, "select tp.touchpoint_name, count(*) from interactions "
                                "join touchpoints as tp using (touchpoint_id) group by all")) == {
        names[t]: n for t, n in by_type.items()}


# -- 2. ServiceNow incident event log (UCI shape) ------------------------------------------------

SERVICENOW_TIME = "%d/%m/%Y %H:%M"


def servicenow(text: str) -> dt.datetime | None:
    return None if text == "?" else dt.datetime.strptime(text, SERVICENOW_TIME)


def depth_of(reassignments: int) -> int:
    """The mapping's bands: 0 -> 0, 1 -> 1, 2-3 -> 2, 4+ -> 3."""
    return 0 if reassignments == 0 else 1 if reassignments == 1 else 2 if reassignments <= 3 else 3


@pytest.fixture(scope="module")
def incident_rows() -> list[dict]:
    return read_rows("incident_events.csv")


@pytest.fixture(scope="module")
def final_updates(incident_rows) -> dict[str, dict]:
    """Each incident's last update by sys_updated_at (the file's order is not the time order)."""
    by_number = defaultdict(list)
    for r in incident_rows:
        by_number[r["number"]].append(r)
    return {n: max(rows, key=lambda r: servicenow(r["sys_updated_at"])) for n, rows in by_number.items()}


@pytest.fixture(scope="module")
def incidents(tmp_path_factory) -> Imported:
    return Imported(tmp_path_factory, "incident_events.csv", "incident_event_log.yaml")


def test_incident_log_folds_into_one_contact_per_incident(incidents, incident_rows, final_updates):
    assert len(incident_rows) > 3 * len(final_updates)
    assert Counter(r["number"] for r in incident_rows)["INC0000045"] > 1
    assert one(incidents.db, "select count(*) from interactions") == len(final_updates)
    assert {i for (i,) in rows_of(incidents.db, "select interaction_id from interactions")} == {
        int(n.removeprefix("INC")) for n in final_updates}


def test_incident_final_state_is_the_last_update_in_time_not_in_the_file(incidents, incident_rows,
                                                                         final_updates):
    last_in_file = {r["number"]: r for r in incident_rows}
    out_of_order = [n for n, r in final_updates.items() if last_in_file[n] is not r]
    assert len(out_of_order) >= 5
    # the sample is only a test of `last` if the file's last row would give another answer
    assert any(last_in_file[n]["incident_state"] != final_updates[n]["incident_state"] for n in out_of_order)
    expected = {}
    for number, r in final_updates.items():
        reassignments = int(r["reassignment_count"])
        ended = servicenow(r["resolved_at"])
        opened = servicenow(r["opened_at"])
        expected[int(number.removeprefix("INC"))] = (
            r["incident_state"] in ("Resolved", "Closed"), depth_of(reassignments), reassignments,
            "Service desk" if r["assignment_group"] == "?" else r["assignment_group"],
            None if r["assigned_to"] == "?" else r["assigned_to"], opened, ended,
            None if ended is None else int((ended - opened).total_seconds()), r["category"])
    got = rows_of(incidents.db, """
        select i.interaction_id, i.resolved, i.escalation_depth, i.transfers, t.team_name, a.agent_name,
               i.queued_at, i.ended_at, i.resolution_s, tp.touchpoint_name
        from interactions as i join teams as t using (team_id) join touchpoints as tp using (touchpoint_id)
        left join agents as a using (agent_id)""")
    assert {row[0]: row[1:] for row in got} == expected


def test_incident_figures(incidents, final_updates):
    finals = list(final_updates.values())
    resolved = [r for r in finals if r["incident_state"] in ("Resolved", "Closed")]
    assert one(incidents.db, "select count(*) from interactions where resolved") == len(resolved)
    assert one(incidents.db, "select count(*) from interactions where not resolved") == len(finals) - len(resolved)
    depths = Counter(depth_of(int(r["reassignment_count"])) for r in finals)
    assert max(int(r["reassignment_count"]) for r in finals) >= 5 and depths[3] >= 3
    assert dict(rows_of(incidents.db, "select escalation_depth, count(*) from interactions group by all")) == depths
    durations = [(servicenow(r["resolved_at"]) - servicenow(r["opened_at"])).total_seconds() for r in resolved]
    assert one(incidents.db, "select avg(resolution_s) from interactions where resolved") == pytest.approx(
        statistics.mean(durations), rel=1e-12)
    channels = {"Phone": "phone", "IVR": "phone", "Direct opening": "phone", "Email": "messaging",
                "Self service": "messaging"}
    assert dict(rows_of(incidents.db, "select channel, count(*) from interactions group by all")) == Counter(
        channels[r["contact_type"]] for r in finals)
    opened = sorted(servicenow(r["opened_at"]).date() for r in finals)
    row = kpis(incidents.db, "overview_customer_kpis", opened[0], opened[-1])
    assert row["escalation_rate"] == pytest.approx(100 * (len(finals) - depths[0]) / len(finals), rel=1e-12)


def test_incident_fold_ordered_by_the_update_time_is_right_or_refused(incident_rows, final_updates, tmp_path):
    """The natural mapping orders by sys_updated_at (29/2/2016 01:16): with its format it folds in time
    order (the shipped mapping, whose figures the tests above check); without one it is refused, never
    folded in the order of the words."""
    text = (MAPPINGS / "incident_event_log.yaml").read_text(encoding="utf-8")
    shipped = 'order_by: {column: sys_updated_at, format: "%d/%m/%Y %H:%M"}'
    assert shipped in text
    times = [r["sys_updated_at"] for r in incident_rows]
    assert sorted(times) != sorted(times, key=servicenow)   # as words the update times are out of order
    db = tmp_path / "store.duckdb"
    importer.run([DATA / "incident_events.csv"], mapping.load(MAPPINGS / "incident_event_log.yaml"), db)
    assert dict(rows_of(db, "select interaction_id, resolved from interactions")) == {
        int(n.removeprefix("INC")): r["incident_state"] in ("Resolved", "Closed") for n, r in final_updates.items()}
    plain = tmp_path / "incidents_by_time.yaml"
    plain.write_text(text.replace(shipped, "order_by: sys_updated_at"), encoding="utf-8")
    with pytest.raises(mapping.MappingError) as refused:
        importer.run([DATA / "incident_events.csv"], mapping.load(plain), tmp_path / "never.duckdb")
    assert refused.value.where == "tables.interactions.order_by"
    assert "'sys_updated_at' in incident_events.csv" in refused.value.message
    assert not (tmp_path / "never.duckdb").exists()


def test_incident_agents_and_groups(incidents, incident_rows):
    resolvers = {r["assigned_to"]: r["assignment_group"] for r in incident_rows if r["assigned_to"] != "?"}
    unassigned = sum(r["assigned_to"] in ("", "?") for r in incident_rows)
    assert f"  {unassigned} rows name no agent_name: no agents row from them" in incidents.report.text().splitlines()
    assert dict(rows_of(incidents.db, "select a.agent_name, t.team_name from agents as a join teams as t "
                                      "using (team_id)")) == resolvers
    groups = {r["assignment_group"] for r in incident_rows} - {"?"}
    assert {t for (t,) in rows_of(incidents.db, "select team_name from teams")} == groups | {"Service desk"}


# -- 3. Helpdesk ticket export: multi-line quoted fields, CRLF, open tickets ---------------------

TICKET_TIME = "%Y-%m-%d %H:%M"


def ticket_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, TICKET_TIME)


@pytest.fixture(scope="module")
def ticket_rows() -> list[dict]:
    return read_rows("support_tickets.csv")


@pytest.fixture(scope="module")
def tickets(tmp_path_factory) -> Imported:
    return Imported(tmp_path_factory, "support_tickets.csv", "support_tickets.yaml")


def test_ticket_sample_has_the_quirks_it_is_for(ticket_rows):
    raw = (DATA / "support_tickets.csv").read_bytes()
    assert raw.count(b"\r\n") >= len(ticket_rows) + 1   # CRLF line ends
    assert raw.count(b"\n") > len(ticket_rows) + 1      # more lines than records: multi-line fields
    descriptions = [r["Description"] for r in ticket_rows]
    assert any("\n" in d and "," in d for d in descriptions) and any('"' in d for d in descriptions)
    assert any(r["Status"] != "Closed" and not r["First Response"] for r in ticket_rows)


def test_tickets_import_every_record(tickets, ticket_rows):
    assert one(tickets.db, "select count(*) from interactions") == len(ticket_rows)
    assert {i for (i,) in rows_of(tickets.db, "select interaction_id from interactions")} == {
        int(r["Ticket ID"].removeprefix("TCK-")) for r in ticket_rows}


def test_ticket_figures(tickets, ticket_rows):
    responded = [r for r in ticket_rows if r["First Response"]]
    closed = [r for r in ticket_rows if r["Status"] == "Closed"]
    assert one(tickets.db, "select count(*) from interactions where abandoned") == 0
    assert one(tickets.db, "select count(*) from interactions where answered_at is null and wait_s is null") == (
        len(ticket_rows) - len(responded))
    assert one(tickets.db, "select avg(wait_s) from interactions") == pytest.approx(statistics.mean(
        (ticket_time(r["First Response"]) - ticket_time(r["Created"])).total_seconds() for r in responded), rel=1e-12)
    assert one(tickets.db, "select avg(handle_s) from interactions") == pytest.approx(
        statistics.mean(60 * int(r["Time Spent (min)"]) for r in ticket_rows if r["Time Spent (min)"]), rel=1e-12)
    assert one(tickets.db, "select count(*) from interactions where resolved") == len(closed)
    assert one(tickets.db, "select count(*) from interactions where resolved is null") == len(ticket_rows) - len(closed)
    assert one(tickets.db, "select avg(resolution_s) from interactions where resolved") == pytest.approx(
        statistics.mean((ticket_time(r["Resolved"]) - ticket_time(r["Created"])).total_seconds() for r in closed),
        rel=1e-12)
    channels = {"Email": "messaging", "Social media": "messaging", "Chat": "chat", "Phone": "phone"}
    assert dict(rows_of(tickets.db, "select channel, count(*) from interactions group by all")) == Counter(
        channels[r["Channel"]] for r in ticket_rows)
    agents = {r["Agent"] for r in ticket_rows if r["Agent"]}
    assert one(tickets.db, "select count(*) from agents") == len(agents)
    unpicked = sum(not r["Agent"] for r in ticket_rows)
    assert f"  {unpicked} rows name no agent_name: no agents row from them" in tickets.report.text().splitlines()
    assert one(tickets.db, "select count(*) from interactions where agent_id is null") == sum(
        not r["Agent"] for r in ticket_rows)


def test_ticket_csat_is_the_share_of_4_and_5(tickets, ticket_rows):
    ratings = [int(r["Satisfaction"]) for r in ticket_rows if r["Satisfaction"]]
    assert all(r["Status"] == "Closed" for r in ticket_rows if r["Satisfaction"])
    assert one(tickets.db, "select count(*) from customer_surveys") == len(ratings)
    assert Counter(c for (c,) in rows_of(tickets.db, "select csat from customer_surveys")) == Counter(ratings)
    created = sorted(ticket_time(r["Created"]).date() for r in ticket_rows)
    row = kpis(tickets.db, "overview_customer_kpis", created[0], created[-1])
    assert row["csat"] == pytest.approx(100 * sum(x >= 4 for x in ratings) / len(ratings), rel=1e-12)


# -- 4. HR export on a 1-4 scale (IBM HR attrition shape) ----------------------------------------

HR_DATE = "%m/%d/%Y"
HR_ITEMS = ("JobSatisfaction", "EnvironmentSatisfaction", "RelationshipSatisfaction", "WorkLifeBalance")


def rescaled(answer: int, low: int = 1, high: int = 4, to_low: int = 1, to_high: int = 5) -> int:
    """A 1-4 answer on the store's 1-5 scale: linear, then the nearest whole answer."""
    return math.floor(to_low + (answer - low) * (to_high - to_low) / (high - low) + 0.5)


@pytest.fixture(scope="module")
def hr_rows() -> list[dict]:
    return read_rows("hr_survey.csv")


@pytest.fixture(scope="module")
def hr(tmp_path_factory) -> Imported:
    return Imported(tmp_path_factory, "hr_survey.csv", "hr_survey.yaml")


def test_hr_rescale_rule_is_the_documented_one():
    assert [rescaled(a) for a in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_hr_agents_and_leavers(hr, hr_rows):
    people = {r["EmployeeNumber"]: r for r in hr_rows}
    leavers = {n for n, r in people.items() if r["TerminationDate"]}
    assert leavers == {n for n, r in people.items() if r["Attrition"] == "Yes"} and leavers
    assert one(hr.db, "select count(*) from agents") == len(people)
    assert one(hr.db, "select count(*) from agents where left_on is not null") == len(leavers)
    assert set(rows_of(hr.db, "select agent_id, agent_name, left_on from agents")) == {
        (int(n), r["Name"], dt.datetime.strptime(r["TerminationDate"], HR_DATE).date() if r["TerminationDate"]
         else None) for n, r in people.items()}
    assert dict(rows_of(hr.db, "select t.team_name, t.site from teams as t")) == {
        r["Team"]: r["Location"] for r in hr_rows}


def test_hr_answers_are_rescaled_to_1_5(hr, hr_rows):
    assert len(hr_rows) >= 60
    assert one(hr.db, "select count(*) from agent_surveys") == len(hr_rows)
    assert Counter(s for (s,) in rows_of(hr.db, "select satisfaction from agent_surveys")) == Counter(
        rescaled(int(r["JobSatisfaction"])) for r in hr_rows)
    assert Counter(s for (s,) in rows_of(hr.db, "select manager_support from agent_surveys")) == Counter(
        rescaled(int(r["RelationshipSatisfaction"])) for r in hr_rows)
    # pressure is work-life balance turned round: 5 - (rescaled - 1)
    assert Counter(s for (s,) in rows_of(hr.db, "select pressure from agent_surveys")) == Counter(
        6 - rescaled(int(r["WorkLifeBalance"])) for r in hr_rows)
    surveyed = sorted(dt.datetime.strptime(r["SurveyDate"], HR_DATE).date() for r in hr_rows)
    row = kpis(hr.db, "overview_agent_kpis", surveyed[0], surveyed[-1])
    satisfied = sum(rescaled(int(r["JobSatisfaction"])) >= 4 for r in hr_rows)
    assert row["agent_satisfaction"] == pytest.approx(100 * satisfied / len(hr_rows), rel=1e-12)


def test_hr_export_without_a_scale_is_refused(hr_rows, tmp_path):
    assert {r["JobSatisfaction"] for r in hr_rows} == {"1", "2", "3", "4"}
    text = (MAPPINGS / "hr_survey.yaml").read_text(encoding="utf-8")
    line = "satisfaction: {column: JobSatisfaction, scale: 1-4}"
    assert line in text
    unscaled = tmp_path / "hr_survey_unscaled.yaml"
    unscaled.write_text(text.replace(line, "satisfaction: JobSatisfaction"), encoding="utf-8")
    db = tmp_path / "store.duckdb"
    result = import_cli(str(DATA / "hr_survey.csv"), "--mapping", str(unscaled), "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    message = result.stderr
    assert "tables.agent_surveys.columns.satisfaction" in message and "hr_survey.csv" in message
    assert "span 1-4" in message and "`scale: 1-4`" in message
    assert not db.exists()


# -- 5. Baltimore 311 service requests (real export, as it is) -----------------------------------

BALTIMORE_TIME = "%m/%d/%Y %I:%M:%S %p"


@pytest.fixture(scope="module")
def baltimore_rows() -> list[dict]:
    return read_rows("baltimore_311_sample.csv")


@pytest.fixture(scope="module")
def baltimore(tmp_path_factory) -> Imported:
    return Imported(tmp_path_factory, "baltimore_311_sample.csv", "baltimore_311.yaml")


def test_baltimore_sample_is_the_shared_export():
    shared = ROOT.parent / "shared" / "datasets" / "baltimore_311_sample.csv"
    if not shared.exists():
        pytest.skip("the shared datasets folder is not beside this checkout")
    assert (DATA / "baltimore_311_sample.csv").read_bytes() == shared.read_bytes()


def test_baltimore_requests_resolved_and_open(baltimore, baltimore_rows):
    closed = [r for r in baltimore_rows if r["CloseDate"]]
    assert one(baltimore.db, "select count(*) from interactions") == len(baltimore_rows) == 10_000
    # one stable id per request number, which is unique in the sample
    ids = {stable_id(r["ServiceRequestNum"]) for r in baltimore_rows}
    assert len(ids) == len(baltimore_rows)
    assert {i for (i,) in rows_of(baltimore.db, "select interaction_id from interactions")} == ids
    assert one(baltimore.db, "select count(*) from interactions where resolved") == len(closed)
    assert len(baltimore_rows) - len(closed) == 208
    assert one(baltimore.db, "select count(*) from interactions where not resolved and ended_at is null") == 208
    durations = [(dt.datetime.strptime(r["CloseDate"], BALTIMORE_TIME)
                  - dt.datetime.strptime(r["CreatedDate"], BALTIMORE_TIME)).total_seconds() for r in closed]
    assert one(baltimore.db, "select avg(resolution_s) from interactions where resolved") == pytest.approx(
        statistics.mean(durations), rel=1e-12)
    assert one(baltimore.db, "select sum(resolution_s) from interactions") == sum(durations)


def test_baltimore_touchpoints_are_request_types_owned_by_agencies(baltimore, baltimore_rows):
    owner = {}
    for r in baltimore_rows:
        owner.setdefault(r["SRType"], r["Agency"])   # the agency of the type's first request
    assert dict(rows_of(baltimore.db, "select touchpoint_name, owner_unit from touchpoints")) == owner
    assert dict(rows_of(baltimore.db, "select tp.touchpoint_name, count(*) from interactions "
                                      "join touchpoints as tp using (touchpoint_id) group by all")) == Counter(
        r["SRType"] for r in baltimore_rows)
    assert dict(rows_of(baltimore.db, "select t.team_name, count(*) from interactions join teams as t "
                                      "using (team_id) group by all")) == Counter(r["Agency"] for r in baltimore_rows)
    assert dict(rows_of(baltimore.db, "select channel, count(*) from interactions group by all")) == Counter(
        "phone" if r["MethodReceived"] == "Phone" else "messaging" for r in baltimore_rows)


# -- 6. An aggregated export (one row per day) is refused ----------------------------------------

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


def test_an_aggregated_export_imports_as_an_interval_report(tmp_path):
    rows = read_rows("daily_calls.csv")
    assert rows and all(int(r["Calls Offered"]) > 1 for r in rows)   # counts, not contacts
    rules = tmp_path / "daily_calls.yaml"
    rules.write_text(DAILY_MAPPING, encoding="utf-8")
    db = tmp_path / "store.duckdb"
    result = import_cli(str(DATA / "daily_calls.csv"), "--mapping", str(rules), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"contact_intervals: {len(rows)} rows added" in result.stdout
    with store.open_read_only(db) as con:
        days = con.execute("select interval_start::date::varchar, offered, answered, answered_wait_s "
                           "from contact_intervals order by 1").fetchall()
        contacts = con.execute("select count(*) from interactions").fetchone()[0]
    assert days == [(r["Date"], int(r["Calls Offered"]), int(r["Calls Answered"]),
                     int(r["Avg Wait"]) * int(r["Calls Answered"])) for r in rows]
    assert contacts == 0   # counts are not contacts: none is invented


# -- every shipped sample mapping imports from the command line, without a traceback -------------

@pytest.mark.parametrize("sample, mapping_file", [
    ("acd_calls.tsv", "acd_call_log.yaml"), ("incident_events.csv", "incident_event_log.yaml"),
    ("support_tickets.csv", "support_tickets.yaml"), ("hr_survey.csv", "hr_survey.yaml"),
    ("baltimore_311_sample.csv", "baltimore_311.yaml"), ("acd_intervals.csv", "acd_intervals.yaml")])
def test_each_sample_imports_from_the_command_line(sample, mapping_file, tmp_path):
    result = import_cli(str(DATA / sample), "--mapping", str(MAPPINGS / mapping_file), "--db",
                        str(tmp_path / "store.duckdb"))
    assert result.returncode == 0, result.stderr
    assert "Imported" in result.stdout and "Traceback" not in result.stderr
