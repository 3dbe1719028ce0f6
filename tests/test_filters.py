"""URL parameters -> filters: valid links reproduce the view; bad ones fall back with a notice."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest

from dashboard import catalogue, filters, relations

CHOICES = filters.Choices(
    first_day=dt.date(2025, 1, 1), last_day=dt.date(2025, 12, 31),
    sites=("Cork", "Leeds"), teams={"Aurora": "Leeds", "Beacon": "Cork"},
    channels=("chat", "phone"), touchpoints=("Billing question", "Complaint"),
)
DEFAULT = CHOICES.defaults()


def test_default_period_is_the_last_three_months_of_data():
    assert (DEFAULT.date_from, DEFAULT.date_to) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    early = filters.Choices(dt.date(2025, 1, 10), dt.date(2025, 2, 20), (), {}, (), ())
    assert early.default_period() == (dt.date(2025, 1, 10), dt.date(2025, 2, 20))


def test_a_full_link_is_read_exactly():
    raw = {"from": "2025-03-01", "to": "2025-05-31", "site": "Leeds", "team": "Aurora",
           "channel": "phone", "touchpoint": "Complaint"}
    chosen, notices, rejected = filters.parse_url(raw, CHOICES)
    assert chosen == filters.Filters(dt.date(2025, 3, 1), dt.date(2025, 5, 31), "Leeds", "Aurora", "phone", "Complaint")
    assert notices == [] and rejected == set()
    assert filters.to_url(chosen, CHOICES) == raw


def test_streamlit_lists_are_read_last_value_wins():
    chosen, _, _ = filters.parse_url({"team": ["Beacon", "Aurora"]}, CHOICES)
    assert chosen.team == "Aurora"


@pytest.mark.parametrize("raw, key, words", [
    ({"from": "2025-13-01"}, "from", "not a date"),
    ({"to": "yesterday"}, "to", "not a date"),
    ({"team": "Nobody"}, "team", "No team is called 'Nobody'"),
    ({"site": "Mars"}, "site", "No site is called 'Mars'"),
    ({"channel": "fax"}, "channel", "No channel"),
    ({"touchpoint": "DROP TABLE"}, "touchpoint", "No touchpoint"),
])
def test_a_bad_parameter_falls_back_to_its_default_with_a_notice(raw, key, words):
    chosen, notices, rejected = filters.parse_url(raw, CHOICES)
    assert rejected == {key}
    assert len(notices) == 1 and words in notices[0]
    assert chosen == DEFAULT


def test_from_after_to_resets_the_period():
    chosen, notices, rejected = filters.parse_url({"from": "2025-06-01", "to": "2025-05-01"}, CHOICES)
    assert (chosen.date_from, chosen.date_to) == (DEFAULT.date_from, DEFAULT.date_to)
    assert rejected == {"from", "to"} and "after" in notices[0]


def test_a_team_at_another_site_is_dropped_but_the_site_kept():
    chosen, notices, rejected = filters.parse_url({"site": "Cork", "team": "Aurora"}, CHOICES)
    assert (chosen.site, chosen.team) == ("Cork", None)
    assert rejected == {"team"} and "Leeds" in notices[0]


def test_a_period_outside_the_data_is_kept_but_flagged():
    chosen, notices, rejected = filters.parse_url({"from": "2024-01-01", "to": "2024-03-31"}, CHOICES)
    assert chosen.date_from == dt.date(2024, 1, 1) and rejected == set()
    assert "has none" in notices[0]


def test_all_means_no_filter():
    chosen, notices, _ = filters.parse_url({"team": "All", "site": ""}, CHOICES)
    assert chosen.team is None and chosen.site is None and notices == []


@pytest.mark.parametrize("start, end, prev_start, prev_end", [
    ("2025-03-01", "2025-05-31", "2024-11-29", "2025-02-28"),   # 92 days back
    ("2025-06-02", "2025-06-08", "2025-05-26", "2025-06-01"),   # a week
    ("2025-01-01", "2025-01-01", "2024-12-31", "2024-12-31"),   # a day
])
def test_previous_period_has_the_same_length_and_ends_the_day_before(start, end, prev_start, prev_end):
    current = filters.Filters(dt.date.fromisoformat(start), dt.date.fromisoformat(end), team="Aurora")
    previous = current.previous_period()
    assert (previous.date_from.isoformat(), previous.date_to.isoformat()) == (prev_start, prev_end)
    assert previous.days == current.days and previous.team == "Aurora"


def test_choices_read_from_a_store(con):
    choices = filters.read_choices(con)
    assert choices.first_day.year == 2025 and choices.last_day.year == 2025
    assert len(choices.sites) == 3 and len(choices.teams) >= 20
    assert set(choices.channels) == {"phone", "chat", "messaging"}
    assert all(choices.teams[t] == "Leeds" for t in choices.teams_at("Leeds"))


# ---- a whole link -> bound values and notices (filters and page controls, one parser) --------------
# Written by hand from the README's "Sharing a view" table, not from the program.

BOUND_DEFAULT = {"date_from": dt.date(2025, 10, 1), "date_to": dt.date(2025, 12, 31), "site": None, "team": None,
                 "channel": None, "touchpoint": None, "grant_limit": 300.0, "min_respondents": 5}
CONTROL_DEFAULTS = {
    "overview": {},
    "customer-vs-agent": {"cva_measure": "CSAT", "cva_view": "pooled", "cva_lag": 0, "cva_min_answers": 8,
                          "cva_outcome": "csat"},
    "wait-times": {"measure": "service_level", "interval": 30, "calls": None, "aht": None, "sl_target": 80,
                   "sl_within": 20, "lost": 0, "patience": None},
    "escalations": {"grant": 300.0},
    "teams": {"rank": "team"},
}
CVA, WAIT, ESC = "customer-vs-agent", "wait-times", "escalations"
# (page, link, bound values that differ from BOUND_DEFAULT, controls that differ from the page's defaults, notices)
LINKS = [
    ("overview", "", {}, {}, []),
    (CVA, "cva_measure=NPS", {}, {"cva_measure": "NPS"}, []),
    (CVA, "cva_measure=nps", {}, {}, ["'cva_measure=nps' is not one of CSAT, NPS; using CSAT."]),
    (CVA, "cva_view=within", {}, {"cva_view": "within"}, []),
    (CVA, "cva_view=Within+team", {}, {}, ["'cva_view=Within team' is not one of pooled, within; using pooled."]),
    (CVA, "cva_lag=-2", {}, {"cva_lag": -2}, []),
    (CVA, "cva_lag=3", {}, {"cva_lag": 3}, []),
    (CVA, "cva_lag=4", {}, {}, ["'cva_lag=4' is not one of -3, -2, -1, 0, 1, 2, 3; using 0."]),
    (CVA, "cva_lag=Same+month", {}, {}, ["'cva_lag=Same month' is not one of -3, -2, -1, 0, 1, 2, 3; using 0."]),
    (CVA, "cva_min_answers=30", {}, {"cva_min_answers": 30}, []),
    # the least answers may go down to the respondent threshold (5 by default): fewer are hidden anyway;
    # it starts at 8, where a team-month's share is no longer mostly 0 % or 100 % by chance
    (CVA, "cva_min_answers=5", {}, {"cva_min_answers": 5}, []),
    (CVA, "cva_min_answers=0", {}, {}, ["'cva_min_answers=0' is not a whole number from 5 to 30; using 8."]),
    (CVA, "cva_min_answers=4", {}, {}, ["'cva_min_answers=4' is not a whole number from 5 to 30; using 8."]),
    (CVA, "cva_min_answers=2.5", {}, {}, ["'cva_min_answers=2.5' is not a whole number from 5 to 30; using 8."]),
    (CVA, "cva_outcome=aht", {}, {"cva_outcome": "aht"}, []),
    (CVA, "cva_outcome=AHT", {}, {}, ["'cva_outcome=AHT' is not one of csat, nps, fcr, escalation, aht; using csat."]),
    (CVA, "cva_view=pooled&cva_view=within", {}, {},
     ["'cva_view' is given 2 different values in the link; using pooled."]),
    (CVA, "cva_view=within&cva_view=within", {}, {"cva_view": "within"}, []),
    (WAIT, "measure=asa", {}, {"measure": "asa"}, []),
    (WAIT, "measure=ASA", {}, {}, ["'measure=ASA' is not one of service_level, asa, abandon_rate; using service_level."]),
    (WAIT, "interval=15", {}, {"interval": 15}, []),
    (WAIT, "interval=45", {}, {}, ["'interval=45' is not one of 15, 30, 60; using 30."]),
    (WAIT, "calls=12.5", {}, {"calls": 12.5}, []),
    (WAIT, "calls=0", {}, {}, ["'calls=0' is not a number from 0.1 to 100000; using the value from the data."]),
    (WAIT, "calls=lots", {}, {}, ["'calls=lots' is not a number from 0.1 to 100000; using the value from the data."]),
    (WAIT, "aht=180", {}, {"aht": 180}, []),
    (WAIT, "aht=1.5", {}, {}, ["'aht=1.5' is not a whole number from 1 to 36000; using the value from the data."]),
    (WAIT, "sl_target=90", {}, {"sl_target": 90}, []),
    (WAIT, "sl_target=100", {}, {}, ["'sl_target=100' is not a whole number from 1 to 99; using 80."]),
    (WAIT, "sl_within=30", {}, {"sl_within": 30}, []),
    (WAIT, "sl_within=0", {}, {}, ["'sl_within=0' is not a whole number from 1 to 3600; using 20."]),
    (WAIT, "lost=4", {}, {"lost": 4}, []),
    (WAIT, "lost=6", {}, {}, ["'lost=6' is not a whole number from 0 to 5; using 0."]),
    (WAIT, "patience=300", {}, {"patience": 300}, []),
    (WAIT, "patience=0", {}, {}, ["'patience=0' is not a whole number from 1 to 36000; using the value from the data."]),
    (ESC, "grant=500", {"grant_limit": 500.0}, {"grant": 500.0}, []),
    (ESC, "grant=0", {"grant_limit": 0.0}, {"grant": 0.0}, []),
    (ESC, "grant=-1", {}, {}, ["'grant=-1' is not a number from 0 to 100000; using 300."]),
    (ESC, "grant=nan", {}, {}, ["'grant=nan' is not a number from 0 to 100000; using 300."]),
    (ESC, "grant=inf", {}, {}, ["'grant=inf' is not a number from 0 to 100000; using 300."]),
    ("overview", "grant=5", {}, {}, []),          # another page's control: not read here
    ("teams", "rank=agent", {}, {"rank": "agent"}, []),
    ("teams", "rank=Agents", {}, {}, ["'rank=Agents' is not one of team, agent; using team."]),
    (ESC, "team=Aurora&grant=150&from=2025-11-01", {"team": "Aurora", "grant_limit": 150.0,
                                                    "date_from": dt.date(2025, 11, 1)}, {"grant": 150.0}, []),
    # the period: one rule (filters.ordered_period), one notice
    ("overview", "from=2025-12-31&to=2025-01-01", {}, {},
     ["'from' (2025-12-31) is after 'to' (2025-01-01); showing the default period, 2025-10-01 to 2025-12-31."]),
    ("overview", "from=2025-11-15", {"date_from": dt.date(2025, 11, 15)}, {}, []),
    ("overview", "to=2025-11-15", {"date_to": dt.date(2025, 11, 15)}, {}, []),
    ("overview", "to=2025-09-01", {}, {},
     ["'from' (2025-10-01) is after 'to' (2025-09-01); showing the default period, 2025-10-01 to 2025-12-31."]),
    (ESC, "from=2025-12-31&to=2025-01-01&grant=-1", {}, {},
     ["'from' (2025-12-31) is after 'to' (2025-01-01); showing the default period, 2025-10-01 to 2025-12-31.",
      "'grant=-1' is not a number from 0 to 100000; using 300."]),
]


@pytest.mark.parametrize("page, link, bound, controls, notices", LINKS, ids=[f"{p}?{q}" for p, q, *_ in LINKS])
def test_a_link_gives_these_bound_values_and_notices(page, link, bound, controls, notices):
    raw = parse_qs(link, keep_blank_values=True)   # lists, as st.query_params.get_all gives
    chosen, got_controls, got_notices, rejected = filters.parse_link(raw, CHOICES, page)
    assert filters.bound_values(chosen, got_controls) == {**BOUND_DEFAULT, **bound}
    assert got_controls == {**CONTROL_DEFAULTS[page], **controls}
    assert got_notices == notices
    named = {key for key in raw if any(f"'{key}" in text for text in notices)}
    assert rejected == named, "each rejected key is named in a notice, and leaves the link"


def test_the_table_tries_every_control_with_a_good_and_a_bad_value():
    tried = [(key, bool(notices)) for page, link, _, _, notices in LINKS for key in parse_qs(link)
             if key in filters.CONTROL and page == filters.CONTROL[key].page]
    assert {key for key, bad in tried if not bad} == set(filters.CONTROL)
    assert {key for key, bad in tried if bad} == set(filters.CONTROL)
    assert set(CONTROL_DEFAULTS) - {"overview"} == {c.page for c in filters.CONTROLS}


def test_each_control_accepts_its_own_default_and_each_page_parameter_has_a_control():
    for control in filters.CONTROLS:
        if control.default is not None:
            assert control.read(control.url_value(control.default)) == control.default
    assert set(filters.CONTROL_OF_PARAM) == set(catalogue.PAGE_PARAMS)
    assert filters.CONTROL["grant"].default == catalogue.page_param_defaults()["grant_limit"]


def test_the_measures_the_page_offers_are_those_relations_computes():
    assert list(filters.CONTROL["cva_measure"].choices) == list(relations.MEASURES)


def test_a_bound_that_narrows_at_run_time_is_named_in_the_notice():
    assert filters.parse_control({"lost": ["4"]}, filters.CONTROL["lost"], high=3) == (
        0, "'lost=4' is not a whole number from 0 to 3; using 0.")


def test_the_cli_and_the_app_word_a_reversed_period_alike():
    app = filters.ordered_period(dt.date(2025, 6, 1), dt.date(2025, 5, 1), CHOICES)[2]
    cli = filters.reversed_period(dt.date(2025, 6, 1), dt.date(2025, 5, 1), "--from", "--to")
    assert app.startswith("'from' (2025-06-01) is after 'to' (2025-05-01); ")
    assert cli == "--from (2025-06-01) is after --to (2025-05-01)"
