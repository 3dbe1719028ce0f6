"""URL parameters -> filters: valid links reproduce the view; bad ones fall back with a notice."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import filters

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
