"""store_coverage: what each publish records about the columns it supplied, read back by
dashboard.coverage and by the SQL macro supplied(); the basis of "no data is not zero"."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from conftest import PWC_CSV, ROOT

from dashboard import coverage, store


def test_demo_supplies_every_column_with_its_period(con):
    found = coverage.read(con)
    assert found.absent("interactions.escalation_depth") is None
    assert found.absent("agents.left_on") is None
    first, last = found.period("interactions")
    assert (first, last) == tuple(con.sql("select min(queued_at)::date, max(queued_at)::date from interactions")
                                  .fetchall()[0])
    assert found.rows("interactions") == con.sql("select count(*) from interactions").fetchall()[0][0]


def test_pwc_import_records_what_the_export_lacks(pwc_store_path):
    with open(PWC_CSV, newline="", encoding="utf-8") as handle:
        dates = [dt.date.fromisoformat(r["Date"]) for r in csv.DictReader(handle)]
    with store.open_read_only(pwc_store_path) as con:
        found = coverage.read(con)
        flags = con.sql("select supplied('interactions', 'escalation_depth'), supplied('interactions', 'resolved'), "
                        "supplied('agents', 'left_on'), supplied('no_table', 'x')").fetchall()[0]
    assert flags == (False, True, False, False)
    assert "escalation levels" in found.absent("interactions.escalation_depth")
    assert "leaving dates" in found.absent("agents.left_on")
    assert "agent_surveys is empty" in found.absent("agent_surveys.satisfaction")
    assert found.absent("interactions.resolved") is None
    assert found.period("interactions") == (min(dates), max(dates))
    assert found.data_period() == (min(dates), max(dates))


def test_sparse_store_says_which_tables_are_empty(sparse_store_path):
    with store.open_read_only(sparse_store_path) as con:
        found = coverage.read(con)
    assert found.rows("agent_surveys") == 0
    assert found.absent("agent_requests") == "no agent requests to managers were imported (agent_requests is empty)"
    assert found.absent("interactions.wait_s") is None


def test_a_measure_set_to_one_value_is_an_assumption_not_data(pwc_store_path):
    """PwC's mapping sets every agent's authority limit to 0 and names the team by a constant: the
    limit is a measure the export lacks (no data), the team's name is a label (supplied)."""
    with store.open_read_only(pwc_store_path) as con:
        found = coverage.read(con)
    assert found.absent("agents.authority_limit") == (
        "this store has no authority limits (agents.authority_limit was set to one value for every row by the "
        "mapping, not read from the export)")
    assert found.absent("agents.team_id") is None and found.absent("touchpoints.sla_seconds") is None


def test_a_ticket_export_has_no_abandon_rate(tmp_path):
    from dashboard import importer, mapping

    root = PWC_CSV.parent
    db = tmp_path / "tickets.duckdb"
    importer.run([root / "support_tickets.csv"], mapping.load(root.parent.parent / "data" / "mappings" /
                                                              "support_tickets.yaml"), db)
    with store.open_read_only(db) as con:
        found = coverage.read(con)
        supplied = con.sql("select supplied('interactions', 'abandoned')").fetchall()[0][0]
    assert supplied is False
    assert "record of abandoned contacts (interactions.abandoned was set to one value" in found.absent(
        "interactions.abandoned")


def gaps_of(held: coverage.Coverage) -> tuple[set[str], set[tuple[str, str]]]:
    """The KPIs and the charts that say "no data" with this coverage (the reasons' wording aside)."""
    from dashboard import catalogue, config, kpis

    charts = {(q.page or "queries", q.title) for q in catalogue.load(config.queries_dir()).queries
              if q.needs and held.reasons(q.needs)}
    return {kpi.label for kpi, _ in kpis.gaps(held)}, charts


@pytest.mark.parametrize("name, export", [("pwc_call_centre", "pwc_call_centre_trends.csv"),
                                          ("support_tickets", "support_tickets.csv"),
                                          ("acd_intervals", "acd_intervals.csv")])
def test_a_dry_run_projects_the_tables_the_publish_builds(tmp_path, name, export):
    """The dry run's coverage is projected, not recorded: the tables the publish builds from the imported
    ones (coverage.BUILT_FROM) must be projected too, or every figure read from the interval table would
    be said to have no data. Its gaps are those the import then records, figure for figure."""
    from dashboard import importer, mapping

    rules = mapping.load(ROOT / "data" / "mappings" / f"{name}.yaml")
    db = tmp_path / "store.duckdb"
    plan = importer.run([PWC_CSV.parent / export], rules, db, dry_run=True).plan
    importer.run([PWC_CSV.parent / export], rules, db)
    with store.open_read_only(db) as con:
        recorded = coverage.read(con)
    assert all(recorded.rows(table) > 0 for table in ("contact_intervals", "contact_days"))
    assert ({label for label, _ in plan.kpi_gaps}, {(page, title) for page, title, _ in plan.chart_gaps}) \
        == gaps_of(recorded)
