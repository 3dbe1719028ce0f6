"""Independent plain-Python reference for the contact-centre KPIs of docs/design.md section 4.

Used by tests to check the SQL of the dashboard. The store is read with plain `select *` queries
only; every filter, join and ratio is computed here in Python, from summed numerators and
denominators (never an average of averages). Percentages are 0-100; a KPI is None when its
denominator is 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from dashboard import store

TABLES = ("teams", "agents", "customers", "touchpoints", "interactions",
          "customer_surveys", "agent_surveys", "agent_requests")
SL_THRESHOLD_S = 20
REPEAT_WINDOW = dt.timedelta(days=7)


@dataclass
class Raw:
    """Rows of each table as lists of dicts keyed by column name."""
    teams: list[dict]
    agents: list[dict]
    customers: list[dict]
    touchpoints: list[dict]
    interactions: list[dict]
    customer_surveys: list[dict]
    agent_surveys: list[dict]
    agent_requests: list[dict]


def load_raw(db_path) -> Raw:
    """Fetch every row of the KPI tables with `select *` (no SQL computation)."""
    # the app's own opener: DuckDB shares one instance per file within a process, with one configuration
    con = store.open_read_only(db_path)
    try:
        tables = {}
        for name in TABLES:
            cur = con.execute(f"select * from {name}")
            cols = [d[0] for d in cur.description]
            tables[name] = [dict(zip(cols, row)) for row in cur.fetchall()]
    finally:
        con.close()
    return Raw(**tables)


def _pct(num, den):
    return None if den == 0 else 100.0 * num / den


def _net_score(values):
    """NPS / eNPS: % of 9-10 minus % of 0-6 over non-null answers."""
    vals = [v for v in values if v is not None]
    return _pct(sum(v >= 9 for v in vals) - sum(v <= 6 for v in vals), len(vals))


def _fcr_repeat_ids(interactions) -> set:
    """interaction_ids that have a later contact (same customer_id and touchpoint_id, queued_at in
    (queued_at, queued_at + 7 d], ties on queued_at broken by larger interaction_id) anywhere in
    the store. Contacts without a customer_id never have a repeat."""
    groups = defaultdict(list)
    for r in interactions:
        if r["customer_id"] is not None:
            groups[(r["customer_id"], r["touchpoint_id"])].append((r["queued_at"], r["interaction_id"]))
    repeated = set()
    for contacts in groups.values():
        contacts.sort()
        for i, (queued, _iid) in enumerate(contacts[:-1]):
            # the next contact in (queued_at, interaction_id) order is the earliest later one
            if contacts[i + 1][0] <= queued + REPEAT_WINDOW:
                repeated.add(_iid)
    return repeated


def _team_ok(team_id, teams_by_id, site, team):
    t = teams_by_id.get(team_id)
    if t is None:
        return site is None and team is None
    return (site is None or t["site"] == site) and (team is None or t["team_name"] == team)


def compute_kpis(raw: Raw, date_from: dt.date, date_to: dt.date, site=None, team=None,
                 channel=None, touchpoint=None) -> dict[str, float | None]:
    """All KPIs of docs/design.md section 4 for the period [date_from, date_to] and the optional filters."""
    teams_by_id = {t["team_id"]: t for t in raw.teams}
    tp_name = {t["touchpoint_id"]: t["touchpoint_name"] for t in raw.touchpoints}

    def matches_filters(r):  # site/team/channel/touchpoint only, no date bound
        return (_team_ok(r["team_id"], teams_by_id, site, team)
                and (channel is None or r["channel"] == channel)
                and (touchpoint is None or tp_name.get(r["touchpoint_id"]) == touchpoint))

    filtered = [r for r in raw.interactions if matches_filters(r)]
    scoped = [r for r in filtered if date_from <= r["queued_at"].date() <= date_to]
    answered = [r for r in scoped if not r["abandoned"]]
    abandoned = [r for r in scoped if r["abandoned"]]
    n_ans = len(answered)
    out: dict[str, float | None] = {}

    # ASA = total wait of answered / answered; AHT = handle time / handled contacts
    out["asa"] = None if n_ans == 0 else sum(r["wait_s"] for r in answered) / n_ans
    # Service level = answered within T / (answered + abandoned after T)
    within = sum(r["wait_s"] <= SL_THRESHOLD_S for r in answered)
    out["service_level"] = _pct(within, n_ans + sum(r["wait_s"] > SL_THRESHOLD_S for r in abandoned))
    # Abandon rate = abandoned / offered
    out["abandon_rate"] = _pct(len(abandoned), len(scoped))
    out["aht"] = None if n_ans == 0 else sum(r["handle_s"] or 0 for r in answered) / n_ans
    # FCR = resolved with no repeat (same customer, same touchpoint, 7 days) / answered contacts
    repeated = _fcr_repeat_ids(raw.interactions)
    out["fcr"] = _pct(sum(bool(r["resolved"]) and r["interaction_id"] not in repeated
                          for r in answered), n_ans)
    # Escalation rate = escalation_depth > 0 / answered
    out["escalation_rate"] = _pct(sum((r["escalation_depth"] or 0) > 0 for r in answered), n_ans)

    # CSAT (% of 4-5), NPS, CES (mean) over survey answers of scoped contacts
    scoped_ids = {r["interaction_id"] for r in scoped}
    surveys = [s for s in raw.customer_surveys if s["interaction_id"] in scoped_ids]
    csat = [s["csat"] for s in surveys if s["csat"] is not None]
    out["csat"] = _pct(sum(v in (4, 5) for v in csat), len(csat))
    out["nps"] = _net_score(s["nps"] for s in surveys)
    ces = [s["ces"] for s in surveys if s["ces"] is not None]
    out["ces"] = sum(ces) / len(ces) if ces else None

    # Customer churn = churned in period / customers active at its start
    base = [c for c in raw.customers if c["joined_on"] < date_from
            and (c["churned_on"] is None or c["churned_on"] >= date_from)]
    if any(f is not None for f in (site, team, channel, touchpoint)):
        seen = {r["customer_id"] for r in filtered if r["queued_at"].date() <= date_to}
        base = [c for c in base if c["customer_id"] in seen]
    out["customer_churn"] = _pct(sum(c["churned_on"] is not None and c["churned_on"] <= date_to
                                     for c in base), len(base))

    # Agent side: site/team via the agent's current team; channel/touchpoint do not apply
    agents = [a for a in raw.agents if _team_ok(a["team_id"], teams_by_id, site, team)]
    agent_ids = {a["agent_id"] for a in agents}
    asurv = [s for s in raw.agent_surveys
             if s["agent_id"] in agent_ids and date_from <= s["surveyed_at"] <= date_to]
    sat = [s["satisfaction"] for s in asurv if s["satisfaction"] is not None]
    out["agent_satisfaction"] = _pct(sum(v >= 4 for v in sat), len(sat))
    out["enps"] = _net_score(s["enps"] for s in asurv)
    # Manager response SLA = requests answered within 72 h / requests opened
    reqs = [q for q in raw.agent_requests
            if q["agent_id"] in agent_ids and date_from <= q["opened_at"].date() <= date_to]
    out["manager_response_72h"] = _pct(
        sum(q["answered_at"] is not None
            and q["answered_at"] - q["opened_at"] <= dt.timedelta(hours=72) for q in reqs),
        len(reqs))
    out["attrition_annualised"] = _attrition_annualised(agents, date_from, date_to)
    return out


def _attrition_annualised(agents, date_from, date_to):
    """Monthly attrition = leavers in month / mean of headcount on its first and last day;
    annualised = 100 * 12 * mean of the monthly rates of the months overlapping the period."""
    def headcount(d):
        return sum(a["hired_on"] <= d and (a["left_on"] is None or a["left_on"] > d) for a in agents)

    rates = []
    y, m = date_from.year, date_from.month
    while (y, m) <= (date_to.year, date_to.month):
        first = dt.date(y, m, 1)
        last = dt.date(y, m, calendar.monthrange(y, m)[1])
        avg = (headcount(first) + headcount(last)) / 2
        if avg > 0:
            leavers = sum(a["left_on"] is not None and first <= a["left_on"] <= last for a in agents)
            rates.append(leavers / avg)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return 100.0 * 12 * sum(rates) / len(rates) if rates else None


if __name__ == "__main__":
    import time

    raw = load_raw("/tmp/ref.duckdb")
    start, end = dt.date(2025, 3, 1), dt.date(2025, 5, 31)
    t0 = time.perf_counter()
    print("all:", compute_kpis(raw, start, end))
    team_name = sorted(t["team_name"] for t in raw.teams)[0]
    print(f"team={team_name}:", compute_kpis(raw, start, end, team=team_name))
    print(f"computed in {time.perf_counter() - t0:.2f} s")
