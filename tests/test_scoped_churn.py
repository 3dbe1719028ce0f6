"""Customer churn with a site, team, channel or touchpoint filter reads customer_first_contacts (per customer
and team x channel x touchpoint, the first contact's day and the customer's dates; data/schema.sql) through
the filtered_customers macro, instead of every contact up to the period's end. Its base holds exactly the
customers the previous SQL (kept here) counted, at many filters, on the demo, on an imported sample and on a
scope's stores; and the rollup's rows equal the raw rows counted in plain Python."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from conftest import import_text, rows

from dashboard import catalogue, config, coverage, filters, rollups, scopes, store

# The churn base as overview_customer_kpis computed it before the rollup (commit 91ff51c): customers active
# at the period's start and, with a scope filter, those with any contact of the scope up to its end.
PREVIOUS_CHURN_BASE = """
with active_at_start as (
    select c.customer_id, c.churned_on
    from customers as c
    where c.joined_on < $date_from
      and (c.churned_on is null or c.churned_on >= $date_from)
)
select customer_id, churned_on
from active_at_start
where $site is null and $team is null and $channel is null and $touchpoint is null
union all
select customer_id, churned_on
from active_at_start
where not ($site is null and $team is null and $channel is null and $touchpoint is null)
  and customer_id in (
      select customer_id
      from filtered_interactions(date '1900-01-01', $date_to, $site, $team, $channel, $touchpoint)
  )
"""
NOW = "select customer_id, churned_on from filtered_customers($date_from, $date_to, $site, $team, $channel, $touchpoint)"


def cases(con) -> dict[str, filters.Filters]:
    """Every kind of scope filter, alone and combined, over whole, partial and empty periods."""
    (first, last), = rows(con, "select min(queued_at)::date, max(queued_at)::date from interactions")
    team, site, other_site = rows(con, """
        select t.team_name, t.site, (select min(site) from teams where site <> t.site)
        from teams as t where t.team_id = (select min(team_id) from interactions)""")[0]
    channel, = rows(con, "select min(channel) from interactions")[0]
    touchpoint, = rows(con, "select min(touchpoint_name) from interactions join touchpoints using (touchpoint_id)")[0]
    middle = first + (last - first) / 2
    month = (middle.replace(day=1), (middle.replace(day=1) + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1))
    mid_month = (first + (last - first) / 4, middle.replace(day=14))   # starts and ends inside months
    whole = (first, last)
    return {
        "no filter, a month": filters.Filters(*month),
        "one team, one month": filters.Filters(*month, team=team),
        "one team, the whole data": filters.Filters(*whole, team=team),
        "one site, ending mid-month": filters.Filters(*mid_month, site=site),
        "one channel": filters.Filters(*mid_month, channel=channel),
        "one touchpoint, one month": filters.Filters(*month, touchpoint=touchpoint),
        "team and channel": filters.Filters(*mid_month, team=team, channel=channel),
        "site, channel and touchpoint": filters.Filters(*month, site=site, channel=channel, touchpoint=touchpoint),
        "a day": filters.Filters(middle, middle, team=team),
        "from before the data": filters.Filters(first - dt.timedelta(days=40), middle, channel=channel),
        # a scope that served nobody: a team at another site, and any scope before its first contact
        "team at another site": filters.Filters(*month, site=other_site, team=team),
        "ending before the first contact": filters.Filters(first - dt.timedelta(days=60), first - dt.timedelta(days=1),
                                                           team=team),
    }


def assert_same_base(con, label: str, chosen: filters.Filters) -> list[tuple]:
    params = chosen.as_params()
    now = sorted(rows(con, NOW, params))
    before = sorted(rows(con, PREVIOUS_CHURN_BASE, params))
    assert now == before, label
    assert len({customer for customer, _ in now}) == len(now), label   # each customer once
    return now


def assert_same_churn_everywhere(con) -> dict[str, int]:
    """filtered_customers against the previous SQL, and the overview's churn tile against that base."""
    query = catalogue.load(config.queries_dir()).get("overview_customer_kpis")
    sizes = {}
    for label, chosen in cases(con).items():
        base = assert_same_base(con, label, chosen)
        tile = catalogue.execute(con, query, chosen.as_params()).row(0, named=True)
        churned = sum(1 for _, churned_on in base if churned_on is not None and churned_on <= chosen.date_to)
        assert tile["customer_churn_n"] == len(base), label
        assert tile["customer_churn"] == (100.0 * churned / len(base) if base else None), label
        sizes[label] = len(base)
    return sizes


def expected_first_contacts(con) -> dict[tuple, tuple]:
    """customer_first_contacts counted in Python from `select *` of the contacts and customers."""
    customers = {c: (joined, churned) for c, _, joined, churned in rows(con, "select * from customers")}
    names = [d[0] for d in con.cursor().execute("select * from interactions limit 0").description]
    first: dict[tuple, dt.date] = {}
    for contact in rows(con, "select * from interactions"):
        c = dict(zip(names, contact))
        if c["customer_id"] not in customers:
            continue
        key = (c["customer_id"], c["team_id"], c["channel"], c["touchpoint_id"])
        day = c["queued_at"].date()
        first[key] = min(first.get(key, day), day)
    # the customer's earliest row with each team, ties broken by channel, then touchpoint
    earliest = {}
    for key, day in first.items():
        team_key, order = key[:2], (day, key[2], key[3])
        if team_key not in earliest or order < earliest[team_key]:
            earliest[team_key] = order
    return {key: (day, earliest[key[:2]] == (day, *key[2:]), *customers[key[0]]) for key, day in first.items()}


def held_first_contacts(con) -> dict[tuple, tuple]:
    held = rows(con, "select customer_id, team_id, channel, touchpoint_id, first_on, first_for_team, joined_on, "
                     "churned_on from customer_first_contacts")
    as_dict = {row[:4]: row[4:] for row in held}
    assert len(as_dict) == len(held)   # one row per customer and scope
    return as_dict


def test_the_rollup_holds_each_customers_first_contact_per_scope(con):
    expected = expected_first_contacts(con)
    assert held_first_contacts(con) == expected
    # what makes the rollup worth checking: customers served by several scopes, on several days
    scopes_per_customer = defaultdict(int)
    for customer, *_ in expected:
        scopes_per_customer[customer] += 1
    assert max(scopes_per_customer.values()) > 1
    assert len({day for day, *_ in expected.values()}) > 100
    assert sum(first_for_team for _, first_for_team, *_ in expected.values()) < len(expected)


def test_the_rollup_is_in_team_order(con):
    """A team filter reads only its team's rows (DuckDB skips row groups by their min-max)."""
    teams = [team for (team,) in rows(con, "select team_id from customer_first_contacts")]
    assert teams == sorted(teams)


def test_scoped_churn_counts_the_customers_the_previous_sql_counted(con):
    sizes = assert_same_churn_everywhere(con)
    # the cases are not trivial: customers in most of them, none where the scope served nobody
    assert sizes["team at another site"] == sizes["ending before the first contact"] == 0
    assert sizes["no filter, a month"] > sizes["one site, ending mid-month"] > sizes["one team, one month"] > 0
    assert sizes["team and channel"] > 0
    assert sizes["site, channel and touchpoint"] > 0 and sizes["a day"] > 0


@pytest.fixture(scope="module")
def imported_with_customers(tmp_path_factory):
    """An imported contact log with customer records (joining and churn dates), two teams on two sites, two
    channels and two touchpoints; customers come back across teams and channels."""
    rng = random.Random(13)
    customers = {}
    for customer in range(1, 61):
        joined = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(500))
        churned = joined + dt.timedelta(days=rng.randrange(20, 300)) if rng.random() < 0.4 else None
        customers[customer] = (joined, churned)
    lines = ["id,day,time,team,site,channel,topic,customer,joined,churned"]
    for contact in range(1, 401):
        customer = rng.randrange(1, 61)
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(150))
        team, site = rng.choice([("North", "Leeds"), ("South", "Cork")])
        joined, churned = customers[customer]
        lines.append(f"{contact},{day},{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00,{team},{site},"
                     f"{rng.choice(['phone', 'chat'])},{rng.choice(['Billing', 'Orders'])},{customer},{joined},"
                     f"{churned or ''}")
    mapping = """
tables:
  teams: {rows: distinct, columns: {team_name: team, site: site, manager_name: {constant: M}}}
  touchpoints:
    rows: distinct
    columns: {touchpoint_name: topic, owner_unit: {constant: Desk}, sla_name: {constant: "20 s"},
              sla_seconds: {constant: 20}, sla_measure: {constant: wait_s}}
  customers:
    rows: distinct
    columns: {customer_id: customer, segment: {constant: Retail}, joined_on: joined, churned_on: churned}
  interactions:
    columns:
      interaction_id: id
      customer_id: customer
      team_name: team
      touchpoint_name: topic
      channel: channel
      queued_at: {date: day, time: time}
      abandoned: {constant: false}
"""
    db = import_text(tmp_path_factory.mktemp("churn_import"), "churn", "\n".join(lines) + "\n", mapping)
    connection = store.open_read_only(db)
    yield connection
    connection.close()


def test_an_imported_log_gives_the_same_churn_and_rollup(imported_with_customers):
    con = imported_with_customers
    assert held_first_contacts(con) == expected_first_contacts(con) != {}
    sizes = assert_same_churn_everywhere(con)
    assert sizes["one team, one month"] > 0 and sizes["team at another site"] == 0
    assert coverage.read(con).entries[("customer_first_contacts", "churned_on")].supplied


def test_without_customer_records_the_rollup_is_empty_and_churn_is_no_data(sparse_store_path):
    with store.open_read_only(sparse_store_path) as con:
        assert rows(con, "select count(*) from customer_first_contacts") == [(0,)]
        held = coverage.read(con)
        assert not held.entries[("customer_first_contacts", "churned_on")].supplied
        tile = catalogue.execute(con, catalogue.load(config.queries_dir()).get("overview_customer_kpis"),
                                 filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 31), channel="chat").as_params())
        assert tile.row(0, named=True)["customer_churn"] is None


@pytest.mark.parametrize("purpose", ["pages", "lab"])
def test_a_scope_store_keeps_its_teams_first_contacts_and_the_same_churn(store_path, con, purpose):
    team_id, team = rows(con, "select team_id, team_name from teams order by team_id limit 1")[0]
    derived = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({team})), purpose))
    try:
        everything = held_first_contacts(con)
        assert held_first_contacts(derived) == {k: v for k, v in everything.items() if k[1] == team_id} != {}
        # the scope's own store counts the customers the previous SQL counts on it
        for label, chosen in cases(derived).items():
            assert_same_base(derived, label, chosen)
    finally:
        derived.close()


def test_team_batches_bound_the_contacts_of_each_build_step(con):
    per_team = dict(rows(con, "select team_id, count(*) from interactions group by all"))
    for most in (1, max(per_team.values()), sum(per_team.values()) // 3, 10**12):
        batches = rollups.team_batches(con, most)
        covered = [t for t in sorted(per_team) if any(a <= t <= b for a, b in batches)]
        assert covered == sorted(per_team)
        assert all(b < a2 for (_, b), (a2, _) in zip(batches, batches[1:]))   # in order, apart
        for a, b in batches:
            held = sum(n for t, n in per_team.items() if a <= t <= b)
            assert held <= most or a == b   # a team with more than `most` is a batch alone
    assert len(rollups.team_batches(con, 1)) == len(per_team)
    assert len(rollups.team_batches(con, 10**12)) == 1
