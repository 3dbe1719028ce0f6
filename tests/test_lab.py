"""The SQL lab's logic (lab.py) and page: schema browser figures, query files made by "Save as
chart" that load as the app loads queries/, and the page's run, refusal and save loop."""

from __future__ import annotations

import pytest
from conftest import ROOT, scalar
from streamlit.testing.v1 import AppTest

from dashboard import catalogue, config, lab, pages, scopes, store

TEAM_SQL = ("select team_name, count(*) as contacts\n"
            "from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)\n"
            "group by team_name order by team_name")


def test_schema_lists_every_table_of_the_lab_store_with_its_row_count(con, store_path):
    """The lab browses the lab store: every table of the store but agent_surveys, whose place
    agent_survey_groups takes (dashboard/scopes.py); counts taken independently on the full store."""
    lab_con = store.open_read_only(scopes.store_for(store_path, scopes.EVERYTHING, "lab"))
    try:
        tables, columns = lab.schema(lab_con)
    finally:
        lab_con.close()
    expected = {name: scalar(con, f"select count(*) from {name}") for name in
                ("teams", "agents", "customers", "touchpoints", "interactions", "customer_surveys",
                 "agent_requests", "training", "events",
                 # the KPI layer and rollups built at publish (dashboard/rollups.py): customer-side sums only
                 "contact_intervals", "contact_days", "contact_months", "contact_wait_days",
                 "customer_first_contacts", "contact_resolutions", "contact_resolution_totals",
                 "contact_team_months", "contact_team_days", "customer_experience_firsts", "experience_churn_periods",
                 "customer_team_experience_firsts",
                 "customer_span_counts", "contact_hours", "contact_hour_totals", "escalated_exception_days",
                 "customer_team_span_counts", "customer_day_counts")}
    held = dict(tables.iter_rows())
    assert {name: held[name] for name in expected} == expected
    assert "agent_surveys" not in held and held["agent_survey_groups"] > 0
    assert set(held) == set(expected) | {"agent_survey_groups", "store_coverage"}
    wait = columns.filter((columns["table"] == "interactions") & (columns["column"] == "wait_s")).row(0, named=True)
    assert wait["type"] == "INTEGER" and wait["nullable"]
    assert columns.filter((columns["table"] == "agents") & (columns["column"] == "leave_reason")).height == 0


def test_a_saved_chart_file_loads_with_the_header_it_was_given(tmp_path):
    text = lab.query_file_text(TEAM_SQL + ";", "Contacts: per team", "Contacts\noffered per team.", "bar",
                               x="team_name", y=["contacts"], tags=["volume", "experiments"])
    path = lab.save(text, tmp_path, "contacts_per_team")
    query = catalogue.load(tmp_path).get("contacts_per_team")
    assert (query.title, query.description, query.spec.kind, query.spec.x, query.spec.y, query.page, query.tags) == (
        "Contacts: per team", "Contacts offered per team.", "bar", "team_name", ("contacts",), None,
        ("volume", "experiments"))
    assert query.params == ("date_from", "date_to", "site", "team", "channel", "touchpoint")
    with pytest.raises(ValueError, match="already exists"):
        lab.save(text, tmp_path, "contacts_per_team")
    assert path.read_text() == text


def test_only_the_parameters_the_sql_uses_are_declared():
    text = lab.query_file_text("select count(*) as n from teams where team_name = $team", "n", "", "table")
    assert "-- params: [team]" in text and "-- x:" not in text


@pytest.mark.parametrize("name", ["../escape", "Upper", "with space", "", "a" * 81, ".hidden"])
def test_file_names_stay_inside_the_queries_folder(tmp_path, name):
    text = lab.query_file_text("select 1 as n", "n", "", "table")
    with pytest.raises(ValueError, match="file name"):
        lab.save(text, tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_would_not_load_is_refused_before_saving(tmp_path):
    with pytest.raises(catalogue.QueryFileError, match="undeclared|not declared|unknown parameter|nosuch"):
        lab.query_file_text("select $nosuch as n", "n", "", "table")


def lab_page(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("views/sql_lab.py").run()


def test_the_lab_runs_a_query_with_the_filters_bound(app_env, con):
    at = lab_page(**{"from": "2025-02-01", "to": "2025-02-28"})
    at.text_area(key="sql").set_value(TEAM_SQL).run()
    assert not at.exception and not at.error
    result = next(d.value for d in at.dataframe if "contacts" in d.value.columns)
    expected = con.sql("select t.team_name, count(*) from interactions join teams as t using (team_id) "
                       "where queued_at >= date '2025-02-01' and queued_at < date '2025-03-01' "
                       "group by 1 order by 1").fetchall()
    assert list(zip(result["team_name"], result["contacts"])) == expected
    assert any(f"{len(expected)} rows" in c.value for c in at.caption)


def test_a_big_result_shows_the_first_rows_and_the_total(app_env, con):
    at = lab_page()
    at.text_area(key="sql").set_value("select interaction_id from interactions").run()
    total = scalar(con, "select count(*) from interactions")
    result = next(d.value for d in at.dataframe if "interaction_id" in d.value.columns)
    assert len(result) == 10_000 < total
    assert any(f"{total:,}" in c.value for c in at.caption), [c.value for c in at.caption]


def test_the_lab_refuses_a_drop_and_stays_usable(app_env, con):
    at = lab_page()
    at.text_area(key="sql").set_value("drop table teams").run()
    assert not at.exception
    assert any("DROP" in e.value for e in at.error)
    at.text_area(key="sql").set_value("select count(*) as teams from teams").run()
    assert not at.error
    assert next(d.value for d in at.dataframe if "teams" in d.value.columns)["teams"][0] == scalar(
        con, "select count(*) from teams")


def test_the_lab_page_reads_agent_surveys_only_as_groups(app_env):
    at = lab_page()
    at.text_area(key="sql").set_value("select * from agent_surveys").run()
    assert not at.exception
    assert any("'agent_surveys' is not a table of the store" in e.value for e in at.error)
    assert any(e.label.startswith("agent_survey_groups ·") for e in at.expander)
    at.text_area(key="sql").set_value("select min(respondents) as fewest from agent_survey_groups").run()
    assert not at.error
    assert next(d.value for d in at.dataframe if "fewest" in d.value.columns)["fewest"][0] >= config.min_respondents()


def test_save_as_chart_writes_for_review_and_the_chart_appears_once_moved_into_queries(app_env, tmp_path,
                                                                                      monkeypatch):
    queries, review = tmp_path / "queries", tmp_path / "review"
    queries.mkdir()
    for path in config.queries_dir().glob("*.sql"):
        (queries / path.name).write_text(path.read_text())
    monkeypatch.setenv("DASHBOARD_QUERIES", str(queries))
    monkeypatch.setenv("DASHBOARD_LAB_REVIEW", str(review))
    monkeypatch.setenv(lab.SAVE_ENV, "1")
    at = lab_page()
    at.text_area(key="sql").set_value(TEAM_SQL).run()
    at.selectbox(key="lab_kind").set_value("bar").run()
    at.text_input(key="lab_title").set_value("Lab contacts per team").run()
    at.text_input(key="lab_tags").set_value("experiments").run()
    at.button(key="lab_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = review / "lab_contacts_per_team.sql"
    assert saved.exists() and not (queries / saved.name).exists()
    at.switch_page("views/queries.py").run()
    assert "Lab contacts per team" not in [s.value for s in at.subheader]   # no page reads the review folder
    saved.rename(queries / saved.name)   # the reviewer's step
    at.run()
    assert "Lab contacts per team" in [s.value for s in at.subheader]
    assert "experiments" in [h.value for h in at.header]


def test_the_lab_never_saves_into_the_folder_pages_read(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_QUERIES", str(tmp_path))
    text = lab.query_file_text(TEAM_SQL, "Contacts per team", "", "table")
    with pytest.raises(ValueError, match="for review only"):
        lab.save(text, tmp_path, "contacts_per_team")
    assert not list(tmp_path.iterdir())


def test_without_the_setting_the_lab_only_offers_a_download(app_env, monkeypatch):
    monkeypatch.delenv(lab.SAVE_ENV, raising=False)
    at = lab_page()
    at.text_area(key="sql").set_value(TEAM_SQL).run()
    assert not [b for b in at.button if b.key == "lab_save"]
    assert any(lab.SAVE_ENV in c.value for c in at.caption)


def test_save_as_chart_offers_the_registry_pages_that_take_charts(app_env):
    at = lab_page()
    at.text_area(key="sql").set_value(TEAM_SQL).run()
    choices = at.selectbox(key="lab_page").options
    assert choices[0] == "(query catalogue)"
    assert tuple(choices[1:]) == pages.pageable_paths()
    assert "sql-lab" not in choices and "queries" not in choices
