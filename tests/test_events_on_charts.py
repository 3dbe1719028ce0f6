"""The events table on charts (issue 11): every chart whose x is a date shows the events whose
scope it covers (a team's event on that team's charts and the centre's, centre-wide events on
all), unless its header says `annotate_events: false`; charts without a time axis show none."""

from __future__ import annotations

import datetime as dt

import pytest
from test_sections import RecordingCanvas, page_data

from dashboard import catalogue, config, figures, pages, present

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture(scope="module")
def events(con) -> list[tuple[str, str | None]]:
    """(title, team or None for the whole centre) of every event, read from the raw table."""
    return con.sql("select e.title, t.team_name from events as e left join teams as t using (team_id)").fetchall()


def annotated(con, page: str, **scope) -> dict[str, set[str]]:
    """Chart key -> the event titles annotating it, for the page's query-file charts in 2025."""
    canvas = RecordingCanvas(page_data(con, page, YEAR, **scope))
    present.query_files(canvas)
    return {c["key"]: " | ".join(a.text or "" for a in c["figure"].layout.annotations) for c in canvas.of("chart")}


def titles_in(text: str, events) -> set[str]:
    return {title for title, _ in events if figures.safe_text.chart(title, 40) in text}


def test_a_teams_event_shows_on_its_own_and_the_centres_time_charts_only(con, events):
    team_events = [(title, team) for title, team in events if team]
    assert team_events and any(team is None for _, team in events), "the demo has team and centre events"
    title, team = team_events[0]
    other = con.sql("select min(team_name) from teams where team_name <> $t", params={"t": team}).fetchall()[0][0]
    centre_wide = {t for t, owner in events if owner is None}
    for scope, expected in (({}, {t for t, _ in events}), ({"team": team}, centre_wide | {title}),
                            ({"team": other}, centre_wide)):
        charts = annotated(con, "overview", **scope)
        time_charts = {key for key, text in charts.items() if titles_in(text, events) or key.endswith("_trend")}
        assert time_charts == {"chart_overview_customer_trend", "chart_overview_agent_trend"}
        for key in time_charts:
            assert titles_in(charts[key], events) == expected, (scope, key)


def test_charts_without_a_time_axis_show_no_event(con, events):
    cat = catalogue.load(config.queries_dir())
    for path in pages.pageable_paths():
        for key, text in annotated(con, path).items():
            query = cat.get(key.removeprefix("chart_"))
            frame = catalogue.execute(con, query, page_data(con, path, YEAR).bound())
            if not (query.spec.x in frame.columns and frame.schema[query.spec.x].is_temporal()):
                assert titles_in(text, events) == set(), key


def test_a_header_can_leave_the_events_out(con, events, queries_folder):
    trend = queries_folder / "overview_customer_trend.sql"
    trend.write_text(trend.read_text().replace("-- page: overview\n", "-- page: overview\n-- annotate_events: false\n"))
    charts = annotated(con, "overview")
    assert titles_in(charts["chart_overview_customer_trend"], events) == set()
    assert titles_in(charts["chart_overview_agent_trend"], events) == {t for t, _ in events}
