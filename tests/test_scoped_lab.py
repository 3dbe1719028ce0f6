"""An analyst scoped to one team, in the SQL lab: hostile queries run the way the lab runs them
(sandbox.run on scopes.store_for(store, scope, "lab")) try to reach other teams' rows or one
agent's survey answers. Each is refused, or answers with only the team's rows and survey groups
of enough respondents. What the answer must be is computed independently on the full store."""

from __future__ import annotations

import os

import pytest
from test_guard import PARAMS

from dashboard import config, sandbox, scopes

LIMITS = sandbox.Limits(timeout_s=10.0, memory_bytes=1024 * 2**20, max_bytes=4 * 2**20)
REFUSED = "refused"

# The tables an analyst's lab store holds: no raw agent_surveys.
# the rollups built at publish are in the lab too: customer-side sums of rows the lab already reads
LAB_TABLES = ["agent_requests", "agent_survey_groups", "agents", "contact_days", "contact_hour_totals",
              "contact_hours", "contact_intervals", "contact_months", "contact_resolution_totals",
              "contact_resolutions", "contact_team_days", "contact_team_months", "contact_wait_days",
              "customer_day_counts", "customer_experience_firsts", "customer_first_contacts",
              "customer_span_counts", "customer_surveys", "customer_team_experience_firsts",
              "customer_team_span_counts", "customers",
              "escalated_exception_days", "events", "experience_churn_periods", "interactions", "store_coverage",
              "teams", "touchpoints", "training"]
AGENT_COLUMNS_IN_LAB = ["agent_id", "agent_name", "team_id", "hired_on", "left_on", "authority_limit",
                        "hiring_profile"]

# The truth on the full store: $team is the analyst's team, $threshold the fewest respondents.
GROUPS_OF_THE_TEAM = """
    select t.team_name from agent_surveys s join agents a using (agent_id) join teams t using (team_id)
    where t.team_name = $team
    group by t.team_name, date_trunc('month', s.surveyed_at), s.milestone
    having count(distinct s.agent_id) >= $threshold"""
IN_SCOPE_COUNT = {
    "interactions": "select count(*) from interactions join teams using (team_id) where team_name = $team",
    "customers": "select count(distinct customer_id) from interactions join teams using (team_id) where team_name = $team",
    "customer_surveys": "select count(*) from customer_surveys join interactions using (interaction_id) "
                        "join teams using (team_id) where team_name = $team",
    "agent_requests": "select count(*) from agent_requests join agents using (agent_id) join teams using (team_id) "
                      "where team_name = $team",
    "training": "select count(*) from training join agents using (agent_id) join teams using (team_id) where team_name = $team",
    "agent_surveys": "select count(*) from agent_surveys join agents using (agent_id) join teams using (team_id) "
                     "where team_name = $team",
}


def hostile(t: dict) -> dict[str, tuple[str, object]]:
    """name -> (the analyst's SQL, what must come back): REFUSED; ("rows", truth SQL on the full store);
    ("refused or", rows); or a list of rows."""
    return {
        # the raw answers and what names a leaver's reason are simply not there
        "raw_agent_surveys": ("select * from agent_surveys", REFUSED),
        "one_agents_answers_by_id": (f"select satisfaction, enps from agent_surveys where agent_id = {t['agent_id']}", REFUSED),
        "one_agents_answers_by_name": (("select s.* from agent_surveys s join agents a using (agent_id) "
                                       f"where a.agent_name = '{t['agent_name']}'"), REFUSED),
        "leave_reason": ("select agent_id, leave_reason from agents", REFUSED),
        "schema_qualified_surveys": ("select * from main.agent_surveys", REFUSED),
        # survey groups: only the team's, only of enough respondents
        "groups_below_threshold": (f"select count(*) from agent_survey_groups where respondents < {t['threshold']}", [(0,)]),
        "groups_of_one_agent": ("select count(*) from agent_survey_groups where respondents = 1", [(0,)]),
        "groups_teams": ("select team_name from agent_survey_groups", ("rows", GROUPS_OF_THE_TEAM)),
        "groups_of_another_team": (f"select count(*) from agent_survey_groups where team_name = '{t['other']}'", [(0,)]),
        # other teams' rows, table by table and through joins
        "teams": ("select team_name, site from teams",
                  ("rows", "select team_name, site from teams where team_name = $team")),
        "interactions_count": ("select count(*) from interactions", ("rows", IN_SCOPE_COUNT["interactions"])),
        "interactions_of_other_team_ids": (f"select count(*) from interactions where team_id <> {t['team_id']}", [(0,)]),
        "interactions_joined_to_another_team": (("select count(*) from interactions i join teams t using (team_id) "
                                                f"where t.team_name = '{t['other']}'"), [(0,)]),
        "customers": ("select count(*) from customers", ("rows", IN_SCOPE_COUNT["customers"])),
        # the first-contact rollup names only the team's customers, and only its own team
        "first_contacts_customers": ("select count(distinct customer_id) from customer_first_contacts",
                                     ("rows", IN_SCOPE_COUNT["customers"])),
        "first_contacts_of_other_teams": (f"select count(*) from customer_first_contacts where team_id <> {t['team_id']}",
                                          [(0,)]),
        "customer_surveys": ("select count(*) from customer_surveys", ("rows", IN_SCOPE_COUNT["customer_surveys"])),
        "customer_surveys_without_a_contact": (("select count(*) from customer_surveys s left join interactions i "
                                               "using (interaction_id) where i.interaction_id is null"), [(0,)]),
        "agent_requests": ("select count(*) from agent_requests", ("rows", IN_SCOPE_COUNT["agent_requests"])),
        "requests_of_agents_not_listed": (("select count(*) from agent_requests "
                                          "where agent_id not in (select agent_id from agents)"), [(0,)]),
        "training": ("select count(*) from training", ("rows", IN_SCOPE_COUNT["training"])),
        "other_teams_events": (f"select count(*) from events where team_id <> {t['team_id']}", [(0,)]),
        "agents_of_other_teams": (f"select count(*) from agents where team_id <> {t['team_id']}", [(0,)]),
        "agents": ("select agent_id, agent_name from agents",
                   ("rows", "select agent_id, agent_name from agents join teams using (team_id) where team_name = $team")),
        "lateral_neighbour_team": (("select t.team_name, (select count(*) from interactions i "
                                   "where i.team_id = t.team_id + 1) as n from teams t"),
                                   ("rows", "select team_name, 0 from teams where team_name = $team")),
        "recursive_cte_over_team_ids": (("with recursive ids(i) as (select 0 union all select i + 1 from ids where i < 200) "
                                        f"select count(*) from ids join interactions on team_id = i where i <> {t['team_id']}"),
                                        [(0,)]),
        "cte_shadowing_a_table": ("with teams as (select * from src.teams) select * from teams", REFUSED),
        # the page macros, asked for another team
        "filtered_interactions_other_team": (("select count(*) from filtered_interactions(date '2000-01-01', "
                                             f"date '2100-01-01', null, '{t['other']}', null, null)"), [(0,)]),
        "filtered_agents_everyone": ("select distinct team_name from filtered_agents(null, null)",
                                     ("rows", "select team_name from teams where team_name = $team")),
        "team_month_attrition_everyone": (("select distinct team_name from team_month_attrition(date '2025-01-01', "
                                          "date '2025-12-31', null, null)"),
                                          ("rows", "select team_name from teams where team_name = $team")),
        # the catalog and system views
        "information_schema_tables": ("select table_name from information_schema.tables",
                                      ("refused or", [(n,) for n in LAB_TABLES])),
        "duckdb_tables": ("select table_name from duckdb_tables()", ("refused or", [(n,) for n in LAB_TABLES])),
        "duckdb_columns_leave_reason": ("select count(*) from duckdb_columns() where column_name = 'leave_reason'",
                                        ("refused or", [(0,)])),
        "pragma_table_info_agents": ("select name from pragma_table_info('agents')",
                                     ("refused or", [(c,) for c in AGENT_COLUMNS_IN_LAB])),
        "pragma_statement": ("pragma table_info('agent_surveys')", REFUSED),
        "duckdb_databases": ("select path from duckdb_databases()", REFUSED),
        "macro_definitions_naming_surveys": (("select count(*) from duckdb_functions() "
                                             "where macro_definition ilike '%agent_surveys%'"), ("refused or", [(0,)])),
        "store_coverage_contacts": (("select filled from store_coverage where table_name = 'interactions' "
                                    "and column_name = '*'"), ("rows", IN_SCOPE_COUNT["interactions"])),
        "store_coverage_survey_answers": (("select filled from store_coverage where table_name = 'agent_surveys' "
                                          "and column_name = '*'"), ("rows", IN_SCOPE_COUNT["agent_surveys"])),
        # the full store's file, by every road
        "attach_the_store": (f"attach '{t['store']}' as full_store (read_only)", REFUSED),
        "other_catalog": ("select * from src.agent_surveys", REFUSED),
        "catalog_of_the_version_file": (f'select * from "{t["version_stem"]}".main.agent_surveys', REFUSED),
        "read_parquet_of_the_store": (f"select * from read_parquet('{t['store']}')", REFUSED),
        "read_csv_of_the_store": (f"select * from read_csv('{t['store']}')", REFUSED),
        "read_blob_of_the_store": (f"select content from read_blob('{t['store']}')", REFUSED),
        "sqlite_scan_of_the_store": (f"select * from sqlite_scan('{t['store']}', 'agent_surveys')", REFUSED),
        "glob_of_the_versions": (f"select * from glob('{t['store']}.versions/*')", REFUSED),
        "query_table_surveys": ("select * from query_table('agent_surveys')", REFUSED),
        "query_table_list": ("select * from query_table(['teams', 'agents'])", REFUSED),
        "query_function": ("select * from query('select * from agent_surveys')", REFUSED),
        "serialized_sql": ("select * from json_execute_serialized_sql(json_serialize_sql('select * from teams'))", REFUSED),
        "set_external_access": ("set enable_external_access = true", REFUSED),
        "export_database": ("export database '/tmp/scoped_lab_export'", REFUSED),
        "copy_out": ("copy (select * from agents) to '/tmp/scoped_lab_agents.csv'", REFUSED),
        "load_extension": ("load sqlite", REFUSED),
    }


@pytest.fixture(scope="module")
def truth(store_path, con) -> dict:
    team, team_id = con.execute("select team_name, team_id from teams order by team_name limit 1").fetchall()[0]
    other = con.execute("select min(team_name) from teams where team_name <> $t", {"t": team}).fetchall()[0][0]
    agent_id, agent_name = con.execute(
        "select agent_id, agent_name from agents join agent_surveys using (agent_id) where team_id = $i "
        "order by agent_id limit 1", {"i": team_id}).fetchall()[0]
    real = os.path.realpath(store_path)
    return {"team": team, "team_id": team_id, "other": other, "agent_id": agent_id, "agent_name": agent_name,
            "threshold": config.min_respondents(), "store": str(store_path),
            "version_stem": os.path.basename(real).removesuffix(".duckdb")}


@pytest.fixture(scope="module")
def lab_store(store_path, truth):
    """The lab's store for an analyst scoped to one team, found the way the lab finds it."""
    return scopes.store_for(store_path, scopes.Scope(teams=frozenset({truth["team"]})), "lab")


CASES = hostile({key: "x" for key in ("team", "team_id", "other", "agent_id", "agent_name", "threshold",
                                       "store", "version_stem")})
assert len(CASES) >= 30


def sorted_rows(rows) -> list[tuple]:
    return sorted(rows, key=repr)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_scoped_analyst_reaches_only_their_teams_rows(name, lab_store, con, truth):
    sql, expected = hostile(truth)[name]
    outcome = sandbox.run(lab_store, sql, PARAMS, LIMITS)
    assert "Traceback" not in outcome.message
    if expected == REFUSED:
        assert outcome.kind in ("refused", "error"), (outcome.kind, outcome.frame)
        assert outcome.message
        return
    if isinstance(expected, tuple) and expected[0] == "refused or":
        if not outcome.ok:
            return
        expected = expected[1]
    elif isinstance(expected, tuple):
        expected = con.execute(expected[1], {k: v for k, v in (("team", truth["team"]),
                                                              ("threshold", truth["threshold"]))
                                             if f"${k}" in expected[1]}).fetchall()
    assert outcome.ok, outcome.message
    assert sorted_rows(outcome.frame.rows()) == sorted_rows(expected)


def test_the_truth_is_not_trivial(con, truth):
    """The team has contacts, answers and survey groups to see, and other teams have rows to hide."""
    team = {"team": truth["team"]}
    assert all(con.execute(sql, team).fetchall()[0][0] > 0 for sql in IN_SCOPE_COUNT.values())
    assert con.execute("select count(*) from interactions join teams using (team_id) where team_name <> $team",
                       team).fetchall()[0][0] > 0
    assert con.execute(GROUPS_OF_THE_TEAM, {**team, "threshold": truth["threshold"]}).fetchall()


def test_the_lab_store_is_the_one_the_lab_runs_on(store_path, truth, monkeypatch):
    from dashboard import lab_widgets

    monkeypatch.setenv("DASHBOARD_DB", str(store_path))
    scope = scopes.Scope(teams=frozenset({truth["team"]}))
    assert lab_widgets.lab_store(scope) == scopes.store_for(store_path, scope, "lab")
    assert lab_widgets.lab_store() == scopes.store_for(store_path, scopes.EVERYTHING, "lab") != store_path


def test_a_plain_query_is_answered_so_refusals_are_not_a_broken_store(lab_store):
    outcome = sandbox.run(lab_store, "select count(*) as n from teams", PARAMS, LIMITS)
    assert outcome.ok and outcome.frame.item() == 1
