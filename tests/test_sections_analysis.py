"""The wait-times, escalations and attrition pages as declarations: each view is only live.render(path),
and their Python sections (dashboard/sections/) draw on any Canvas. Here a recording Canvas runs them
on the session's demo store, with no Streamlit; expected figures are computed from the raw rows."""

from __future__ import annotations

import ast
import calendar
import datetime as dt
import math
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT

from dashboard import catalogue, config, coverage, filters, layout, nodata, pages, store
from dashboard.canvas import PageData, SectionProblem
from dashboard.sections import attrition, escalations, wait_times

YEAR = filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
BEFORE_THE_DATA = filters.Filters(dt.date(2024, 6, 1), dt.date(2024, 6, 30))
VIEWS = {"wait_times.py": "wait-times", "escalations.py": "escalations", "attrition.py": "attrition"}
SECTIONS = {"wait-times": (wait_times.by_hour, wait_times.staffing_what_if),
            "escalations": (escalations.authority_what_if,),
            "attrition": (attrition.retention_by_tenure,)}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class Recorder:
    """canvas.Canvas that records each call as (where, method, first argument, rest). A control
    returns the value PageData.controls holds for it, else its filters.CONTROLS default, and
    records it there, as both renderers do."""

    def __init__(self, data: PageData, calls: list | None = None, where: str = "page"):
        self.data, self.calls, self.where = data, [] if calls is None else calls, where

    def _record(self, method: str, first=None, **rest) -> None:
        self.calls.append((self.where, method, first, rest))

    def heading(self, text, help=None):
        self._record("heading", text)

    def caption(self, text):
        self._record("caption", text)

    def strong(self, text):
        self._record("strong", text)

    def notice(self, level, text):
        self._record("notice", text, level=level)

    def no_data(self, reasons):
        self._record("no_data", list(reasons))

    def tiles(self, title, caption, tiles):
        self._record("tiles", title, tiles=list(tiles))

    def metrics(self, metrics):
        self._record("metrics", [dict(m) for m in metrics])

    def chart(self, key, figure, *, drill=False, data=None, csv_name=None):
        self._record("chart", key, figure=figure, data=data, csv_name=csv_name)

    def table(self, key, frame, *, csv_name=None, height=None):
        self._record("table", key, frame=frame)

    def columns(self, count):
        return [Recorder(self.data, self.calls, f"{self.where}/column {i}") for i in range(count)]

    def expander(self, title):
        self._record("expander", title)
        return Recorder(self.data, self.calls, f"{self.where}/{title}")

    def control(self, key, widget, *, high=None, **hints):
        spec = filters.CONTROL[key]
        value = self.data.controls.get(key, spec.default)
        if high is not None and value is not None and value > high:
            value = spec.default
        self.data.controls[key] = value
        self._record("control", key, widget=widget, value=value, high=high)
        return value

    def of(self, method: str) -> list:
        return [first for _, name, first, _ in self.calls if name == method]

    def rest(self, method: str) -> list[dict]:
        return [rest for _, name, _, rest in self.calls if name == method]

    def figures_in(self, method: str) -> list:
        return [(where, first) for where, name, first, _ in self.calls if name == method]


def draw(store_file: Path, page: str, chosen: filters.Filters = YEAR, query_dir: Path | None = None,
         **controls) -> Recorder:
    """The page's own sections (not the query files) drawn on a Recorder from the store's data."""
    con = store.open_read_only(store_file)
    try:
        held = coverage.read(con)
        data = PageData(page=page, chosen=chosen, choices=filters.read_choices(con), coverage=held,
                        catalogue=catalogue.load(query_dir or config.queries_dir()),
                        runner=lambda query, values: nodata.blank(query, catalogue.execute(con, query, values), held),
                        controls=dict(controls))
        canvas = Recorder(data)
        for section in SECTIONS[page]:
            section(canvas)
    finally:
        con.close()
    return canvas


def metric_values(metrics: list[dict]) -> dict:
    return {m["label"]: m["value"] for m in metrics}


# ---- the declarations -------------------------------------------------------------------------------

@pytest.mark.parametrize("view, path", VIEWS.items())
def test_each_view_is_its_docstring_and_live_render(view, path):
    body = ast.parse((ROOT / "dashboard" / "views" / view).read_text()).body
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value.value, str), "a docstring first"
    assert all(isinstance(node, ast.ImportFrom | ast.Import) for node in body[1:-1])
    call = body[-1].value
    assert ast.unparse(call) == f"live.render({path!r})"
    assert pages.get(path) and layout.sections(path) == (layout.present.query_files, *SECTIONS[path])


@pytest.mark.parametrize("module", sorted((ROOT / "dashboard" / "sections").glob("*.py")), ids=lambda p: p.name)
def test_sections_never_import_streamlit_or_the_live_renderer(module):
    imported = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    assert not {name for name in imported if name.split(".")[0] == "streamlit"}
    assert not imported & {"dashboard.ui", "dashboard.live", "dashboard.app"}


# ---- wait times: the heatmap ----------------------------------------------------------------------------

def in_year(row) -> bool:
    return dt.datetime(2025, 1, 1) <= row["queued_at"] < dt.datetime(2026, 1, 1)


def test_heatmap_draws_the_chosen_measure_with_green_for_good(store_path, raw):
    default = draw(store_path, "wait-times")
    assert default.of("heading")[:1] == ["By hour of day and weekday"]
    assert default.rest("control")[0] == {"widget": "segmented", "value": "service_level", "high": None}
    assert default.figures_in("chart") == [("page", "chart_heatmap")]
    assert default.rest("chart")[0]["csv_name"] == "wait_times_by_hour_service_level"
    assert not default.rest("chart")[0]["figure"].layout.coloraxis.reversescale, "a high service level is green"

    asa = draw(store_path, "wait-times", measure="asa")
    figure = asa.rest("chart")[0]["figure"]
    assert figure.layout.coloraxis.reversescale, "a short ASA is green"
    assert list(figure.data[0].y) == WEEKDAYS
    # Wednesday 14:00 over 2025, from the raw rows
    answered = [r["wait_s"] for r in raw.interactions
                if in_year(r) and not r["abandoned"] and r["queued_at"].weekday() == 2 and r["queued_at"].hour == 14]
    cell = figure.data[0].z[WEEKDAYS.index("Wednesday")][[str(x) for x in figure.data[0].x].index("14")]
    assert cell == pytest.approx(sum(answered) / len(answered))


def test_heatmap_and_what_if_say_what_they_lack_before_the_data(store_path):
    canvas = draw(store_path, "wait-times", BEFORE_THE_DATA)
    assert canvas.of("heading") == ["By hour of day and weekday", "Staffing what-if (Erlang C)"]
    notices = " ".join(canvas.of("notice"))
    assert "No hour of the week has 10 or more contacts" in notices
    assert "enter contacts per interval and AHT above" in notices
    assert not canvas.of("chart") and not canvas.of("metrics")


def test_a_missing_query_file_is_a_section_problem_naming_it(store_path, tmp_path):
    for path in config.queries_dir().glob("*.sql"):
        if path.stem != "wait_times_by_hour":
            (tmp_path / path.name).write_text(path.read_text())
    with pytest.raises(SectionProblem, match="wait_times_by_hour.sql is missing"):
        draw(store_path, "wait-times", query_dir=tmp_path)


# ---- wait times: the Erlang C what-if -----------------------------------------------------------------

def agents_for(arrivals: float, aht_s: float, target_s: float, share: float, interval_s: float) -> int:
    """The fewest agents reaching the service level, from Erlang B's recursion (not dashboard.erlang)."""
    load = arrivals * aht_s / interval_s
    agents, blocking = 0, 1.0
    while True:
        agents += 1
        blocking = load * blocking / (agents + load * blocking)
        if agents > load:
            waits = agents * blocking / (agents - load * (1 - blocking))
            if 1 - waits * math.exp(-(agents - load) * target_s / aht_s) >= share:
                return agents


def test_what_if_from_a_link_gives_the_design_example_and_the_agents_lost(store_path):
    canvas = draw(store_path, "wait-times", calls=100.0, aht=180, lost=4)
    assert canvas.of("heading")[1] == "Staffing what-if (Erlang C)"
    needed = agents_for(100, 180, 20, 0.80, 1800)
    assert needed == 14   # docs/design.md's worked example
    full, short = canvas.of("metrics")
    assert metric_values(full)["Agents"] == needed
    assert metric_values(short)["Agents"] == needed - 4 and metric_values(short)["ASA"] == "unbounded"
    assert canvas.of("strong")[:2] == [
        f"100 contacts per 30 min at 180 s AHT is 10.0 erlangs of work. Answering 80 % within 20 s takes {needed} agents:",
        f"With {needed - 4} agents (4 fewer):"]
    assert any("grows without bound" in n for n in canvas.of("notice"))
    # the five boxes share a row; the slider is bounded by the agents one can lose
    controls = [(where, key) for where, name, key, _ in canvas.calls if name == "control"]
    assert controls[1:6] == [(f"page/column {i}", key) for i, key in
                             enumerate(("interval", "calls", "aht", "sl_target", "sl_within"))]
    assert canvas.rest("control")[-1]["high"] == 5
    title = f"Service level and ASA from 11 to {needed + 5} agents"   # 10 erlangs: 11 is the first stable count
    assert canvas.of("expander") == [title]
    assert canvas.figures_in("table") == [(f"page/{title}", "table_staffing"), ("page", "table_erlang_a")]
    assert canvas.rest("table")[0]["frame"]["Agents"].to_list() == list(range(11, 20))


def test_what_if_defaults_to_the_busiest_hour_and_aht_of_the_filtered_data(store_path, raw):
    rows = [r for r in raw.interactions if in_year(r)]
    contacts = Counter((r["queued_at"].weekday(), r["queued_at"].hour) for r in rows)
    days = Counter(dt.date(2025, m, d).weekday() for m in range(1, 13)
                   for d in range(1, calendar.monthrange(2025, m)[1] + 1))
    per_hour = max(n / days[weekday] for (weekday, _), n in contacts.items())
    handled = [r["handle_s"] for r in rows if not r["abandoned"] and r["handle_s"] is not None]
    calls, aht = max(0.1, round(per_hour * 30 / 60, 1)), round(sum(handled) / len(handled))

    canvas = draw(store_path, "wait-times", sl_target=90, sl_within=30)
    needed = agents_for(calls, aht, 30, 0.90, 1800)
    assert metric_values(canvas.of("metrics")[0])["Agents"] == needed
    assert canvas.of("strong")[0].startswith(f"{calls:g} contacts per 30 min at {aht} s AHT")
    assert any(c.startswith("From the data: the busiest hour of the week") for c in canvas.of("caption"))
    assert len(canvas.of("metrics")) == 1, "no agents lost by default: one row of figures"


# ---- wait times: Erlang A beside Erlang C ----------------------------------------------------------------

def patience_from(rows) -> tuple[float | None, int, int]:
    """Exponential patience's maximum-likelihood mean from raw contacts: every second waited (an
    answered wait is a censored patience) over the abandoned contacts; with the waits and abandons."""
    waits = [r for r in rows if r["wait_s"] is not None]
    abandoned = sum(r["abandoned"] for r in waits)
    return (sum(r["wait_s"] for r in waits) / abandoned if abandoned else None), len(waits), abandoned


def agents_for_a(arrivals, aht_s, patience_s, target_s, share, interval_s) -> int:
    """The fewest agents reaching the service level (answered within target / all arrivals) by the
    M/M/N+M chain of tests/test_erlang_a.py, not by dashboard.erlang."""
    from test_erlang_a import chain
    agents = 1
    while chain(arrivals, aht_s, patience_s, agents, target_s, interval_s)["service_level"] < share:
        agents += 1
    return agents


def test_what_if_sets_erlang_a_beside_erlang_c_with_patience_from_the_data(store_path, raw):
    patience, waits, abandoned = patience_from([r for r in raw.interactions if in_year(r)])
    assert abandoned > 1000
    canvas = draw(store_path, "wait-times", calls=100.0, aht=180)
    assert canvas.of("heading")[1:] == ["Staffing what-if (Erlang C)", "With abandonment (Erlang A)"]
    assert f"From the data: mean patience {patience:.0f} s, from {waits:,} waits of which {abandoned:,} were abandoned." \
        in canvas.of("caption")
    assert any("all time waited (abandoned and answered waits) / abandoned contacts" in c and "censored" in c
               for c in canvas.of("caption"))
    assert canvas.rest("control")[6] == {"widget": "number", "value": None, "high": None}   # the patience box
    needed_c, needed_a = agents_for(100, 180, 20, 0.80, 1800), agents_for_a(100, 180, round(patience), 20, 0.80, 1800)
    assert needed_a <= needed_c
    assert canvas.of("strong")[-1] == (f"With a mean patience of {round(patience)} s, answering 80 % of all contacts "
                                       f"within 20 s takes {needed_a} agents under Erlang A, against {needed_c} "
                                       "under Erlang C:")
    table = canvas.rest("table")[-1]["frame"]
    assert table.columns == ["Measure", "Definition", f"Erlang C, {needed_c} agents", f"Erlang A, {needed_a} agents"]
    from test_erlang_a import chain
    expected = chain(100, 180, round(patience), needed_a, 20, 1800)
    rows = {r["Measure"]: r[f"Erlang A, {needed_a} agents"] for r in table.iter_rows(named=True)}
    assert rows["P(wait) %"] == pytest.approx(100 * expected["p_wait"], abs=0.051)
    assert rows["P(abandon) %"] == pytest.approx(100 * expected["p_abandon"], abs=0.051)
    assert rows["ASA (s)"] == pytest.approx(expected["asa_s"], abs=0.051)
    assert rows["Service level % (20 s)"] == pytest.approx(100 * expected["service_level"], abs=0.051)


def test_a_typed_patience_overrides_the_data(store_path):
    canvas = draw(store_path, "wait-times", calls=100.0, aht=180, patience=300)   # DESIGN section 12's example
    assert canvas.of("strong")[-1].startswith("With a mean patience of 300 s, answering 80 % of all contacts within "
                                              "20 s takes 13 agents under Erlang A, against 14 under Erlang C")
    rows = {r["Measure"]: r for r in canvas.rest("table")[-1]["frame"].iter_rows(named=True)}
    assert rows["P(wait) %"]["Erlang A, 13 agents"] == 22.6 and rows["P(wait) %"]["Erlang C, 14 agents"] == 17.4


@pytest.fixture(scope="module")
def store_without_abandons(store_path, tmp_path_factory) -> Path:
    """The demo store with every contact answered: nobody hung up, so patience has no estimate."""
    import shutil

    import duckdb

    from dashboard import rollups
    copy = tmp_path_factory.mktemp("no_abandons") / "store.duckdb"
    shutil.copy(store_path, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("update interactions set abandoned = false")
        rollups.build(connection)   # as a publish of the changed contacts would
    return copy


def test_no_abandoned_contacts_means_no_patience_and_erlang_c_only(store_without_abandons, raw):
    waits = sum(r["wait_s"] is not None for r in raw.interactions if in_year(r))
    canvas = draw(store_without_abandons, "wait-times", calls=100.0, aht=180)
    assert any(f"None of the {waits:,} contacts with a recorded wait was abandoned, so patience cannot be estimated"
               in n and "only Erlang C is shown" in n for n in canvas.of("notice"))
    assert [key for key in canvas.of("table")] == ["table_staffing"], "no Erlang A table"
    assert metric_values(canvas.of("metrics")[0])["Agents"] == 14, "Erlang C as before"
    typed = draw(store_without_abandons, "wait-times", calls=100.0, aht=180, patience=300)
    assert typed.of("table") == ["table_staffing", "table_erlang_a"]


# ---- escalations --------------------------------------------------------------------------------------

ESCALATED = """
    select count(*) filter (where exception_amount <= $limit), count(*)
    from interactions
    where escalation_depth >= 1 and exception_requested and not abandoned
      and queued_at >= '2025-01-01' and queued_at < '2026-01-01'
"""


@pytest.mark.parametrize("grant", [None, 50.0])
def test_authority_what_if_counts_the_escalations_a_limit_avoids(store_path, con, grant):
    canvas = draw(store_path, "escalations", **({} if grant is None else {"grant": grant}))
    limit = filters.CONTROL["grant"].default if grant is None else grant
    assert canvas.of("heading") == ["What if agents could grant more"]
    assert canvas.rest("control") == [{"widget": "number", "value": limit, "high": None}]
    avoided, escalated = con.cursor().sql(ESCALATED, params={"limit": limit}).fetchall()[0]
    figures = metric_values(canvas.of("metrics")[0])
    assert figures["Escalations avoided"] == f"{avoided:,}"
    assert figures["Of all escalations"] == f"{100 * avoided / escalated:.1f} %"
    assert list(figures) == ["Escalations avoided", "Of all escalations", "Customer-hours saved",
                             "Of all decision waiting"]


def test_authority_what_if_with_no_escalations_says_so(store_path):
    canvas = draw(store_path, "escalations", BEFORE_THE_DATA)
    assert canvas.of("notice") == ["No escalated exception requests for these filters, so there is nothing to avoid."]
    assert not canvas.of("metrics")


# ---- attrition ----------------------------------------------------------------------------------------

def test_retention_curves_side_by_side(store_path):
    canvas = draw(store_path, "attrition")
    assert canvas.of("heading") == ["Agent retention by tenure"]
    assert [(w, s) for w, name, s, _ in canvas.calls if name == "strong"] == [
        ("page/column 0", "By agent satisfaction"), ("page/column 1", "By manager response")]
    assert canvas.figures_in("chart") == [("page/column 0", "retention_satisfaction_group"),
                                          ("page/column 1", "retention_manager_group")]
    for figure in (rest["figure"] for rest in canvas.rest("chart")):
        shares = [y for trace in figure.data for y in trace.y]
        assert shares and max(shares) <= 100 and min(shares) >= 0


def test_retention_curves_name_what_a_sparse_store_lacks(sparse_store_path):
    canvas = draw(sparse_store_path, "attrition", filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    reasons = canvas.of("no_data")
    assert len(reasons) == 2 and not canvas.of("chart")
    assert "agent_surveys" in " ".join(reasons[0]) and "agent_requests" in " ".join(reasons[1])

