"""Issue 5, the add-a-chart loop: a query file dropped into the queries folder of a running app
shows on the next rerun, a broken one is reported by file and line while the rest renders, and
the queries page groups the files that name no page by tag."""

from __future__ import annotations

import json

from conftest import ROOT
from streamlit.testing.v1 import AppTest

from dashboard import catalogue

NEW_CHART = """\
-- title: Contacts per team
-- description: Contacts offered per team in the period.
-- chart: bar
-- tags: [experiments]
-- x: team_name
-- y: contacts
-- params: [date_from, date_to]
select team_name, count(*) as contacts
from filtered_interactions($date_from, $date_to, null, null, null, null)
group by team_name
order by team_name
"""


def catalogue_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.query_params["from"], at.query_params["to"] = "2025-01-01", "2025-12-31"
    at.run()
    return at.switch_page("views/queries.py").run()


def chart_titles(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def test_a_new_file_shows_on_the_next_rerun_without_a_restart(queries_folder, con):
    at = catalogue_page()
    assert "Contacts per team" not in chart_titles(at)
    charts_before = len(at.get("plotly_chart"))
    (queries_folder / "experiments_contacts_per_team.sql").write_text(NEW_CHART)
    at.run()   # the same session, the same server: just the next rerun
    assert not at.exception
    assert "experiments" in [h.value for h in at.header]
    assert "Contacts per team" in chart_titles(at)
    assert len(at.get("plotly_chart")) == charts_before + 1
    # the new chart draws the store's teams: one bar each, in the query's order
    teams = [r[0] for r in con.sql("select distinct t.team_name from interactions join teams as t using (team_id) "
                                   "where queued_at >= date '2025-01-01' and queued_at < date '2026-01-01' "
                                   "order by 1").fetchall()]
    drawn = [json.loads(chart.proto.spec)["data"] for chart in at.get("plotly_chart")]
    assert [[trace.get("x") for trace in data] for data in drawn].count([teams]) == 1


def test_an_edited_file_changes_its_chart_on_the_next_rerun(queries_folder):
    path = queries_folder / "experiments_contacts_per_team.sql"
    path.write_text(NEW_CHART)
    at = catalogue_page()
    assert "Contacts per team" in chart_titles(at)
    path.write_text(NEW_CHART.replace("title: Contacts per team", "title: Offered contacts per team"))
    at.run()
    assert "Offered contacts per team" in chart_titles(at) and "Contacts per team" not in chart_titles(at)


def test_a_broken_file_is_named_in_place_and_the_rest_renders(queries_folder):
    (queries_folder / "experiments_contacts_per_team.sql").write_text(NEW_CHART)
    at = catalogue_page()
    charts = len(at.get("plotly_chart"))
    (queries_folder / "experiments_broken.sql").write_text(
        NEW_CHART.replace("count(*) as contacts", "count(*) as contacts, no_such_column"))
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("experiments_broken.sql:" in e and "no_such_column" in e for e in errors), errors
    assert len(at.get("plotly_chart")) == charts   # everything else still drawn
    (queries_folder / "experiments_header.sql").write_text("-- title: x\nselect 1\n")  # cannot even be placed
    at.run()
    assert any("experiments_header.sql:1" in e.value and "description" in e.value for e in at.error)


def test_queries_page_groups_files_without_a_page_by_their_first_tag(queries_folder):
    cat = catalogue.load(queries_folder)
    groups = cat.by_tag()
    expected = {}
    for q in cat.queries:
        if q.page is None and q.spec.kind != "data":
            expected.setdefault(q.tags[0] if q.tags else catalogue.UNTAGGED, set()).add(q.title)
    assert expected, "the shipped catalogue has charts that name no page"
    assert {tag: {q.title for q in qs} for tag, qs in groups.items()} == expected
    at = catalogue_page()
    assert [h.value for h in at.header] == list(groups)
    assert not at.exception and not at.error


def test_a_broken_data_query_is_named_in_place_without_a_traceback(queries_folder):
    path = queries_folder / "escalations_what_if.sql"
    path.write_text(path.read_text().replace("select", "selec", 1))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90).run()
    at.switch_page("views/escalations.py").run()
    assert not at.exception
    assert any("escalations_what_if.sql:" in e.value for e in at.error), [e.value for e in at.error]
    assert len(at.get("plotly_chart")) > 0   # the page's charts above it still drawn
