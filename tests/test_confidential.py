"""Agents' survey answers stay confidential (issue 12): no agent-survey figure for a group of fewer
than N respondents reaches a reader, on any page, table, CSV or snapshot.

Every page is drawn by the snapshot renderer on a small store where many groups (team-months, a
small team's quarter, milestone items) have fewer than N respondents; a recording canvas keeps
every frame a chart, table or CSV was drawn from, and every tile. Each figure still shown is then
checked against its group's respondents counted here from the raw agent_surveys rows."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import duckdb
import polars as pl
import pytest

from dashboard import catalogue, check, confidential, demo, filters, kpis, pages, snapshot, store

LEAST = 5
ITEMS = ("satisfaction", "enps", "empowerment", "manager_support", "training_adequacy", "pressure")
# a drawn frame's column holding an agent-survey figure -> the survey item it rests on (None: the
# row's own `item` column says)
FIGURES = {
    "agent_satisfaction": "satisfaction", "agent_satisfaction_pct": "satisfaction",
    "Agent satisfaction %": "satisfaction", "satisfaction_low": "satisfaction", "satisfaction_high": "satisfaction",
    "agent_satisfied": "satisfaction", "agent": "satisfaction", "enps": "enps",
    "mean_score": None, "sd_score": None,
}


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    return demo.build(tmp_path_factory.mktemp("confidential") / "small.duckdb", interactions=5_000, seed=7,
                      progress=False)


@pytest.fixture(scope="module")
def surveys(small_store) -> pl.DataFrame:
    """The raw survey rows with each agent's current team and site (how the pages scope agents)."""
    with duckdb.connect(str(small_store), read_only=True) as con:
        return con.sql("select s.*, t.team_name, t.site from agent_surveys s join agents a using (agent_id) "
                       "join teams t on t.team_id = a.team_id").pl()


@pytest.fixture(scope="module")
def period(small_store) -> tuple[dt.date, dt.date]:
    con = store.open_read_only(small_store)
    try:
        return filters.read_choices(con).default_period()
    finally:
        con.close()


def respondents(surveys: pl.DataFrame, period, item: str, team=None, site=None, month=None,
                milestone=None) -> int:
    rows = surveys.filter(pl.col("surveyed_at").is_between(*period), pl.col(item).is_not_null())
    if team:
        rows = rows.filter(pl.col("team_name") == team)
    if site:
        rows = rows.filter(pl.col("site") == site)
    if month:
        rows = rows.filter(pl.col("surveyed_at").dt.month_start() == month)
    if milestone:
        rows = rows.filter(pl.col("milestone") == milestone)
    return rows.get_column("agent_id").n_unique()


def _month(value) -> dt.date | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, dt.datetime) else value).replace(day=1)


class Drawn:
    frames: list[tuple[str, pl.DataFrame]] = []
    tiles: list = []
    figures: list = []
    documents: list[str] = []


class RecordingCanvas(snapshot.HtmlCanvas):
    """The snapshot's canvas, keeping what each chart, table (CSV) and tile was drawn from."""

    def chart(self, key, figure, *, drill=False, data=None, csv_name=None):
        Drawn.figures.append((key, figure))
        if data is not None:
            Drawn.frames.append((key, data))
        super().chart(key, figure, drill=drill, data=data, csv_name=csv_name)

    def table(self, key, frame, *, csv_name=None, height=None):
        Drawn.frames.append((key, frame))
        super().table(key, frame, csv_name=csv_name, height=height)

    def tiles(self, title, caption, tiles):
        Drawn.tiles.extend(tiles)
        super().tiles(title, caption, tiles)


@pytest.fixture
def recording(monkeypatch, small_store):
    monkeypatch.setenv("DASHBOARD_DB", str(small_store))
    monkeypatch.setenv("DASHBOARD_MIN_RESPONDENTS", str(LEAST))
    monkeypatch.setattr(snapshot, "HtmlCanvas", RecordingCanvas)
    Drawn.frames, Drawn.tiles, Drawn.figures, Drawn.documents = [], [], [], []

    def draw(path: str, link: dict):
        Drawn.documents.append(snapshot.render(path, urlencode(link), small_store))
    return draw


def smallest_team(surveys, period) -> str:
    """The team with the fewest satisfaction respondents in the period, short of N (at least one)."""
    counts = {team: respondents(surveys, period, "satisfaction", team=team)
              for team in surveys.get_column("team_name").unique().to_list()}
    small = sorted((n, team) for team, n in counts.items() if 0 < n < LEAST)
    assert len(small) >= 2, f"the test store needs teams of fewer than {LEAST} respondents: {counts}"
    return small[0][1]


def test_the_test_store_has_many_groups_below_the_threshold(surveys, period):
    months = surveys.filter(pl.col("surveyed_at").is_between(*period), pl.col("satisfaction").is_not_null()) \
        .group_by("team_name", pl.col("surveyed_at").dt.month_start()).agg(pl.col("agent_id").n_unique().alias("n"))
    assert months.filter(pl.col("n") < LEAST).height >= 10
    assert months.filter(pl.col("n") >= LEAST).height >= 10   # and groups that may be shown
    smallest_team(surveys, period)


def _check_frame(key: str, frame: pl.DataFrame, surveys, period, scope: dict) -> int:
    """Asserts every agent-survey figure in the frame rests on at least LEAST respondents; returns
    how many figures were shown."""
    shown = 0
    if frame.columns == ["Measure", "Customer", "Agent"]:   # the mirrored table: the scope as a whole
        cell = frame.filter(pl.col("Measure") == "Satisfaction").get_column("Agent").item()
        if cell.endswith("%"):
            assert respondents(surveys, period, "satisfaction", **scope) >= LEAST, (key, cell)
            shown += 1
        return shown
    for column, item in FIGURES.items():
        if column not in frame.columns:
            continue
        for row in frame.filter(pl.col(column).is_not_null()).iter_rows(named=True):
            group = dict(scope)
            group["team"] = row.get("team_name") or row.get("Team") or scope.get("team")
            group["month"] = _month(row.get("month") or row.get("agent_month"))
            if row.get("milestone"):
                group["milestone"] = row["milestone"]
            n = respondents(surveys, period, item or row["item"], **group)
            assert n >= LEAST, f"{key}: {column} = {row[column]} shown for {group}, which has {n} respondents"
            shown += 1
    return shown


def _check_tiles(surveys, period, scope: dict) -> int:
    shown = 0
    for tile in Drawn.tiles:
        if tile.kpi.id not in ("agent_satisfaction", "enps"):
            continue
        n = respondents(surveys, period, "satisfaction" if tile.kpi.id == "agent_satisfaction" else "enps", **scope)
        if n >= LEAST:
            assert tile.value is not None and not tile.hidden
            shown += 1
        elif n > 0:
            assert tile.value is None and tile.delta is None and tile.hidden
            assert tile.hidden == f"fewer than {LEAST} respondents: hidden to protect respondents"
    return shown


@pytest.mark.parametrize("which", ["centre", "small team"])
def test_no_agent_survey_figure_for_fewer_than_n_respondents_on_any_page(recording, surveys, period, which):
    scope = {"team": smallest_team(surveys, period)} if which == "small team" else {}
    shown = 0
    for path in pages.pageable_paths():
        Drawn.frames, Drawn.tiles = [], []
        recording(path, scope)
        for key, frame in Drawn.frames:
            shown += _check_frame(f"{path}/{key}", frame, surveys, period, scope)
        shown += _check_tiles(surveys, period, scope)
    document = "\n".join(Drawn.documents)
    assert "hidden to protect respondents" in document
    if which == "centre":
        assert shown >= 20   # figures of large enough groups are still shown
    else:
        assert "Agent satisfaction</div><div class=\"value\">hidden" in document


def test_the_small_teams_satisfaction_quartiles_are_not_drawn(recording, surveys, period):
    team = smallest_team(surveys, period)
    answering = surveys.filter(pl.col("team_name") == team, pl.col("surveyed_at") <= period[1],
                               pl.col("satisfaction").is_not_null()).get_column("agent_id").n_unique()
    assert 0 < answering < 4 * LEAST   # each quartile then holds fewer than LEAST agents
    recording("attrition", {"team": team})
    names = [trace.name or "" for key, figure in Drawn.figures if key == "retention_satisfaction_group"
             for trace in figure.data]
    assert not any("quartile" in name for name in names)
    assert "hidden to protect respondents" in Drawn.documents[0]


# -- the rule itself -------------------------------------------------------------------------------

def test_hide_blanks_each_figure_whose_count_is_below_the_threshold_and_keeps_the_count():
    frame = pl.DataFrame({"team": ["A", "B", "C", "D"], "sat": [80.0, 60.0, None, 70.0], "enps": [10, -5, 3, 7],
                          "n": [5, 4, 0, None], "csat": [90.0, 91.0, 92.0, 93.0]})
    out, hidden = confidential.hide({"sat": "n", "enps": "n"}, frame, catalogue.Path("x.sql"), least=5)
    assert out["sat"].to_list() == [80.0, None, None, None]
    assert out["enps"].to_list() == [10, None, None, None]
    assert out["n"].to_list() == [5, 4, 0, None] and out["csat"].equals(frame["csat"])
    # C's satisfaction was already empty, but its eNPS of 3 answers was not: three groups hidden
    assert hidden.groups == 3
    assert hidden.note() == "Fewer than 5 respondents: hidden to protect respondents (3 groups)."


def test_a_header_naming_a_column_the_query_does_not_return_shows_nothing():
    frame = pl.DataFrame({"sat": [80.0], "respondents": [9]})
    with pytest.raises(confidential.UnknownColumns, match="respondnts"):
        confidential.hide({"sat": "respondnts"}, frame, catalogue.Path("x.sql"), least=5)


HEADER = "-- title: T\n-- description: D\n-- chart: table\n"


@pytest.mark.parametrize("sql", [
    "select count(*) as n from agent_surveys",
    "select * from (select satisfaction from main.AGENT_SURVEYS) as s",
    "with x as (select 1) select (select avg(enps) from \"agent_surveys\") as e from x",
])
def test_a_query_reading_agent_surveys_without_respondents_is_refused(tmp_path, sql):
    path = tmp_path / "survey_peek.sql"
    path.write_text(HEADER + sql + "\n")
    cat = catalogue.load(tmp_path)
    assert not cat.queries
    (err,) = cat.errors
    assert err.path == path and "reads agent_surveys but its header has no 'respondents'" in err.message


@pytest.mark.parametrize("sql", [
    "select 'agent_surveys' as word  -- agent_surveys is named only in text",
    "with agent_surveys as (select 1 as n) select n from agent_surveys",
])
def test_a_name_in_text_or_a_cte_of_that_name_is_not_reading_agent_surveys(tmp_path, sql):
    (tmp_path / "q.sql").write_text(HEADER + sql + "\n")
    cat = catalogue.load(tmp_path)
    assert [q.name for q in cat.queries] == ["q"] and not cat.errors


@pytest.mark.parametrize("value, problem", [
    ("[agent_satisfaction]", "must map each agent-survey figure column"),
    ("{}", "must map each agent-survey figure column"),
    ("everything", "must map each agent-survey figure column"),
    ("{sat: sat}", "cannot count its own respondents"),
    ("{sat: [n]}", "must name two result columns"),
])
def test_a_bad_respondents_header_is_a_located_error(tmp_path, value, problem):
    path = tmp_path / "bad.sql"
    path.write_text(HEADER + f"-- respondents: {value}\nselect avg(satisfaction) as sat from agent_surveys\n")
    (err,) = catalogue.load(tmp_path).errors
    assert err.line == 4 and problem in err.message


def test_check_names_a_respondents_column_the_query_does_not_return(tmp_path, small_store):
    (tmp_path / "typo.sql").write_text(
        HEADER + "-- respondents: {sat: respondnts}\n"
        "select avg(satisfaction) as sat, count(distinct agent_id) as respondents from agent_surveys\n")
    _, problems = check.problems_in(tmp_path, small_store)
    assert [(p.path.name, p.line) for p in problems] == [("typo.sql", 4)]
    assert "respondents 'respondnts' is not a column" in problems[0].message


def test_every_shipped_query_reading_agent_surveys_declares_its_respondents():
    cat = catalogue.load(catalogue.Path(__file__).resolve().parent.parent / "queries")
    assert not cat.errors
    declared = {q.name for q in cat.queries if q.respondents}
    assert {"overview_agent_kpis", "overview_agent_trend", "customer_vs_agent_monthly",
            "customer_vs_agent_team_months", "management_requests_vs_satisfaction", "management_survey_items",
            "teams_team_table", "attrition_agent_tenure"} <= declared


def test_the_least_agent_answers_control_cannot_go_below_the_threshold(monkeypatch):
    control = filters.CONTROL["cva_min_answers"]
    monkeypatch.setenv("DASHBOARD_MIN_RESPONDENTS", "8")
    assert filters.parse_control({}, control) == (8, None)
    assert filters.parse_control({"cva_min_answers": ["7"]}, control) == (
        8, "'cva_min_answers=7' is not a whole number from 8 to 30; using 8.")
    assert filters.parse_control({"cva_min_answers": ["12"]}, control) == (12, None)


def _tile(now: dict, before: dict, least: int = LEAST):
    from test_honest_tiles import QUARTERS, full_coverage
    return kpis.tiles(now, before, {}, 91, full_coverage(), QUARTERS, 30, least)[0]


def test_an_agent_survey_tile_of_too_few_respondents_shows_no_value_and_no_change():
    # the row as a page's run leaves it: the figure already blanked, its counts kept
    tile = _tile({"agent_satisfaction": None, "agent_satisfaction_n": 6, "agent_satisfaction_respondents": 4},
                 {"agent_satisfaction": 70.0, "agent_satisfaction_n": 40, "agent_satisfaction_respondents": 30})
    assert (tile.value, tile.previous, tile.delta, tile.n) == (None, None, None, None)
    assert tile.value_text() == "hidden" and tile.hidden == "fewer than 5 respondents: hidden to protect respondents"


def test_a_previous_period_of_too_few_respondents_is_neither_shown_nor_compared():
    tile = _tile({"agent_satisfaction": 62.0, "agent_satisfaction_n": 50, "agent_satisfaction_respondents": 40},
                 {"agent_satisfaction": 90.0, "agent_satisfaction_n": 40, "agent_satisfaction_respondents": 3})
    assert tile.value == 62.0 and tile.previous is None and tile.delta is None
    assert tile.no_comparison == ("the previous period's figure is hidden (fewer than 5 respondents: hidden to "
                                  "protect respondents)")


def test_no_respondent_count_is_hidden_too_and_no_answers_is_no_data():
    assert _tile({"enps": 12.0, "enps_n": 40}, {}).hidden            # a count missing: nothing is shown
    no_answers = _tile({"enps": None, "enps_n": 0, "enps_respondents": 0}, {})
    assert not no_answers.hidden and no_answers.no_data == "no answers in this period"


def test_a_kpi_query_must_return_the_respondents_of_its_agent_survey_kpis():
    columns = ["agent_satisfaction", "agent_satisfaction_n"]
    assert "needs 'agent_satisfaction_respondents' beside it" in kpis.column_problem("agent_satisfaction", columns)
    assert kpis.column_problem("agent_satisfaction_respondents", [*columns, "agent_satisfaction_respondents"]) is None
    assert kpis.column_problem("csat_respondents", ["csat", "csat_n", "csat_respondents"]).startswith("kpi column")


def test_a_chart_whose_every_figure_is_hidden_says_so_instead_of_drawing(recording, surveys, period):
    team = smallest_team(surveys, period)
    recording("management", {"team": team})
    document = Drawn.documents[0]
    keys = [key for key, _ in Drawn.figures]
    assert "chart_management_requests_vs_satisfaction" not in keys
    after = document.split("Managers&#x27; answers within 72 h and their agents&#x27; satisfaction</h2>", 1)[1]
    next_heading = after.split("<h2>", 1)[0]
    assert "Fewer than 5 respondents: hidden to protect respondents (1 group)." in next_heading
    assert 'class="chart"' not in next_heading and "No data for these filters" not in next_heading


def test_check_finds_an_agent_survey_figure_the_header_does_not_list(tmp_path, small_store):
    (tmp_path / "peek.sql").write_text(
        HEADER + "-- respondents: {sat: respondents}\n"
        "select avg(satisfaction) as sat, avg(enps) as enps_mean, count(enps) as enps_answers,\n"
        "       count(distinct agent_id) as respondents from agent_surveys\n")
    (tmp_path / "counts.sql").write_text(
        HEADER + "-- respondents: counts only\n"
        "select milestone, count(satisfaction) as answers, max(pressure) as worst from agent_surveys group by all\n")
    problems = check.undeclared_figures(tmp_path, small_store)
    assert sorted((p.path.name, p.line, p.message.split("'")[1]) for p in problems) == [
        ("counts.sql", 4, "worst"), ("peek.sql", 4, "enps_mean")]
    assert "changes with the agents' answers" in problems[0].message
    assert check.undeclared_figures(catalogue.Path(__file__).resolve().parent.parent / "queries", small_store) == []
