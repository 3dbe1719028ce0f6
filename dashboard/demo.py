"""Builds the demo contact centre: a deterministic store whose hidden mechanics follow docs/design.md section 6.

The mechanics, each an explicit term below so a chart can rediscover it:
- a manager's typical time to answer agent requests lowers or raises their agents' satisfaction;
- authority limits differ by team; an exception above the agent's limit escalates, each level adds
  hours; the `events` table raises one team's limit mid-year (the empowerment pilot);
- training hours and tenure shorten handle time, raise resolution and cut needless escalation;
- agent satisfaction raises CSAT; low satisfaction raises the monthly chance of leaving, most in the
  first six months; a leaver's seat stays empty until a replacement starts, so the team's queue
  grows, customers abandon more, CSAT falls and customers churn more;
- about 20 % of answered contacts get a survey answer, fewer after a bad experience.

Agents are simulated month by month in Python (hundreds of rows); contacts are generated month by
month in numpy (millions of rows), staged in DuckDB and written to the store in time order about a
month at a time (ContactStaging), so memory stays bounded at 100M contacts and more.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from tqdm import tqdm

from dashboard import coverage, rollups, store

YEAR = 2025
SITES = ("Leeds", "Cork", "Lisbon")
TEAM_NAMES = (
    "Aurora", "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbour", "Iris",
    "Juniper", "Kestrel", "Lagoon", "Meridian", "Nova", "Orchid", "Pioneer", "Quartz", "Raven",
    "Summit", "Tidal", "Umber", "Vertex", "Willow", "Zephyr", "Atlas",
)
FIRST_NAMES = (
    "Amira", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Keiko",
    "Liam", "Maya", "Nikos", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoe", "Aoife", "Bruno", "Carla", "Dara", "Emil", "Fatima", "Goran",
    "Hana", "Ivan", "Joana", "Kofi", "Lena", "Mateo", "Nadia",
)
LAST_NAMES = (
    "Khan", "Murphy", "Silva", "Novak", "Okafor", "Walsh", "Costa", "Berg", "Haddad", "Kowalski",
    "Byrne", "Ferreira", "Lindqvist", "Mensah", "Ortiz", "Petrov", "Quigley", "Rossi", "Sato",
    "Tanaka", "Ueda", "Varga", "Wright", "Yilmaz", "Zhang", "Allen", "Brennan", "Carvalho", "Dubois",
    "Eriksen", "Fischer", "Gallagher", "Horvat", "Ibrahim", "Jensen", "Keane", "Lopes", "Moreau",
    "Nolan", "Owusu",
)
HIRING_PROFILES = ("graduate", "experienced", "internal move")
SEGMENTS = ("consumer", "small business", "premium")
CHANNELS = ("phone", "chat", "messaging")
CHANNEL_SHARE = (0.65, 0.25, 0.10)
CHANNEL_BASE_WAIT_S = (28.0, 45.0, 120.0)      # mean wait when a contact does queue
CHANNEL_PATIENCE_S = (160.0, 260.0, 1500.0)    # mean time before a queued customer gives up
CHANNEL_HANDLE_S = (390.0, 620.0, 480.0)

# touchpoint: name, owning unit, SLA name, SLA seconds, measured on, share of contacts,
# handle-time factor, chance an exception (money or a waiver) is asked for
TOUCHPOINTS = (
    ("Billing question", "Billing", "Answered within 30 s", 30, "wait_s", 0.24, 1.0, 0.22),
    ("Fault report", "Customer Service", "Answered within 30 s", 30, "wait_s", 0.20, 1.2, 0.06),
    ("Technician visit", "Field Service", "Technician on site within 48 h", 172_800, "resolution_s", 0.10, 1.1, 0.08),
    ("Address change", "Customer Service", "Completed within 2 h", 7_200, "resolution_s", 0.12, 0.7, 0.02),
    ("Specialist transfer", "Technical Support", "Transfer completed within 2 h", 7_200, "resolution_s", 0.08, 1.3, 0.05),
    ("Cancellation", "Retention", "Answered within 20 s", 20, "wait_s", 0.09, 1.1, 0.35),
    ("Payment arrangement", "Collections", "Decided within 24 h", 86_400, "resolution_s", 0.09, 1.0, 0.40),
    ("Complaint", "Customer Relations", "Resolved within 5 days", 432_000, "resolution_s", 0.08, 1.4, 0.45),
)
TEAM_LIMITS = (0.0, 25.0, 50.0, 100.0, 200.0)   # authority limits handed out to teams
TEAM_LEAD_LIMIT, MANAGER_LIMIT = 400.0, 1500.0  # above the manager's limit it goes to senior management
ESCALATION_DELAY_MEAN_H = (4.0, 30.0, 96.0)     # hours each extra level adds, mean
PILOT_LIMIT, PILOT_START = 300.0, dt.date(YEAR, 7, 1)
CRM_RELEASE = (dt.date(YEAR, 3, 10), dt.date(YEAR, 3, 16))    # handle time +20 % that week
HIRING_FREEZE = (dt.date(YEAR, 9, 1), dt.date(YEAR, 10, 31))  # vacancies stay open longer
DATA_EXTRACTED_AT = dt.datetime(YEAR + 1, 1, 2)
HOURLY_WEIGHT = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.2, 0.7, 1.0, 1.25, 1.3, 1.05, 1.0, 1.2, 1.25, 1.05, 0.9, 0.65, 0.45, 0.2, 0, 0, 0],
    dtype=float,
)
WEEKDAY_WEIGHT = np.array([1.1, 1.0, 0.95, 0.95, 1.0, 0.45, 0.2])
MONTH_WEIGHT = np.array([1.15, 1.0, 1.0, 1.0, 0.95, 0.9, 0.85, 0.85, 1.1, 1.05, 1.0, 0.95])
EPOCH = dt.datetime(1970, 1, 1)
DAY = 86_400


def to_seconds(value: dt.date | dt.datetime) -> int:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return int((value - EPOCH).total_seconds())


@dataclass
class Team:
    team_id: int
    name: str
    site: str
    manager: str
    seats: int
    limit: float
    manager_median_h: float   # the manager's typical time to answer a request
    training_h_per_month: float


@dataclass
class Agent:
    agent_id: int
    name: str
    team: Team
    hired_on: dt.date
    profile: str
    base_satisfaction: float
    left_on: dt.date | None = None
    leave_reason: str | None = None
    satisfaction: dict[int, float] = field(default_factory=dict)  # month index -> latent 1-5
    skill: dict[int, float] = field(default_factory=dict)         # month index -> 0..1


def month_bounds(month: int) -> tuple[dt.date, dt.date]:
    """First day of the month and first day of the next (month is 0-based within YEAR)."""
    start = dt.date(YEAR, month + 1, 1)
    end = dt.date(YEAR + (month == 11), 1 if month == 11 else month + 2, 1)
    return start, end


class DemoCentre:
    """The simulation: agents first (who is employed, how satisfied and skilled, month by month),
    then contacts, which read the agents' state."""

    def __init__(self, interactions: int, seed: int):
        self.n_interactions = interactions
        self.rng = np.random.default_rng(seed)
        self.teams = self._make_teams()
        self.pilot_team = min((t for t in self.teams if t.limit == 25.0), key=lambda t: t.team_id)
        self.agents: list[Agent] = []
        self.training_rows: list[tuple] = []
        self.training_by_agent: dict[int, list[tuple[dt.date, float]]] = {}
        self.request_rows: list[tuple] = []
        self.survey_rows: list[tuple] = []
        self._names = self._name_pool()

    # ---- people -------------------------------------------------------------------------------
    def _name_pool(self):
        pairs = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
        order = self.rng.permutation(len(pairs))
        return iter([pairs[i] for i in order])

    def _make_teams(self) -> list[Team]:
        rng = self.rng
        managers = rng.permutation([f"{f} {l}" for f, l in zip(FIRST_NAMES[::-1], LAST_NAMES[5:])])
        teams = []
        for i, name in enumerate(TEAM_NAMES):
            teams.append(Team(
                team_id=i + 1, name=name, site=SITES[i % len(SITES)], manager=str(managers[i]),
                seats=int(rng.integers(10, 15)),
                limit=float(TEAM_LIMITS[i % len(TEAM_LIMITS)]),
                manager_median_h=float(np.exp(rng.normal(np.log(50), 0.65))),
                training_h_per_month=float(rng.uniform(1.0, 7.0)),
            ))
        return teams

    def _hire(self, team: Team, hired_on: dt.date) -> Agent:
        profile = HIRING_PROFILES[int(self.rng.choice(3, p=[0.45, 0.4, 0.15]))]
        agent = Agent(
            agent_id=len(self.agents) + 1, name=next(self._names), team=team, hired_on=hired_on,
            profile=profile, base_satisfaction=float(self.rng.normal(0, 0.45)),
        )
        self.agents.append(agent)
        return agent

    def simulate_agents(self) -> None:
        rng = self.rng
        for team in self.teams:
            for _ in range(team.seats):
                # a tenure mix: some veterans, many with under two years
                tenure_days = int(rng.exponential(700)) + 20
                self._hire(team, dt.date(YEAR, 1, 1) - dt.timedelta(days=tenure_days))
        year_end = dt.date(YEAR, 12, 31)
        for month in range(12):
            start, end = month_bounds(month)
            mid = start + (end - start) / 2
            for agent in [a for a in self.agents if a.hired_on < end and a.left_on is None]:
                self._train(agent, month, start, end)
                tenure_m = max((mid - agent.hired_on).days, 0) / 30.4
                recent_training = sum(h for day, h in self.training_by_agent.get(agent.agent_id, ())
                                      if (mid - day).days <= 180)
                skill = 0.5 * min(tenure_m / 12, 1) + 0.5 * min(recent_training / 30, 1)
                manager_effect = -0.55 * math.log(agent.team.manager_median_h / 48)
                empowerment = 0.15 if self.limit_of(agent.team, mid) >= 100 else 0.0
                satisfaction = (3.3 + agent.base_satisfaction + manager_effect + empowerment
                                + float(rng.normal(0, 0.2)))
                agent.satisfaction[month] = satisfaction
                agent.skill[month] = skill
                self._requests(agent, start, end)
                hazard = 0.02 * math.exp(-1.5 * (satisfaction - 3.3)) * (2.3 if tenure_m < 6 else 1)
                if rng.random() < min(hazard, 0.3):
                    first = max(start, agent.hired_on + dt.timedelta(days=1))
                    span = (end - first).days
                    if span <= 0:
                        continue
                    agent.left_on = first + dt.timedelta(days=int(rng.integers(0, span)))
                    agent.leave_reason = self._leave_reason(satisfaction)
                    freeze = HIRING_FREEZE[0] <= agent.left_on <= HIRING_FREEZE[1]
                    vacancy = int(rng.integers(21, 70)) + (45 if freeze else 0)
                    replacement_on = agent.left_on + dt.timedelta(days=vacancy)
                    if replacement_on <= year_end:
                        self._hire(agent.team, replacement_on)
            self._surveys(month, start, end)

    def _leave_reason(self, satisfaction: float) -> str:
        reasons = ("workload", "manager", "pay", "career move", "relocation", "dismissed")
        unhappy = satisfaction < 3.0
        weights = [0.3, 0.3, 0.15, 0.1, 0.1, 0.05] if unhappy else [0.1, 0.05, 0.3, 0.3, 0.2, 0.05]
        return reasons[int(self.rng.choice(len(reasons), p=weights))]

    def limit_of(self, team: Team, day: dt.date) -> float:
        if team is self.pilot_team and day >= PILOT_START:
            return PILOT_LIMIT
        return team.limit

    def _train(self, agent: Agent, month: int, start: dt.date, end: dt.date) -> None:
        rng = self.rng
        sessions = []
        if start <= agent.hired_on < end:  # onboarding in the first fortnight
            sessions += [(agent.hired_on + dt.timedelta(days=d), 8.0, "onboarding") for d in range(0, 10, 2)]
        hours = rng.poisson(agent.team.training_h_per_month)
        first = max(start, agent.hired_on)
        if hours and (end - first).days > 0:
            day = first + dt.timedelta(days=int(rng.integers(0, (end - first).days)))
            topic = ("product", "systems", "soft skills", "compliance")[int(rng.integers(0, 4))]
            sessions.append((day, float(hours), topic))
        for day, h, topic in sessions:
            self.training_rows.append((agent.agent_id, day, h, topic))
            self.training_by_agent.setdefault(agent.agent_id, []).append((day, h))

    def _requests(self, agent: Agent, start: dt.date, end: dt.date) -> None:
        rng = self.rng
        first = max(start, agent.hired_on)
        span_s = (end - first).days * DAY
        for _ in range(rng.poisson(1.1)):
            if span_s <= 0:
                break
            opened = dt.datetime.combine(first, dt.time()) + dt.timedelta(seconds=int(rng.integers(0, span_s)))
            kind = ("leave", "schedule", "equipment", "professional")[int(rng.choice(4, p=[0.4, 0.3, 0.15, 0.15]))]
            hours = agent.team.manager_median_h * float(rng.lognormal(0, 0.6))
            answered = opened + dt.timedelta(hours=hours)
            if rng.random() < 0.03 or answered > DATA_EXTRACTED_AT:
                answered = None
            self.request_rows.append((len(self.request_rows) + 1, agent.agent_id, kind, opened, answered))

    def _surveys(self, month: int, start: dt.date, end: dt.date) -> None:
        """Milestone surveys at 3, 6, 12 and 24 months of tenure, and a quarterly pulse."""
        rng = self.rng
        for agent in self.agents:
            if month not in agent.satisfaction:
                continue
            due = []
            for months, label in ((3, "3m"), (6, "6m"), (12, "12m"), (24, "24m")):
                y, m = divmod(agent.hired_on.month - 1 + months, 12)
                day = dt.date(agent.hired_on.year + y, m + 1, min(agent.hired_on.day, 28))
                if start <= day < end:
                    due.append((day, label))
            if month in (2, 5, 8, 11):
                due.append((dt.date(YEAR, month + 1, 15), "pulse"))
            for day, label in due:
                if agent.left_on is not None and agent.left_on <= day:
                    continue
                s = agent.satisfaction[month]
                if rng.random() > (0.72 if label != "pulse" else 0.5 + 0.08 * (s - 3.3)):
                    continue  # not every agent answers; the less satisfied answer a pulse less
                clip = lambda v, lo, hi: int(min(max(round(v), lo), hi))  # noqa: E731
                limit = self.limit_of(agent.team, day)
                self.survey_rows.append((
                    agent.agent_id, day, label,
                    clip(s + rng.normal(0, 0.55), 1, 5),
                    clip(2.1 * s - 0.3 + rng.normal(0, 1.3), 0, 10),
                    clip(2.2 + limit / 100 + rng.normal(0, 0.7), 1, 5),
                    clip(3.0 - 1.1 * math.log(agent.team.manager_median_h / 48) + rng.normal(0, 0.7), 1, 5),
                    clip(2.2 + 2.3 * agent.skill[month] + rng.normal(0, 0.7), 1, 5),
                    clip(3.2 - 0.5 * (s - 3.3) + rng.normal(0, 0.8), 1, 5),
                ))

    # ---- the staffing each month implies --------------------------------------------------------
    def headcount(self) -> np.ndarray:
        """Average agents employed per team (rows, team_id - 1) and month (columns)."""
        counts = np.zeros((len(self.teams), 12))
        for month in range(12):
            start, end = month_bounds(month)
            days = (end - start).days
            for a in self.agents:
                first = max(start, a.hired_on)
                last = min(end, a.left_on or end)
                if last > first:
                    counts[a.team.team_id - 1, month] += (last - first).days / days
        return counts


class ContactGenerator:
    """Generates one month of contacts at a time from the agents' simulated state."""

    def __init__(self, centre: DemoCentre, n_customers: int):
        self.c = centre
        self.rng = centre.rng
        a = centre.agents
        self.agent_team = np.array([x.team.team_id for x in a])
        self.agent_start = np.array([to_seconds(x.hired_on) for x in a])
        self.agent_end = np.array([to_seconds(x.left_on) if x.left_on else 2**62 for x in a])
        self.agent_sat = np.full((len(a), 12), 3.3)
        self.agent_skill = np.full((len(a), 12), 0.5)
        for i, x in enumerate(a):
            for m, s in x.satisfaction.items():
                self.agent_sat[i, m] = s
                self.agent_skill[i, m] = x.skill[m]
        self.agent_limit = np.array([x.team.limit for x in a])
        self.agent_is_pilot = self.agent_team == centre.pilot_team.team_id
        seats = np.array([t.seats for t in centre.teams], dtype=float)
        self.team_share = seats / seats.sum()
        self.understaffing = seats[:, None] / np.maximum(centre.headcount(), 1.0)
        self.n_customers = n_customers
        # some customers contact far more often than others
        activity = self.rng.gamma(0.6, 1.0, n_customers)
        self.customer_cdf = np.cumsum(activity / activity.sum())
        tp = TOUCHPOINTS
        self.tp_share = np.array([t[5] for t in tp])
        self.tp_handle = np.array([t[6] for t in tp])
        self.tp_exception = np.array([t[7] for t in tp])
        # per customer: bad experiences and first/last contact, for churn afterwards
        self.bad = np.zeros(n_customers, dtype=np.int32)
        self.first_contact = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
        self.last_contact = np.full(n_customers, -1, dtype=np.int64)
        self.next_id = 1

    # ---- skeletons: who contacts, when, about what -------------------------------------------
    def primaries(self, month: int, n: int) -> dict[str, np.ndarray]:
        rng = self.rng
        start, end = month_bounds(month)
        days = np.arange((end - start).days)
        weekday = np.array([(start + dt.timedelta(days=int(d))).weekday() for d in days])
        day = rng.choice(days, n, p=WEEKDAY_WEIGHT[weekday] / WEEKDAY_WEIGHT[weekday].sum())
        hour = rng.choice(24, n, p=HOURLY_WEIGHT / HOURLY_WEIGHT.sum())
        queued = to_seconds(start) + day * DAY + hour * 3600 + rng.integers(0, 3600, n)
        customer = np.minimum(_lookup(self.customer_cdf, rng.random(n)), self.n_customers - 1)
        return {
            "queued": queued,
            "team": rng.choice(len(self.team_share), n, p=self.team_share) + 1,
            "customer": customer,
            "touchpoint": rng.choice(len(TOUCHPOINTS), n, p=self.tp_share / self.tp_share.sum()) + 1,
            "channel": rng.choice(len(CHANNELS), n, p=CHANNEL_SHARE),
            "generation": np.zeros(n, dtype=np.int8),
        }

    def repeats(self, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Customers come back: after abandoning (soon), after an unresolved contact (days)."""
        rng = self.rng
        n = len(out["queued"])
        abandoned, resolved = out["abandoned"], out["resolved"]
        p = np.where(abandoned, 0.55, np.where(resolved, 0.04, 0.45))
        p = np.where(out["generation"] >= 2, 0.0, p)
        again = rng.random(n) < p
        gap = np.where(abandoned, rng.exponential(2 * 3600, n),
                       np.where(resolved, rng.uniform(1, 20, n) * DAY, rng.exponential(1.6 * DAY, n)))
        base = np.where(abandoned, out["queued"], out["ended"])
        sel = again
        return {
            "queued": (base + gap.astype(np.int64) + 60)[sel],
            "team": out["team"][sel],
            "customer": out["customer"][sel],
            "touchpoint": out["touchpoint"][sel],
            "channel": out["channel"][sel],
            "generation": (out["generation"] + 1)[sel].astype(np.int8),
        }

    # ---- outcomes: wait, agent, handling, escalation, resolution, survey ----------------------
    def outcomes(self, month: int, sk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rng = self.rng
        n = len(sk["queued"])
        team, ch, tp = sk["team"], sk["channel"], sk["touchpoint"]
        hour = (sk["queued"] % DAY) // 3600
        hour_load = HOURLY_WEIGHT[hour] / HOURLY_WEIGHT[HOURLY_WEIGHT > 0].mean()
        short = self.understaffing[team - 1, month]
        load = np.maximum(hour_load, 0.3) * short**3
        p_queue = np.clip(0.35 * load, 0.05, 0.97)
        base_wait = np.array(CHANNEL_BASE_WAIT_S)[ch]
        potential = np.where(rng.random(n) < p_queue, rng.exponential(1.0, n) * base_wait * load**1.5, 0.0)
        patience = rng.exponential(1.0, n) * np.array(CHANNEL_PATIENCE_S)[ch]
        abandoned = potential > patience
        wait = np.round(np.minimum(potential, patience)).astype(np.int64)
        answered_at = sk["queued"] + wait

        agent = self._pick_agents(month, team, sk["queued"])
        ai = np.maximum(agent - 1, 0)
        sat = self.agent_sat[ai, month]
        skill = self.agent_skill[ai, month]

        crm = (sk["queued"] >= to_seconds(CRM_RELEASE[0])) & (sk["queued"] < to_seconds(CRM_RELEASE[1]))
        handle = (np.array(CHANNEL_HANDLE_S)[ch] * self.tp_handle[tp - 1] * (1.35 - 0.45 * skill)
                  * np.where(crm, 1.2, 1.0) * rng.lognormal(-0.1, 0.45, n))
        handle = np.maximum(np.round(handle), 20).astype(np.int64)

        exception = rng.random(n) < self.tp_exception[tp - 1]
        amount = np.round(rng.lognormal(np.log(90), 1.0, n), 2)
        limit = np.where(self.agent_is_pilot[ai] & (sk["queued"] >= to_seconds(PILOT_START)),
                         PILOT_LIMIT, self.agent_limit[ai])
        depth = np.select([amount <= limit, amount <= TEAM_LEAD_LIMIT, amount <= MANAGER_LIMIT], [0, 1, 2], 3)
        unsure = (depth == 0) & (rng.random(n) < 0.12 * (1 - skill))  # the untrained pass it up anyway
        depth = np.where(unsure, 1, depth)
        depth = np.where(exception & ~abandoned, depth, 0)
        delay_h = np.zeros(n)
        for level, mean_h in enumerate(ESCALATION_DELAY_MEAN_H, start=1):
            delay_h += np.where(depth >= level, rng.exponential(mean_h, n), 0.0)
        ended = answered_at + handle
        decided = ended + (delay_h * 3600).astype(np.int64)
        transfers = rng.poisson(0.08 + 0.35 * (depth > 0) + 0.2 * (1 - skill))
        p_resolved = np.clip(0.6 + 0.27 * skill + 0.05 * (sat - 3.3) - 0.05 * depth, 0.05, 0.98)
        resolved = (rng.random(n) < p_resolved) & ~abandoned
        resolution = np.where(exception, decided - sk["queued"], ended - sk["queued"])

        # the customer's experience, on a latent 1-5 scale
        latent = (4.35 - 0.55 * np.log1p(wait / 60) - 0.45 * depth - 0.9 * ~resolved
                  + 0.4 * (sat - 3.3) + 0.2 * skill - 0.2 * transfers + rng.normal(0, 0.7, n))
        p_answer = 0.25 - 0.05 * (depth > 0) - 0.07 * ~resolved - 0.05 * (wait > 300)
        surveyed = ~abandoned & (rng.random(n) < p_answer)
        csat = np.clip(np.round(latent), 1, 5)
        nps = np.clip(np.round(2.2 * latent - 1.2 + rng.normal(0, 1.2, n)), 0, 10)
        ces = np.clip(np.round(1.2 + 0.8 * depth + 0.8 * transfers + 1.4 * ~resolved + wait / 600
                               + (1 - skill) + rng.normal(0, 0.7, n)), 1, 7)

        bad = abandoned | (wait > 300) | (depth >= 2) | (~resolved & ~abandoned) | (latent < 2.5)
        np.add.at(self.bad, sk["customer"], bad.astype(np.int32))
        np.minimum.at(self.first_contact, sk["customer"], sk["queued"])
        np.maximum.at(self.last_contact, sk["customer"], sk["queued"])

        ids = np.arange(self.next_id, self.next_id + n)
        self.next_id += n
        return {
            **sk, "id": ids, "agent": np.where(abandoned, 0, agent), "wait": wait,
            "answered": answered_at, "handle": handle, "ended": np.where(abandoned, answered_at, ended),
            "abandoned": abandoned, "resolved": resolved, "transfers": transfers,
            "exception": exception & ~abandoned, "amount": amount, "depth": depth, "decided": decided,
            "resolution": resolution, "surveyed": surveyed, "survey_at": ended + rng.exponential(6 * 3600, n).astype(np.int64),
            "csat": csat, "nps": nps, "nps_given": rng.random(n) < 0.85,
            "ces": ces, "ces_given": rng.random(n) < 0.7,
        }

    def _pick_agents(self, month: int, team: np.ndarray, queued: np.ndarray) -> np.ndarray:
        """An agent of the contact's team who is employed on that day (agent ids are 1-based)."""
        start, end = (to_seconds(d) for d in month_bounds(month))
        overlap = (self.agent_start < end) & (self.agent_end > start)
        n_teams = len(self.c.teams)
        candidates = [np.flatnonzero(overlap & (self.agent_team == t + 1)) for t in range(n_teams)]
        width = max(len(c) for c in candidates)
        table = np.zeros((n_teams, width), dtype=np.int64)
        counts = np.array([len(c) for c in candidates])
        for t, c in enumerate(candidates):
            table[t, : len(c)] = c
        picked = np.zeros(len(team), dtype=np.int64)
        todo = np.arange(len(team))
        for _ in range(30):
            k = (self.rng.random(len(todo)) * counts[team[todo] - 1]).astype(np.int64)
            choice = table[team[todo] - 1, k]
            ok = (self.agent_start[choice] <= queued[todo]) & (self.agent_end[choice] > queued[todo])
            picked[todo[ok]] = choice[ok]
            todo = todo[~ok]
            if len(todo) == 0:
                break
        picked[todo] = table[team[todo] - 1, 0]  # a team briefly with nobody: its longest-serving agent
        return picked + 1


def _lookup(sorted_values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """np.searchsorted(sorted_values, keys), with the keys looked up in ascending order: random
    probes into tens of millions of customers miss the cache every time (7x slower at 20M)."""
    order = np.argsort(keys)
    found = np.empty(len(keys), dtype=np.intp)
    found[order] = np.searchsorted(sorted_values, keys[order])
    return found


def _to_timestamp(seconds: np.ndarray) -> pl.Series:
    return pl.Series((seconds * 1_000_000).astype("datetime64[us]"))


def _interaction_frames(o: dict[str, np.ndarray]) -> tuple[pl.DataFrame, pl.DataFrame]:
    ab = o["abandoned"]
    interactions = pl.DataFrame({
        "interaction_id": o["id"],
        "customer_id": o["customer"] + 1,
        "agent_id": pl.Series(o["agent"]).replace(0, None),
        "team_id": o["team"],
        "touchpoint_id": o["touchpoint"],
        "channel": pl.Series(CHANNELS).gather(o["channel"]),
        "queued_at": _to_timestamp(o["queued"]),
        "answered_at": _to_timestamp(o["answered"]),
        "ended_at": _to_timestamp(o["ended"]),
        "wait_s": o["wait"],
        "handle_s": o["handle"],
        "abandoned": ab,
        "resolved": o["resolved"],
        "transfers": o["transfers"],
        "exception_requested": o["exception"],
        "exception_amount": o["amount"],
        "escalation_depth": o["depth"],
        "decided_at": _to_timestamp(o["decided"]),
        "resolution_s": o["resolution"],
    }).with_columns(
        # what an abandoned contact never had, and what an exception-free one never needed
        *[pl.when(pl.col("abandoned")).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("answered_at", "handle_s", "resolved", "transfers", "exception_requested", "escalation_depth")],
        *[pl.when(pl.col("exception_requested")).then(pl.col(c)).otherwise(None).alias(c)
          for c in ("exception_amount", "decided_at")],
        pl.when(pl.col("resolved")).then(pl.col("resolution_s")).otherwise(None).alias("resolution_s"),
    )
    s = o["surveyed"]
    surveys = pl.DataFrame({
        "interaction_id": o["id"][s],
        "answered_at": _to_timestamp(o["survey_at"][s]),
        "csat": o["csat"][s].astype(np.int64),
        "nps": pl.Series(np.where(o["nps_given"][s], o["nps"][s], np.nan)).fill_nan(None).cast(pl.Int64),
        "ces": pl.Series(np.where(o["ces_given"][s], o["ces"][s], np.nan)).fill_nan(None).cast(pl.Int64),
    })
    return interactions, surveys


def _take(d: dict[str, np.ndarray], index: np.ndarray | slice) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in d.items()}


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# At most this many first contacts are generated at once (their repeats follow before the next
# batch): numpy's working set stays a few hundred MB and in reused memory rather than GBs of fresh
# pages (at 7M a batch, a third of the time went to the kernel). Part of what a seed means: stores
# of up to about 12M contacts, whose months need no more than one batch, are as before it existed.
PRIMARIES_PER_BATCH = 1_000_000
# Contacts become frames and enter the store this many at a time, so Python's memory stays bounded
# however many a month holds (a month's batch of 100M/12 contacts as frames at once would take GBs).
ROWS_PER_INSERT = 1_000_000
# The build's DuckDB works within this and spills the rest to `<file>.tmp` (store.discard removes it).
BUILD_MEMORY_LIMIT = "4GB"
# A contact's repeat_within_7d looks this far ahead: contacts are written once everything that
# close to them has been generated.
REPEAT_WINDOW = dt.timedelta(days=7)


def build(db_path: str | os.PathLike, interactions: int = 1_000_000, seed: int = 42,
          progress: bool = True) -> Path:
    """Builds the demo store into a new file and publishes it only when complete (see
    store.publish), so an interrupted build never leaves a broken store and a running app picks
    the new one up on its next rerun."""
    target = Path(db_path)
    with store.write_lock(target):
        built = store.new_version_file(target)
        try:
            with duckdb.connect(str(built)) as con:
                _populate(con, interactions, seed, progress)
                rollups.build(con)
                coverage.record(con)   # the demo supplies every column of every table
            store.publish(built, target)
        except BaseException:
            store.discard(built)
            raise
    return target


def _populate(con: duckdb.DuckDBPyConnection, n_interactions: int, seed: int, progress: bool) -> None:
    con.execute(f"set memory_limit = '{BUILD_MEMORY_LIMIT}'")   # our constant; the rest of the build keeps it
    store.create_schema(con)
    bar = tqdm(total=n_interactions, unit=" contacts", disable=not progress, desc="demo centre",
               unit_scale=True, mininterval=0.5)
    centre = DemoCentre(n_interactions, seed)
    centre.simulate_agents()
    n_customers = max(500, n_interactions // 5)
    gen = ContactGenerator(centre, n_customers)
    staged = ContactStaging(con)

    per_month = np.floor(n_interactions * MONTH_WEIGHT * [calendar.monthrange(YEAR, m + 1)[1] for m in range(12)]
                         / (MONTH_WEIGHT * [calendar.monthrange(YEAR, m + 1)[1] for m in range(12)]).sum()).astype(int)
    per_month[-1] += n_interactions - per_month.sum()
    pending: list[dict[str, np.ndarray]] = []
    for month in range(12):
        _, end = month_bounds(month)
        end_s = to_seconds(end)
        target = int(per_month[month])
        first_id, count = gen.next_id, 0
        queue = _concat(pending) if pending else None
        pending = []
        while count < target:
            if queue is None or len(queue["queued"]) == 0:
                queue = gen.primaries(month, min(max(1, math.ceil((target - count) / 1.18)), PRIMARIES_PER_BATCH))
            out = gen.outcomes(month, queue)
            count += len(out["queued"])
            again = gen.repeats(out)
            staged.add(out)   # after repeats(): staging draws nothing from the generator
            del out
            inside = again["queued"] < end_s
            if (~inside).any() and month < 11:
                pending.append(_take(again, np.flatnonzero(~inside)))
            queue = _take(again, np.flatnonzero(inside))
        if count > target:  # keep exactly the month's share
            keep = np.zeros(count, dtype=bool)
            keep[gen.rng.choice(count, target, replace=False)] = True
            staged.drop(first_id + np.flatnonzero(~keep))
        staged.write_surveys()
        # every later contact is queued from the next month on (repeats carried over start there)
        staged.write_contacts(before=end - REPEAT_WINDOW)
        bar.update(target)
    bar.set_postfix_str("writing")
    _insert_dimensions(con, centre, gen)
    staged.write_contacts(before=None)
    con.execute("checkpoint")
    bar.close()


class ContactStaging:
    """Holds generated contacts in DuckDB until they can be written to the store for good.

    Contacts are stored in time order (so period filters skip most of the file), each with whether
    the customer came back about the same touchpoint within 7 days (FCR needs it). Both need
    contacts generated later, so a contact waits here until every contact queued before it and up
    to REPEAT_WINDOW after it exists; then it is written, and the staging holds about a month
    however many contacts the store gets."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        con.execute("create temp table staged_interactions as "
                    "select * exclude (repeat_within_7d) from interactions limit 0")
        con.execute("create temp table staged_surveys as select * from customer_surveys limit 0")

    def add(self, rows: dict[str, np.ndarray]) -> None:
        n = len(rows["queued"])
        for first in range(0, n, ROWS_PER_INSERT):
            frame, surveys = _interaction_frames(_take(rows, slice(first, first + ROWS_PER_INSERT)))
            self.con.execute("insert into staged_interactions by name select * from frame")
            self.con.execute("insert into staged_surveys by name select * from surveys")

    def drop(self, interaction_ids: np.ndarray) -> None:
        """Forgets contacts generated but not kept, and their survey answers."""
        self.con.register("dropped", pl.DataFrame({"interaction_id": interaction_ids}))
        for table in ("staged_interactions", "staged_surveys"):  # our own table names
            self.con.execute(f"delete from {table} where interaction_id in (select interaction_id from dropped)")
        self.con.unregister("dropped")

    def write_surveys(self) -> None:
        """Survey answers need no later contacts: written in contact order as they come."""
        self.con.execute("insert into customer_surveys by name select * from staged_surveys order by interaction_id")
        self.con.execute("delete from staged_surveys")

    def write_contacts(self, before: dt.date | None) -> None:
        """Writes the staged contacts queued before `before` (all of them if None), in time order."""
        if before is None:
            cutoff = horizon = dt.datetime.max
        else:
            cutoff = dt.datetime.combine(before, dt.time())
            horizon = cutoff + REPEAT_WINDOW
        self.con.execute("""
            insert into interactions by name
            select * from (
                select *,
                       coalesce(lead(queued_at) over (partition by customer_id, touchpoint_id
                                                      order by queued_at, interaction_id)
                                <= queued_at + $window, false) as repeat_within_7d
                from staged_interactions
                where queued_at < $horizon)
            where queued_at < $cutoff
            order by queued_at, interaction_id
        """, {"cutoff": cutoff, "horizon": horizon, "window": REPEAT_WINDOW})
        # a new table rather than a delete, so the memory of the written contacts is freed
        self.con.execute("create temp table still_staged as select * from staged_interactions "
                         "where queued_at >= $cutoff", {"cutoff": cutoff})
        self.con.execute("drop table staged_interactions")
        self.con.execute("alter table still_staged rename to staged_interactions")


def _insert_dimensions(con: duckdb.DuckDBPyConnection, centre: DemoCentre, gen: ContactGenerator) -> None:
    rng = centre.rng
    teams = pl.DataFrame(
        [(t.team_id, t.name, t.site, t.manager, t.seats) for t in centre.teams],
        schema=["team_id", "team_name", "site", "manager_name", "planned_seats"], orient="row")
    agents = pl.DataFrame(
        [(a.agent_id, a.name, a.team.team_id, a.hired_on, a.left_on, a.leave_reason,
          centre.limit_of(a.team, dt.date(YEAR, 12, 31)), a.profile) for a in centre.agents],
        schema=["agent_id", "agent_name", "team_id", "hired_on", "left_on", "leave_reason",
                "authority_limit", "hiring_profile"], orient="row")
    touchpoints = pl.DataFrame(
        [(i + 1, *t[:5]) for i, t in enumerate(TOUCHPOINTS)],
        schema=["touchpoint_id", "touchpoint_name", "owner_unit", "sla_name", "sla_seconds", "sla_measure"],
        orient="row")
    events = pl.DataFrame([
        (1, CRM_RELEASE[0], CRM_RELEASE[1], "CRM release: slower screens for a week", "systems", None),
        (2, PILOT_START, None, f"Empowerment pilot: {centre.pilot_team.name} may grant up to {PILOT_LIMIT:.0f}",
         "empowerment", centre.pilot_team.team_id),
        (3, HIRING_FREEZE[0], HIRING_FREEZE[1], "Hiring freeze: vacancies left open", "staffing", None),
    ], schema=["event_id", "starts_on", "ends_on", "title", "category", "team_id"], orient="row")

    n = gen.n_customers
    contacted = gen.last_contact >= 0
    joined = rng.integers(to_seconds(dt.date(2012, 1, 1)), to_seconds(dt.date(YEAR, 12, 1)), n)
    joined = np.where(contacted, np.minimum(joined, gen.first_contact - 30 * DAY), joined)
    # churn: a base rate, raised by every bad experience; a churner leaves after their last contact
    p_churn = 1 - np.exp(-(0.05 + 0.07 * gen.bad))
    churns = rng.random(n) < p_churn
    churn_at = np.where(contacted, gen.last_contact + rng.exponential(20 * DAY, n).astype(np.int64),
                        rng.integers(to_seconds(dt.date(YEAR, 1, 1)), to_seconds(dt.date(YEAR + 1, 1, 1)), n))
    churns &= churn_at < to_seconds(dt.date(YEAR + 1, 1, 1))
    customers = pl.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "segment": np.array(SEGMENTS)[rng.choice(3, n, p=[0.75, 0.18, 0.07])],
        "joined_on": _to_timestamp(joined).dt.date(),
        "churned_on": _to_timestamp(np.where(churns, churn_at, 0)).dt.date(),
    }).with_columns(pl.when(pl.Series(churns)).then(pl.col("churned_on")).otherwise(None).alias("churned_on"))

    training = pl.DataFrame(centre.training_rows, schema=["agent_id", "held_on", "training_hours", "topic"], orient="row")
    requests = pl.DataFrame(centre.request_rows, schema=["request_id", "agent_id", "kind", "opened_at", "answered_at"],
                            orient="row")
    surveys = pl.DataFrame(centre.survey_rows, orient="row", schema=[
        "agent_id", "surveyed_at", "milestone", "satisfaction", "enps", "empowerment", "manager_support",
        "training_adequacy", "pressure"])
    for table, frame in (("teams", teams), ("agents", agents), ("touchpoints", touchpoints), ("events", events),
                         ("customers", customers), ("training", training), ("agent_requests", requests),
                         ("agent_surveys", surveys)):
        con.register("frame", frame)
        con.execute(f"insert into {table} by name select * from frame")  # table names are our own constants
        con.unregister("frame")
