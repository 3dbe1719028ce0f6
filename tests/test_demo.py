"""The demo centre: its mechanics (docs/design.md section 6) are visible in plain SQL on a generated
store; it is deterministic for a seed; it matches the public schema; a failed build leaves nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from conftest import STORE_INTERACTIONS, scalar

from dashboard import demo, store

# docs/design.md section 3: the public schema analysts write SQL against
DESIGN_SCHEMA = {
    "teams": "team_id team_name site manager_name",
    "agents": "agent_id agent_name team_id hired_on left_on leave_reason authority_limit hiring_profile",
    "customers": "customer_id segment joined_on churned_on",
    "touchpoints": "touchpoint_id touchpoint_name owner_unit sla_name sla_seconds",
    "interactions": "interaction_id customer_id agent_id team_id touchpoint_id channel queued_at answered_at "
                    "ended_at wait_s handle_s abandoned resolved transfers exception_requested "
                    "escalation_depth decided_at resolution_s",
    "customer_surveys": "interaction_id answered_at csat nps ces",
    "agent_surveys": "agent_id surveyed_at milestone satisfaction enps empowerment manager_support "
                     "training_adequacy pressure",
    "agent_requests": "request_id agent_id kind opened_at answered_at",
    "training": "agent_id held_on training_hours topic",
    "events": "event_id starts_on ends_on title category team_id",
}


def test_store_has_every_table_and_column_of_the_design(con):
    for table, columns in DESIGN_SCHEMA.items():
        present = {r[0] for r in con.cursor().sql(
            "select column_name from information_schema.columns where table_name = $t", params={"t": table}).fetchall()}
        missing = set(columns.split()) - present
        assert not missing, f"{table} lacks {missing}"
        assert scalar(con, f"select count(*) from {table}") > 0, f"{table} is empty"


def test_builds_exactly_the_requested_interactions_in_2025(con):
    assert scalar(con, "select count(*) from interactions") == STORE_INTERACTIONS
    assert scalar(con, "select count(distinct interaction_id) from interactions") == STORE_INTERACTIONS
    assert scalar(con, "select min(queued_at)::date from interactions").isoformat() >= "2025-01-01"
    assert scalar(con, "select max(queued_at)::date from interactions").isoformat() <= "2025-12-31"


def test_default_shape_of_the_centre(con):
    assert scalar(con, "select count(distinct site) from teams") == 3
    assert 20 <= scalar(con, "select count(*) from teams") <= 30
    employed = scalar(con, "select count(*) from agents where hired_on <= date '2025-01-01' "
                           "and (left_on is null or left_on > date '2025-01-01')")
    assert 250 <= employed <= 350


def test_survey_response_is_about_a_fifth(con):
    rate = scalar(con, """select count(*) / (select count(*) from interactions where not abandoned)
                          from customer_surveys""")
    assert 0.15 <= rate <= 0.28


def binned(con, sql):
    return [r for r in con.cursor().sql(sql).fetchall()]


def test_csat_is_lower_at_long_waits(con):
    rows = binned(con, """
        select case when wait_s < 30 then 0 when wait_s < 120 then 1 else 2 end as bucket,
               avg((csat >= 4)::int) as csat
        from interactions join customer_surveys using (interaction_id)
        group by 1 order by 1""")
    csat = [r[1] for r in rows]
    assert csat[0] > csat[1] > csat[2]
    assert csat[0] - csat[2] > 0.15


def test_csat_is_lower_at_deeper_escalation(con):
    rows = binned(con, """
        select least(escalation_depth, 2) as depth, avg((csat >= 4)::int) as csat
        from interactions join customer_surveys using (interaction_id)
        group by 1 order by 1""")
    csat = [r[1] for r in rows]
    assert csat[0] > csat[1] > csat[2]


def test_attrition_is_higher_among_the_least_satisfied_agents(con):
    rows = binned(con, """
        with satisfaction as (select agent_id, avg(satisfaction) as s from agent_surveys group by 1),
             quartiles as (select agent_id, ntile(4) over (order by s) as q from satisfaction)
        select q, avg((left_on is not null)::int) as left_rate
        from quartiles join agents using (agent_id)
        group by 1 order by 1""")
    bottom, top = rows[0][1], rows[-1][1]
    assert bottom > 1.5 * top


def test_managers_answering_within_72h_have_more_satisfied_agents(con):
    rows = binned(con, """
        with by_team as (
            select a.team_id, avg((r.answered_at <= r.opened_at + interval 72 hour)::int) as within_72h
            from agent_requests r join agents a using (agent_id) group by 1),
        satisfaction as (
            select a.team_id, avg((s.satisfaction >= 4)::int) as satisfied
            from agent_surveys s join agents a using (agent_id) group by 1)
        select within_72h >= 0.6 as meets, avg(satisfied) from by_team join satisfaction using (team_id)
        group by 1 order by 1""")
    slow, fast = rows[0][1], rows[1][1]
    assert fast > slow + 0.1


def test_higher_authority_limits_mean_fewer_escalations(con):
    rows = binned(con, """
        select a.authority_limit, avg((i.escalation_depth > 0)::int) as escalated
        from interactions i join agents a using (agent_id)
        where i.exception_requested and i.queued_at < date '2025-07-01'
          and a.team_id not in (select team_id from events where team_id is not null)
        group by 1 order by 1""")
    rates = [r[1] for r in rows]
    assert len(rates) >= 4
    assert all(a > b for a, b in zip(rates, rates[1:])), rates


def test_the_empowerment_pilot_cuts_its_teams_escalations(con):
    before, after = (scalar(con, f"""
        select avg((escalation_depth > 0)::int) from interactions
        where not abandoned and team_id = (select team_id from events where category = 'empowerment')
          and queued_at {op} (select starts_on from events where category = 'empowerment')""") for op in ("<", ">="))
    assert after < before / 2


def test_training_and_tenure_shorten_handle_time(con):
    new, seasoned = (scalar(con, f"""
        select avg(handle_s) from interactions i join agents a using (agent_id)
        where date_diff('month', a.hired_on, i.queued_at::date) {cond}""") for cond in ("< 3", ">= 24"))
    assert new > seasoned * 1.1


def test_short_staffed_months_mean_longer_waits(con):
    """Leavers leave seats empty: team-months with fewer agents than planned seats queue longer."""
    rows = binned(con, """
        with months as (select distinct date_trunc('month', queued_at) as m from interactions),
        headcount as (
            select t.team_id, m.m, any_value(t.planned_seats) as seats,
                   count(a.agent_id) filter (where a.hired_on <= m.m + interval 14 day
                                             and (a.left_on is null or a.left_on > m.m + interval 14 day)) as staff
            from teams t cross join months m left join agents a using (team_id)
            group by 1, 2),
        waits as (select team_id, date_trunc('month', queued_at) as m, avg(wait_s) as wait,
                         avg(abandoned::int) as abandon
                  from interactions group by 1, 2)
        select staff < seats - 1 as short, avg(wait), avg(abandon)
        from headcount join waits using (team_id, m) group by 1 order by 1""")
    full, short = rows[0], rows[1]
    assert short[1] > full[1] * 1.3 and short[2] > full[2]


def _table_digest(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        digest = hashlib.sha256()
        for table in DESIGN_SCHEMA:
            for row in con.sql(f"select * from {table} order by all").fetchall():
                digest.update(repr(row).encode())
        return digest.hexdigest()


def test_same_seed_same_store_other_seed_other_store(tmp_path):
    a = demo.build(tmp_path / "a.duckdb", interactions=3000, seed=11, progress=False)
    b = demo.build(tmp_path / "b.duckdb", interactions=3000, seed=11, progress=False)
    c = demo.build(tmp_path / "c.duckdb", interactions=3000, seed=12, progress=False)
    assert _table_digest(a) == _table_digest(b)
    assert _table_digest(a) != _table_digest(c)


def test_an_interrupted_build_leaves_the_old_store_untouched(tmp_path, monkeypatch):
    target = demo.build(tmp_path / "store.duckdb", interactions=2000, seed=1, progress=False)
    before = hashlib.sha256(target.read_bytes()).hexdigest()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "_insert_dimensions", interrupted)
    with pytest.raises(KeyboardInterrupt):
        demo.build(target, interactions=5000, seed=2, progress=False)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    versions = store.versions_dir(target)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "store.duckdb", versions.name]
    assert [p.resolve() for p in versions.iterdir()] == [target.resolve()]  # no half-built file left
    with store.open_read_only(target) as con:
        assert con.sql("select count(*) from interactions").fetchall()[0][0] == 2000
