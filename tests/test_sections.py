"""The pages' Python sections (dashboard/sections): plain code that never imports Streamlit, views
that are only `live.render(path)`, and each section drawn on a recording Canvas over the session's
store, its tables and charts checked against counts taken from the raw tables."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
from collections.abc import Sequence

import polars as pl
import pytest
from conftest import MARCH_TO_MAY, ROOT, scalar

from dashboard import catalogue, config, coverage, filters, layout, nodata, pages, store
from dashboard.canvas import PageData
from dashboard.sections import customer_vs_agent, management, teams

SECTIONS = ROOT / "dashboard" / "sections"
YEAR_2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
CONVERTED = {"customer-vs-agent": (customer_vs_agent.relationship, customer_vs_agent.side_by_side),
             "teams": (teams.ranking_table, teams.funnel),
             "management": (management.milestone_surveys,)}
NOT_IN_A_SECTION = ("streamlit", "dashboard.ui", "dashboard.live")


class RecordingCanvas:
    """A canvas.Canvas that records each call as (method, arguments) in one list shared with its
    columns and expanders. A control takes the value in `given`, else its declared default."""

    def __init__(self, data: PageData, given: dict | None = None, calls: list | None = None, where: str = "page"):
        self.data, self.given, self.where = data, given or {}, where
        self.calls = [] if calls is None else calls

    def _record(self, method: str, **arguments) -> None:
        self.calls.append((method, {**arguments, "where": self.where}))

    def of(self, method: str) -> list[dict]:
        return [arguments for name, arguments in self.calls if name == method]

    def heading(self, text: str, help: str | None = None) -> None:
        self._record("heading", text=text, help=help)

    def caption(self, text: str) -> None:
        self._record("caption", text=text)

    def strong(self, text: str) -> None:
        self._record("strong", text=text)

    def notice(self, level: str, text: str) -> None:
        self._record("notice", level=level, text=text)

    def no_data(self, reasons: Sequence[str]) -> None:
        self._record("no_data", reasons=list(reasons))

    def tiles(self, title: str, caption: str, tiles) -> None:
        self._record("tiles", title=title, caption=caption, tiles=list(tiles))

    def metrics(self, metrics: Sequence[dict]) -> None:
        self._record("metrics", metrics=list(metrics))

    def chart(self, key: str, figure, *, drill: bool = False, data: pl.DataFrame | None = None,
              csv_name: str | None = None) -> None:
        self._record("chart", key=key, figure=figure, drill=drill, data=data, csv_name=csv_name)

    def table(self, key: str, frame: pl.DataFrame, *, csv_name: str | None = None, height: int | None = None) -> None:
        self._record("table", key=key, frame=frame, csv_name=csv_name, height=height)

    def columns(self, spec) -> list[RecordingCanvas]:
        count = spec if isinstance(spec, int) else len(spec)
        return [RecordingCanvas(self.data, self.given, self.calls, f"{self.where}/column {i}") for i in range(count)]

    def expander(self, title: str) -> RecordingCanvas:
        return RecordingCanvas(self.data, self.given, self.calls, f"{self.where}/{title}")

    def control(self, key: str, widget: str, *, high: float | None = None, **hints) -> object:
        assert filters.CONTROL[key].page == self.data.page, f"{key} is not a control of {self.data.page}"
        value = self.given.get(key, filters.CONTROL[key].initial())
        self.data.controls[key] = value
        self._record("control", key=key, widget=widget, value=value)
        return value


def page_data(con, page: str, period=MARCH_TO_MAY, **scope) -> PageData:
    """What a renderer hands a section: the store's choices and coverage, the query files, and a
    direct runner that blanks what the store lacks, as the live app's does."""
    known = coverage.read(con)
    return PageData(page=page, chosen=filters.Filters(*period, **scope), choices=filters.read_choices(con),
                    coverage=known, catalogue=catalogue.load(config.queries_dir()),
                    runner=lambda query, values: nodata.blank(query, catalogue.execute(con, query, values), known))


def draw(section, con, page: str, given: dict | None = None, period=MARCH_TO_MAY, **scope) -> RecordingCanvas:
    canvas = RecordingCanvas(page_data(con, page, period, **scope), given)
    section(canvas)
    return canvas


def headings(canvas: RecordingCanvas) -> list[str]:
    return [h["text"] for h in canvas.of("heading")]


def only(canvas: RecordingCanvas, method: str) -> dict:
    drawn = canvas.of(method)
    assert len(drawn) == 1, drawn
    return drawn[0]


def points(figure) -> int:
    """Marks a figure draws for the data: markers of its scatters, bars of its bar traces."""
    return sum(len(trace.x) for trace in figure.data
               if trace.type == "bar" or (trace.type == "scatter" and trace.mode == "markers"))


@pytest.fixture(scope="module")
def sparse(sparse_store_path):
    connection = store.open_read_only(sparse_store_path)
    yield connection
    connection.close()


# ---- plain code, short views ------------------------------------------------------------------------

def imported_modules(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


@pytest.mark.parametrize("path", sorted(SECTIONS.glob("*.py")), ids=lambda p: p.name)
def test_no_section_module_imports_streamlit_or_the_live_renderer(path):
    wrong = {name for name in imported_modules(path) for banned in NOT_IN_A_SECTION
             if name == banned or name.startswith(banned + ".")}
    assert not wrong, f"{path.name} imports {sorted(wrong)}"


def test_importing_the_sections_loads_no_streamlit():
    """Nor through a module they import: a snapshot job needs no Streamlit at all."""
    modules = [f"dashboard.sections.{p.stem}" for p in sorted(SECTIONS.glob("*.py")) if p.stem != "__init__"]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("path", sorted(CONVERTED), ids=str)
def test_a_converted_view_is_its_docstring_imports_and_live_render(path):
    body = ast.parse(pages.get(path).view_path.read_text()).body
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and body[0].value.value
    *imports, last = body[1:]
    assert imports and all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in imports)
    assert ast.unparse(last) == f"live.render({path!r})"


LEADING = {"customer-vs-agent": (customer_vs_agent.mirror_panel,)}   # sections drawn before the query files


@pytest.mark.parametrize("path", sorted(CONVERTED), ids=str)
def test_the_layout_draws_the_query_files_then_the_pages_sections(path):
    lead = LEADING.get(path, ())
    drawn = layout.sections(path)
    first, *rest = drawn[len(lead):]
    assert drawn[:len(lead)] == lead and first.__name__ == "query_files" and tuple(rest) == CONVERTED[path]


# ---- customer vs agent ------------------------------------------------------------------------------

RESPONDENTS = 5   # the default confidentiality threshold: team-months of fewer agents are hidden
LEAST_ANSWERS = 8  # the page's default least agent answers (filters.CONTROL["cva_min_answers"])


def independent_pairs(con, period) -> pl.DataFrame:
    """Team-months where the team's contacts got CSAT answers and at least RESPONDENTS of its agents
    answered the agent survey's satisfaction item, counted from the raw tables."""
    return store.run(con, """
        with customer as (
            select t.team_name, date_trunc('month', i.queued_at)::date as month
            from interactions as i join teams as t using (team_id) join customer_surveys as s using (interaction_id)
            where s.csat is not null and i.queued_at::date between $first and $last
            group by all
        ), agent as (
            select t.team_name, date_trunc('month', s.surveyed_at)::date as month
            from agent_surveys as s join agents as a using (agent_id) join teams as t on t.team_id = a.team_id
            where s.satisfaction is not null and s.surveyed_at between $first and $last
            group by all
            having count(distinct s.agent_id) >= $least and count(s.satisfaction) >= $answers
        )
        select * from customer join agent using (team_name, month)
    """, {"first": period[0], "last": period[1], "least": RESPONDENTS, "answers": LEAST_ANSWERS})


def test_relationship_draws_both_correlations_and_one_point_per_team_month(con):
    drawn = draw(customer_vs_agent.relationship, con, "customer-vs-agent", period=YEAR_2025)
    assert headings(drawn) == ["Does the customer's satisfaction move with the agents'?"]
    assert {c["key"]: c["value"] for c in drawn.of("control")} == {
        "cva_measure": "CSAT", "cva_view": "pooled", "cva_lag": 0, "cva_min_answers": LEAST_ANSWERS}
    assert drawn.data.controls == {"cva_measure": "CSAT", "cva_view": "pooled", "cva_lag": 0,
                                   "cva_min_answers": LEAST_ANSWERS}
    assert [m["metrics"][0]["label"] for m in drawn.of("metrics")] == ["Pooled r", "Within-team r"]
    pairs = independent_pairs(con, YEAR_2025)
    scatter = only(drawn, "chart")
    assert (scatter["key"], scatter["drill"]) == ("cva_scatter", True)
    assert points(scatter["figure"]) == scatter["data"].height == pairs.height > 20
    assert not drawn.of("no_data") and not [n for n in drawn.of("notice") if n["level"] == "error"]


def test_within_team_view_leaves_out_teams_with_a_single_team_month(con):
    drawn = draw(customer_vs_agent.relationship, con, "customer-vs-agent", {"cva_view": "within"}, period=YEAR_2025)
    per_team = independent_pairs(con, YEAR_2025).group_by("team_name").len()
    expected = per_team.filter(pl.col("len") >= 2).get_column("len").sum()
    scatter = only(drawn, "chart")
    assert points(scatter["figure"]) == expected > 20
    assert "minus the team's own mean" in scatter["figure"].layout.xaxis.title.text
    assert any("left out of the within-team view" in c["text"] for c in drawn.of("caption"))


def test_side_by_side_shows_five_measures_and_the_customers_csat(con):
    drawn = draw(customer_vs_agent.side_by_side, con, "customer-vs-agent")
    assert headings(drawn) == ["Customer and agent, side by side"]
    table = only(drawn, "table")["frame"]
    assert table.columns == ["Measure", "Customer", "Agent"] and table.height == 5
    satisfied, answers = store.run(con, """
        select count(*) filter (where s.csat >= 4), count(s.csat)
        from customer_surveys as s join interactions as i using (interaction_id)
        where i.queued_at::date between $first and $last
    """, {"first": MARCH_TO_MAY[0], "last": MARCH_TO_MAY[1]}).row(0)
    row = table.filter(pl.col("Measure") == "Satisfaction").row(0, named=True)
    assert row["Customer"] == f"{100 * satisfied / answers:.1f} %"
    definitions = [c["text"] for c in drawn.of("caption") if c["where"] == "page/Definitions"]
    assert len(definitions) == 5 and definitions[2].startswith("Satisfaction: customer = CSAT")
    assert not any(mark in text for text in definitions for mark in ("**", "- "))  # plain text, not markdown


def test_customer_vs_agent_on_a_store_without_agent_surveys_says_so(sparse):
    drawn = draw(customer_vs_agent.relationship, sparse, "customer-vs-agent", period=YEAR_2025)
    assert headings(drawn) == ["Does the customer's satisfaction move with the agents'?"]
    assert "agent_surveys" in " ".join(only(drawn, "no_data")["reasons"])
    assert not drawn.of("chart") and not drawn.of("control")


# ---- teams ------------------------------------------------------------------------------------------

def test_ranking_lists_every_team_with_contacts_in_the_period(con):
    drawn = draw(teams.ranking_table, con, "teams")
    assert headings(drawn) == ["Teams and agents ranked by CSAT"]
    assert only(drawn, "control")["value"] == "team"
    shown = only(drawn, "table")
    expected = scalar(con, "select count(distinct team_id) from interactions where queued_at::date between $f and $l",
                      {"f": MARCH_TO_MAY[0], "l": MARCH_TO_MAY[1]})
    assert shown["frame"].height == expected > 10
    assert shown["frame"].columns[:3] == ["Rank", "Team", "Site"] and shown["csv_name"] == "teams_team_table"


def test_ranking_of_agents_lists_a_teams_agents_with_answered_contacts(con):
    team = filters.read_choices(con).teams_at(None)[3]
    drawn = draw(teams.ranking_table, con, "teams", {"rank": "agent"}, team=team)
    shown = only(drawn, "table")["frame"]
    expected = scalar(con, """
        select count(distinct i.agent_id) from interactions as i join teams as t using (team_id)
        where t.team_name = $team and not i.abandoned and i.queued_at::date between $f and $l
    """, {"team": team, "f": MARCH_TO_MAY[0], "l": MARCH_TO_MAY[1]})
    assert shown.height == expected > 0 and set(shown.get_column("Team")) == {team}


def units_with_answers(con, by: str, team: str | None = None) -> int:
    return scalar(con, f"""
        select count(distinct i.{by}) from interactions as i join teams as t using (team_id)
        join customer_surveys as s using (interaction_id)
        where s.csat is not null and i.queued_at::date between $f and $l and ($team is null or t.team_name = $team)
    """, {"f": MARCH_TO_MAY[0], "l": MARCH_TO_MAY[1], "team": team})


def test_funnel_has_one_point_per_team_with_answers_and_drills(con):
    drawn = draw(teams.funnel, con, "teams")
    assert headings(drawn) == ["Funnel plot: CSAT against answers, per team"]
    funnel = only(drawn, "chart")
    assert (funnel["key"], funnel["drill"]) == ("chart_teams_funnel", True)
    assert points(funnel["figure"]) == units_with_answers(con, "team_id") > 10


def test_funnel_of_a_team_has_one_point_per_agent_with_answers(con):
    team = filters.read_choices(con).teams_at(None)[0]
    drawn = draw(teams.funnel, con, "teams", team=team)
    assert headings(drawn) == [f"Funnel plot: CSAT against answers, per agent of {team}"]
    assert points(only(drawn, "chart")["figure"]) == units_with_answers(con, "agent_id", team) > 1


# ---- management -------------------------------------------------------------------------------------

ITEMS = ("satisfaction", "empowerment", "manager_support", "training_adequacy", "pressure")


def test_milestone_surveys_draw_one_bar_per_milestone_and_item_and_the_response_table(con):
    drawn = draw(management.milestone_surveys, con, "management", period=YEAR_2025)
    assert headings(drawn) == ["Agent survey items by tenure milestone", "Agent survey responses by milestone"]
    answered = " union ".join(f"select distinct milestone, '{item}' from agent_surveys where {item} is not null "
                              "and milestone <> 'pulse' and surveyed_at between $f and $l" for item in ITEMS)
    span = {"f": YEAR_2025[0], "l": YEAR_2025[1]}
    chart = only(drawn, "chart")
    assert chart["key"] == "chart_survey_items"
    assert points(chart["figure"]) == scalar(con, f"select count(*) from ({answered})", span) == 20
    milestones = scalar(con, "select count(distinct milestone) from agent_surveys where surveyed_at between $f and $l",
                        span)
    assert only(drawn, "table")["frame"].height == milestones == 5


def test_milestone_surveys_on_a_store_without_agent_surveys_say_so_once(sparse):
    drawn = draw(management.milestone_surveys, sparse, "management", period=YEAR_2025)
    assert headings(drawn) == ["Agent survey items by tenure milestone"]
    assert "agent_surveys" in " ".join(only(drawn, "no_data")["reasons"])
    assert not drawn.of("chart") and not drawn.of("table")
