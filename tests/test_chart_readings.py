"""The reading in words under a query file's relationship chart (header key `reading:`,
dashboard/readings.py via present.chart): drawn on a recording Canvas over the session's demo store,
exactly as a page draws it, and checked word for word against figures computed here from the raw
tables with plain SQL (Wilson and Newcombe intervals, Pearson's r with Fisher's interval, medians),
for a clear association, no detectable link and too little data, at several filters. Then the
header's validation: every malformed reading is refused naming the file, its line and the key."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from test_sections import RecordingCanvas, page_data

from dashboard import catalogue, config, nodata, present, readings

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
Q4 = (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
Q2 = (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
Q3 = (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
Z = 1.959963984540054
CAUTION = "Association, not proof of cause."


def reading_under(con, name: str, page: str | None, period, **scope) -> str:
    """The query file drawn as its page draws it; the reading is the last caption after the chart."""
    canvas = RecordingCanvas(page_data(con, page or "queries", period, **scope))
    present.query_block(canvas, canvas.data.query(name), canvas.data.bound())
    calls = canvas.calls
    drawn_at = [i for i, (method, _) in enumerate(calls) if method == "chart"]
    assert len(drawn_at) == 1, calls
    after = [args["text"] for method, args in calls[drawn_at[0]:] if method == "caption"]
    assert after, "no caption under the chart"
    assert not [args for method, args in calls if method == "notice" and args["level"] == "error"]
    return after[-1]


def rows(con, sql: str, params: dict) -> list[tuple]:
    return con.cursor().sql(sql, params=params).fetchall()


def scope_params(period, team=None, site=None) -> dict:
    return {"date_from": period[0], "date_to": period[1], "team": team, "site": site}


# ---- independent statistics ---------------------------------------------------------------------

def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def newcombe(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float, float]:
    """p1 - p0 with Newcombe's hybrid score interval (method 10), from the two Wilson intervals."""
    p1, p0 = k1 / n1, k0 / n0
    (l1, u1), (l0, u0) = wilson(k1, n1), wilson(k0, n0)
    d = p1 - p0
    return d, d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def share(k: int, n: int, noun: str) -> str:
    low, high = wilson(k, n)
    return f"{100 * k / n:.1f} %", f"(95 % CI {100 * low:.1f} % to {100 * high:.1f} %; n = {n:,} {noun})"


def gap(k1: int, n1: int, k0: int, n0: int) -> tuple[str, bool]:
    """The difference in words and whether its interval spans 0."""
    d, low, high = newcombe(k1, n1, k0, n0)
    words = (f"{abs(100 * d):.1f} points {'higher' if d > 0 else 'lower'} "
             f"(95 % CI {100 * low:+.1f} to {100 * high:+.1f} points)")
    spans = low <= 0 <= high
    return words + (", an interval that spans 0: no detectable link." if spans else "."), spans


def pearson(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """r with Fisher's z interval."""
    r = float(np.corrcoef(xs, ys)[0, 1])
    half = Z / math.sqrt(len(xs) - 3)
    return r, math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)


# ---- compare: CSAT by wait, the last bucket against the first ---------------------------------

WAIT_BUCKETS = {1: "0-10 s", 2: "10-30 s", 3: "30-60 s", 4: "1-2 min", 5: "2-5 min", 6: "5-10 min", 7: "10 min+"}


def csat_by_wait(con, period, team=None) -> dict[int, tuple[int, int]]:
    found = rows(con, """
        select case when i.wait_s < 10 then 1 when i.wait_s < 30 then 2 when i.wait_s < 60 then 3
                    when i.wait_s < 120 then 4 when i.wait_s < 300 then 5 when i.wait_s < 600 then 6
                    when i.wait_s >= 600 then 7 end as bucket,
               count(*) filter (where s.csat >= 4), count(*)
        from interactions as i
        join teams as t using (team_id)
        join customer_surveys as s using (interaction_id)
        where not i.abandoned and s.csat is not null
          and i.queued_at >= $date_from and i.queued_at < $date_to + interval 1 day
          and ($team is null or t.team_name = $team)
        group by bucket""", {k: v for k, v in scope_params(period, team).items() if k != "site"})
    return {bucket: (hits, n) for bucket, hits, n in found if bucket is not None}


# the whole centre: the longest waits' CSAT is clearly below the shortest's; one team's longest
# waits hold a handful of answers, too few to tell
@pytest.mark.parametrize("period, team, no_link", [(YEAR, None, False), (Q4, None, False), (YEAR, "Falcon", True)])
def test_csat_by_wait_reads_the_longest_wait_against_the_shortest(con, period, team, no_link):
    buckets = csat_by_wait(con, period, team)
    first, last = min(buckets), max(buckets)
    (k1, n1), (k0, n0) = buckets[last], buckets[first]
    words, spans = gap(k1, n1, k0, n0)
    assert spans == no_link
    last_share, first_share = share(k1, n1, "survey answers"), share(k0, n0, "survey answers")
    assert reading_under(con, "wait_times_csat_by_wait", "wait-times", period, team=team) == (
        f"CSAT where wait before answer is {WAIT_BUCKETS[last]}: {last_share[0]} {last_share[1]} against "
        f"{first_share[0]} where it is {WAIT_BUCKETS[first]} {first_share[1]}: {words} {CAUTION}")


# ---- compare each level against the baseline: FCR by escalation depth ----------------------------

LEVELS = ("No exception asked", "0 · agent", "1 · team lead", "2 · manager", "3 · senior management")


def fcr_by_level(con, period, site=None) -> dict[str, tuple[int, int]]:
    found = rows(con, """
        select case when not i.exception_requested then 0 else 1 + least(i.escalation_depth, 3) end as level,
               count(*) filter (where i.resolved and not i.repeat_within_7d), count(i.resolved)
        from interactions as i
        join teams as t using (team_id)
        where not i.abandoned and i.exception_requested is not null
          and (not i.exception_requested or i.escalation_depth is not null)
          and i.queued_at >= $date_from and i.queued_at < $date_to + interval 1 day
          and ($site is null or t.site = $site)
        group by level order by level""", {k: v for k, v in scope_params(period, site=site).items() if k != "team"})
    return {LEVELS[level]: (hits, n) for level, hits, n in found if n > 0}


@pytest.mark.parametrize("period, site", [(YEAR, None), (Q4, None), (YEAR, "Leeds")])
def test_fcr_by_depth_reads_every_level_against_no_exception(con, period, site):
    levels = fcr_by_level(con, period, site)
    base = levels["No exception asked"]
    base_share = share(*base, "answered contacts")
    expected = [f"FCR where decided by is No exception asked: {' '.join(base_share)}."]
    spanning = {}
    for level, counts in levels.items():
        if level == "No exception asked":
            continue
        words, spanning[level] = gap(*counts, *base)
        expected.append(f"Where it is {level}: {' '.join(share(*counts, 'answered contacts'))}: {words}")
    # both cases on one chart: the agent deciding alone is no different from no exception at all,
    # a team lead deciding comes with clearly lower FCR
    assert spanning["0 · agent"] and not spanning["1 · team lead"]
    assert reading_under(con, "escalations_fcr_by_depth", "escalations", period, site=site) == (
        " ".join(expected) + f" {CAUTION}")


# ---- medians, with no interval ---------------------------------------------------------------------

def test_resolution_by_depth_states_medians_and_n_and_no_interval(con):
    found = rows(con, """
        select case when not exception_requested then 0 else 1 + least(escalation_depth, 3) end as level,
               median(resolution_s / 3600.0), count(*)
        from interactions
        where not abandoned and resolved and resolution_s is not null and exception_requested is not null
          and (not exception_requested or escalation_depth is not null)
          and queued_at >= $date_from and queued_at < $date_to + interval 1 day
        group by level order by level""", {"date_from": YEAR[0], "date_to": YEAR[1]})
    (_, base, base_n), *others = found
    expected = [f"Median time to resolution where decided by is No exception asked: {base:,.1f} h "
                f"(n = {base_n:,} resolved contacts)."]
    for level, median, n in others:
        size = f"{abs(median - base):,.1f}"
        expected.append(f"Where it is {LEVELS[level]}: {median:,.1f} h (n = {n:,} resolved contacts), "
                        f"{'about the same' if size == '0.0' else size + ' h ' + ('more' if median > base else 'less')}.")
    text = reading_under(con, "escalations_resolution_by_depth", "escalations", YEAR)
    assert text == (" ".join(expected) + " This chart gives no interval for a difference of medians, so it cannot "
                    f"say whether a difference is larger than chance. {CAUTION}")
    assert "95 % CI" not in text


# ---- correlate: managers' answers within 72 h against their agents' satisfaction ------------------

def manager_points(con, period, site=None, team=None) -> list[tuple[float, float]]:
    """Per team: % of requests answered within 72 h, and agent satisfaction % where at least the
    respondent threshold of agents answered (fewer: hidden, as every page hides it)."""
    found = rows(con, """
        with requests as (
            select a.team_id, count(*) as opened,
                   count(*) filter (where r.answered_at <= r.opened_at + interval 72 hour) as within
            from agent_requests as r join agents as a using (agent_id)
            where r.opened_at >= $date_from and r.opened_at < $date_to + interval 1 day
            group by a.team_id
        ),
        answers as (
            select a.team_id, count(s.satisfaction) as answers,
                   count(*) filter (where s.satisfaction >= 4) as satisfied,
                   count(distinct s.agent_id) filter (where s.satisfaction is not null) as respondents
            from agent_surveys as s join agents as a using (agent_id)
            where s.surveyed_at between $date_from and $date_to
            group by a.team_id
        )
        select 100.0 * q.within / q.opened, 100.0 * s.satisfied / s.answers, s.respondents
        from requests as q join answers as s using (team_id) join teams as t using (team_id)
        where s.answers > 0 and ($site is null or t.site = $site) and ($team is null or t.team_name = $team)
        """, scope_params(period, team, site))
    return [(x, y) for x, y, respondents in found if respondents >= config.min_respondents()]


@pytest.mark.parametrize("period", [YEAR, Q2])
def test_managers_answers_read_as_a_clear_correlation(con, period):
    points = manager_points(con, period)
    r, low, high = pearson([x for x, _ in points], [y for _, y in points])
    assert low > 0    # a clear association
    assert reading_under(con, "management_requests_vs_satisfaction", "management", period) == (
        f"Pearson's r = {r:+.2f} (95 % CI {low:+.2f} to {high:+.2f}), n = {len(points)} teams: agent satisfaction "
        f"tends to be higher where requests answered within 72 h is higher. {CAUTION}")


def test_a_quarter_leaves_out_the_teams_hidden_for_too_few_respondents(con):
    """The reading rests on the rows the chart draws: a team of fewer respondents than the threshold
    is hidden there and so is not a point of the correlation."""
    teams_with_both = rows(con, """
        select count(distinct a.team_id) from agent_surveys as s join agents as a using (agent_id)
        where s.surveyed_at between $date_from and $date_to and s.satisfaction is not null""",
                           {"date_from": Q4[0], "date_to": Q4[1]})[0][0]
    shown = len(manager_points(con, Q4))
    assert 3 < shown < teams_with_both
    assert f"n = {shown} teams" in reading_under(con, "management_requests_vs_satisfaction", "management", Q4)


@pytest.mark.parametrize("period, site", [(YEAR, "Lisbon"), (Q3, "Lisbon")])
def test_a_site_without_the_link_reads_no_detectable_link(con, period, site):
    points = manager_points(con, period, site=site)
    r, low, high = pearson([x for x, _ in points], [y for _, y in points])
    assert low <= 0 <= high and len(points) > 3
    assert reading_under(con, "management_requests_vs_satisfaction", "management", period, site=site) == (
        f"Pearson's r = {r:+.2f} (95 % CI {low:+.2f} to {high:+.2f}), n = {len(points)} teams: no detectable link "
        f"(the interval spans 0). {CAUTION}")


# ---- too little data ----------------------------------------------------------------------------------

@pytest.mark.parametrize("period", [YEAR, Q4])
def test_one_team_is_too_little_data_for_a_correlation(con, period):
    team = "Falcon"
    points = manager_points(con, period, team=team)
    assert len(points) == 1
    assert reading_under(con, "management_requests_vs_satisfaction", "management", period, team=team) == (
        "Too little data: a correlation needs at least 3 teams with both values; these filters leave 1. "
        f"{CAUTION}")


def test_one_team_month_is_too_little_data_for_a_comparison(con):
    """One team in one month falls in one training bucket: each measure has one category."""
    team, month = "Falcon", (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    months = rows(con, """select count(distinct date_trunc('month', i.queued_at)) from interactions as i
                          join teams as t using (team_id)
                          where t.team_name = $team and i.queued_at >= $date_from
                            and i.queued_at < $date_to + interval 1 day""",
                  {"team": team, "date_from": month[0], "date_to": month[1]})[0][0]
    assert months == 1
    words = ("too little data: 1 category of training hours per agent in the month in these filters; "
             "a comparison needs two.")
    assert reading_under(con, "management_training_buckets", "management", month, team=team) == (
        f"FCR: {words} CSAT: {words} {CAUTION}")


# ---- the pooled line of abandonment is named, not read ---------------------------------------------

def test_abandonment_is_read_per_channel_and_the_pooled_line_is_not(con):
    text = reading_under(con, "wait_times_abandon_by_wait", "wait-times", YEAR)
    channels = [c for (c,) in rows(con, "select distinct channel from interactions order by channel", {})]
    starts = [text.index(f"{c[:1].upper() + c[1:]}, abandon rate where time in queue is ") for c in channels]
    assert starts == sorted(starts)
    assert "All channels is not read: a pooled line mixes the other series" in text
    assert text.count("All channels") == 1


# ---- an analyst's own file gets its reading on the Query catalogue page ----------------------------

ANALYST_FILE = """\
-- title: CSAT by channel
-- description: Share of answers of 4-5 per channel.
-- chart: bar
-- x: channel
-- y: csat
-- n: answers
-- labels: {csat: "CSAT %", channel: "Channel"}
-- reading: {compare: ends, hits: satisfied}
-- params: [date_from, date_to]
select i.channel, count(*) filter (where s.csat >= 4) as satisfied, count(s.csat) as answers,
       100.0 * count(*) filter (where s.csat >= 4) / count(s.csat) as csat
from interactions as i join customer_surveys as s using (interaction_id)
where i.queued_at >= $date_from and i.queued_at < $date_to + interval 1 day and s.csat is not null
group by i.channel
order by i.channel
"""


class CatalogueCanvas(RecordingCanvas):
    def group(self, text: str) -> None:
        self._record("group", text=text)


def test_an_analysts_file_on_the_catalogue_page_gets_its_reading(con, queries_folder):
    (queries_folder / "analyst_csat_by_channel.sql").write_text(ANALYST_FILE)
    found = rows(con, """select i.channel, count(*) filter (where s.csat >= 4), count(*)
                         from interactions as i join customer_surveys as s using (interaction_id)
                         where i.queued_at >= $date_from and i.queued_at < $date_to + interval 1 day
                           and s.csat is not null group by i.channel order by i.channel""",
                 {"date_from": YEAR[0], "date_to": YEAR[1]})
    (c0, k0, n0), (c1, k1, n1) = found[0], found[-1]
    canvas = CatalogueCanvas(page_data(con, "queries", YEAR))
    present.catalogue_files(canvas)
    first, last = share(k0, n0, "answers"), share(k1, n1, "answers")
    expected = (f"CSAT where channel is {c1}: {last[0]} {last[1]} against {first[0]} where it is {c0} "
                f"{first[1]}: {gap(k1, n1, k0, n0)[0]} {CAUTION}")
    assert expected in [args["text"] for method, args in canvas.calls if method == "caption"]


# ---- the header ------------------------------------------------------------------------------------

HEADER = """\
-- title: T
-- description: D
-- chart: {chart}
-- x: wait_bucket
-- y: csat
-- n: answers{extra}
-- reading: {reading}
-- params: [date_from]
select $date_from as d
"""


def parse(tmp_path, reading: str, chart: str = "line", extra: str = ""):
    path = tmp_path / "my_chart.sql"
    path.write_text(HEADER.format(reading=reading, chart=chart, extra=extra))
    return catalogue.parse_query_file(path)


@pytest.mark.parametrize("reading, chart, extra, words", [
    ("ends", "line", "", "must map keys to values"),
    ("{compare: ends, correlate: teams, hits: k}", "line", "", "needs exactly one of compare, medians, correlate"),
    ("{hits: k}", "line", "", "needs exactly one of compare, medians, correlate"),
    ("{compare: ends, hits: k, why: x}", "line", "", "unknown key 'why'"),
    ("{compare: ends}", "line", "", "compare needs hits"),
    ("{compare: middle, hits: k}", "line", "", "compare must be ends (the last category of x against the first) or "
                                               "first"),
    ("{medians: first, hits: k}", "line", "", "'hits' belongs to compare"),
    ("{compare: ends, hits: k, unit: h}", "line", "", "'unit' belongs to medians"),
    ("{correlate: teams, hits: k}", "scatter", "", "'hits' belongs to compare or medians"),
    ("{correlate: ''}", "scatter", "", "correlate names what one point is"),
    ("{compare: ends, hits: [a, b]}", "line", "", "hits must be one column name"),
    ("{compare: ends, hits: k}", "heatmap", "\n-- z: csat", "a heatmap chart has no reading"),
    ("{compare: ends, hits: k, by: site}", "line", "", "by must be the chart's color column (the chart has none)"),
    ("{compare: ends, hits: k}", "line", "\n-- color: channel", "the chart draws one series per channel: say "
                                                               "by: channel"),
    ("{compare: ends, hits: k, by: site}", "line", "\n-- color: channel", "by must be the chart's color column "
                                                                         "(channel), not 'site'"),
    ("{compare: ends, hits: k, leave_out: [All]}", "line", "", "leave_out names series of the by column"),
])
def test_a_malformed_reading_is_refused_naming_file_line_and_key(tmp_path, reading, chart, extra, words):
    with pytest.raises(catalogue.QueryFileError) as caught:
        parse(tmp_path, reading, chart, extra)
    error = caught.value
    line = next(number for number, text in enumerate(error.path.read_text().splitlines(), 1)
                if text.startswith("-- reading:"))
    assert error.location == f"my_chart.sql:{line}"
    assert error.message.startswith("reading: ") and words in error.message, error.message


def test_compare_without_any_n_is_refused(tmp_path):
    path = tmp_path / "no_n.sql"
    path.write_text(HEADER.replace("-- n: answers{extra}\n", "").format(reading="{compare: ends, hits: k}",
                                                                      chart="bar"))
    with pytest.raises(catalogue.QueryFileError, match="reading: compare needs n, the count column"):
        catalogue.parse_query_file(path)


def test_a_well_formed_reading_is_part_of_the_spec(tmp_path):
    spec = parse(tmp_path, "{compare: first, hits: k, by: channel, leave_out: [All channels]}",
                 extra="\n-- color: channel").spec
    assert (spec.reading.kind, spec.reading.against, spec.reading.hits, spec.reading.n, spec.reading.by,
            spec.reading.leave_out) == ("compare", "first", "k", "answers", "channel", ("All channels",))
    assert parse(tmp_path, "{correlate: teams}", chart="scatter").spec.reading.points == "teams"


def test_a_reading_naming_a_column_the_query_lacks_is_an_error_in_place_of_the_chart(tmp_path):
    query = parse(tmp_path, "{compare: ends, hits: satisfied}")
    frame = pl.DataFrame({"wait_bucket": ["a", "b"], "csat": [1.0, 2.0], "answers": [3, 4]})
    assert nodata.unknown_columns(query, frame) == ["satisfied"]


def test_every_shipped_relationship_chart_declares_a_reading():
    shipped = catalogue.load(config.queries_dir())
    assert not shipped.errors
    named = ("wait_times_csat_by_wait", "wait_times_abandon_by_wait", "escalations_csat_by_depth",
             "escalations_fcr_by_depth", "escalations_rate_by_authority", "escalations_resolution_by_depth",
             "management_requests_vs_satisfaction", "management_training_buckets",
             "management_training_team_months")
    assert {name: shipped.get(name).spec.reading.kind for name in named} == {
        "wait_times_csat_by_wait": "compare", "wait_times_abandon_by_wait": "compare",
        "escalations_csat_by_depth": "compare", "escalations_fcr_by_depth": "compare",
        "escalations_rate_by_authority": "correlate", "escalations_resolution_by_depth": "medians",
        "management_requests_vs_satisfaction": "correlate", "management_training_buckets": "compare",
        "management_training_team_months": "correlate"}



def test_check_reports_a_reading_column_the_query_does_not_return(tmp_path, store_path):
    from dashboard import check

    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "typo.sql").write_text(ANALYST_FILE.replace("hits: satisfied}", "hits: satisfied_answers}"))
    checked, problems = check.problems_in(folder, store_path)
    assert checked == 1
    assert [(p.location, p.message.split(" [")[0]) for p in problems] == [
        ("typo.sql:8", "reading 'satisfied_answers' is not a column of the result")]


def test_a_category_of_one_says_its_noun_in_the_singular(tmp_path):
    """"n = 1 answers" read wrong: one of anything is singular; other counts keep the plural."""
    spec = parse(tmp_path, "{compare: ends, hits: satisfied}").spec
    frame = pl.DataFrame({"wait_bucket": ["short", "long"], "csat": [100.0, 50.0], "satisfied": [1, 20],
                          "answers": [1, 40]})
    text = readings.chart_reading(spec, frame)
    assert "n = 1 answer)" in text and "n = 40 answers)" in text and "n = 1 answers" not in text
