"""What the store holds, column by column: the basis of the truth rule "no data is not zero".

A figure whose inputs the store lacks must say "no data" and why, never 0. Whether an input exists
is not the same as whether its values are non-null: an export with leaving dates where nobody left
has a true attrition of 0 %, while an export with no leaving-date column has no attrition at all.
So every publish of a store (an import, the demo build) records in the `store_coverage` table which
columns were *supplied*, how many rows hold a value and the period they cover. The KPI tiles, the
charts' `needs`, the import's dry run and the data range all read it through this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from dashboard.rollups import (DAY_COUNT_SOURCES, ESCALATED_SOURCES, EXPERIENCE_FIRST_SOURCES,
                               EXPERIENCE_PERIOD_SOURCES, FIRST_CONTACT_SOURCES, HOUR_COUNTS, INTERVAL_SOURCES,
                               MONTH_SOURCES, RESOLUTION_SOURCES, SPAN_SOURCES, TEAM_SPAN_SOURCES, WAIT_DAY_SOURCES)

TABLE_ROW = "*"   # the store_coverage row that describes a table as a whole

# The period a table's rows cover: (first day, last day) expressions over its own columns. Agents
# and customers span from joining to leaving (or joining, while they stay).
TABLE_PERIODS = {
    "interactions": ("queued_at", "queued_at"),
    "contact_intervals": ("interval_start", "interval_start"),
    "contact_days": ("day", "day"),
    "contact_wait_days": ("day", "day"),
    "customer_first_contacts": ("first_on", "first_on"),
    "customer_surveys": ("answered_at", "answered_at"),
    "agent_surveys": ("surveyed_at", "surveyed_at"),
    "agent_requests": ("opened_at", "opened_at"),
    "training": ("held_on", "held_on"),
    "events": ("starts_on", "coalesce(ends_on, starts_on)"),
    "agents": ("hired_on", "coalesce(left_on, hired_on)"),
    "customers": ("joined_on", "coalesce(churned_on, joined_on)"),
}

# Tables whose periods make up "the data" a period is compared within (activity, not registers).
ACTIVITY_TABLES = (
    "interactions",
    "contact_intervals",
    "customer_surveys",
    "agent_surveys",
    "agent_requests",
    "training",
)

# Columns the store computes from other columns when it is published: (table, column) -> (the table
# they are computed from, the columns they need). While that table holds rows the column is supplied
# exactly when all its inputs are; without rows there is nothing to compute from, and the column
# keeps what was imported into it (an interval report's counts).
DERIVED: dict[tuple[str, str], tuple[str, tuple[tuple[str, str], ...]]] = {
    ("interactions", "repeat_within_7d"): ("interactions", (("interactions", "customer_id"),)),
    **{("contact_intervals", column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in INTERVAL_SOURCES.items()},
    # the interval's key and its count of contacts need nothing but the contacts
    **{("contact_intervals", column): ("interactions", ())
       for column in ("interval_start", "team_id", "channel", "touchpoint_id", "offered")},
    # the day rollup has what its intervals have (computed after them: this order matters)
    **{("contact_days", column): ("contact_intervals", (("contact_intervals", column),))
       for column in (*INTERVAL_SOURCES, "team_id", "channel", "touchpoint_id", "offered")},
    ("contact_days", "day"): ("contact_intervals", (("contact_intervals", "interval_start"),)),
    # the monthly rollup's columns, likewise (pages read the contact columns' coverage, not these)
    **{("contact_months", column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in MONTH_SOURCES.items()},
    **{("contact_months", column): ("interactions", ())
       for column in ("month", "team_id", "channel", "touchpoint_id", "contacts")},
    # the team-grain monthly and daily rollups' (contact_months summed over agents), likewise
    **{(table, column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for table in ("contact_team_months", "contact_team_days")
       for column, sources in MONTH_SOURCES.items() if column != "agent_id"},
    **{(table, column): ("interactions", ())
       for table, period in (("contact_team_months", "month"), ("contact_team_days", "day"))
       for column in (period, "team_id", "channel", "touchpoint_id", "contacts")},
    # the wait-bucket rollup's, likewise (its figures' needs name the contact columns too)
    **{("contact_wait_days", column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in WAIT_DAY_SOURCES.items()},
    **{("contact_wait_days", column): ("interactions", ())
       for column in ("day", "team_id", "channel", "touchpoint_id", "offered")},
    # customers' first contacts per scope (scoped churn): what the customer ids and records give
    **{("customer_first_contacts", column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in FIRST_CONTACT_SOURCES.items()},
    # customers' first contacts of each set of experiences (customer churn by experience), and per team, likewise
    **{(table, column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for table in ("customer_experience_firsts", "customer_team_experience_firsts")
       for column, sources in {**EXPERIENCE_FIRST_SOURCES, "team_id": ("interactions.customer_id",)}.items()},
    # every period's counts of them (experience_churn_periods): each set's count has what its since_ day
    # has, its churned count the churn days too
    **{("experience_churn_periods", column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in EXPERIENCE_PERIOD_SOURCES.items()},
    # the resolution-time counts', likewise (the median figure's needs name the contact columns too)
    **{(table, column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for table in ("contact_resolutions", "contact_resolution_totals")
       for column, sources in RESOLUTION_SOURCES.items()},
    **{(table, column): ("interactions", ())
       for table, columns in (("contact_resolutions", ("month", "team_id", "channel", "touchpoint_id")),
                              ("contact_resolution_totals", ("month",)))
       for column in columns},
    # the customers counted per joining and churn day have what the customers' dates have
    **{("customer_span_counts", column): ("customers", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in SPAN_SOURCES.items()},
    **{("customer_day_counts", column): ("customers", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in DAY_COUNT_SOURCES.items()},
    **{("customer_team_span_counts", column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in TEAM_SPAN_SOURCES.items()},
    # the hour rollups have what their intervals have, as the day rollup
    **{(table, column): ("contact_intervals", (("contact_intervals", column),))
       for table in ("contact_hours", "contact_hour_totals") for column in HOUR_COUNTS},
    **{(table, column): ("contact_intervals", (("contact_intervals", "interval_start"),))
       for table in ("contact_hours", "contact_hour_totals") for column in ("day", "hour")},
    **{("contact_hours", column): ("contact_intervals", (("contact_intervals", column),))
       for column in ("team_id", "channel", "touchpoint_id")},
    # the escalated exception requests', from the contact columns they count (the what-if's needs name those)
    **{("escalated_exception_days", column): ("interactions", tuple(tuple(s.split(".")) for s in sources))
       for column, sources in ESCALATED_SOURCES.items()},
    **{("escalated_exception_days", column): ("interactions", ())
       for column in ("day", "team_id", "channel", "touchpoint_id")},
}


# The tables the publish builds from another table (dashboard/rollups.py), each with that table, in build
# order (DERIVED lists them so): a dry run projects them from their source, and a store where one holds
# rows while its source is empty was given them as they are (an imported interval report).
BUILT_FROM: dict[str, str] = {table: source for (table, _), (source, _) in DERIVED.items() if table != source}


def _derived_flags(flags: dict, rows_of) -> dict:
    """flags with every derived column's flag recomputed from its inputs (see DERIVED)."""
    flags = dict(flags)
    for key, (built_from, inputs) in DERIVED.items():
        if rows_of(built_from) > 0:
            # an input counts when it was supplied and its table holds rows (a survey column of an
            # empty survey table gives no answers to count)
            flags[key] = all(flags.get(i, False) and rows_of(i[0]) > 0 for i in inputs)
    return flags

# How a missing input reads to a manager: "this store has no <noun>".
NOUNS = {
    "interactions": "contacts (interactions)",
    "contact_intervals": "contacts (interactions or interval reports)",
    "customer_surveys": "customer survey answers",
    "agent_surveys": "agent survey answers",
    "agent_requests": "agent requests to managers",
    "agents": "agents",
    "customers": "customer records",
    "training": "training records",
    "events": "events",
    "teams": "teams",
    "touchpoints": "touchpoints",
    "contact_intervals.abandoned": "abandoned counts",
    "contact_intervals.answered_wait_s": "waiting times",
    "contact_intervals.handle_s": "handle times",
    "contact_intervals.first_contact_resolved": "first-contact resolutions",
    "contact_intervals.escalated": "escalation counts",
    "contact_intervals.csat_answers": "CSAT answers",
    "contact_intervals.nps_answers": "NPS answers",
    "contact_intervals.ces_answers": "customer effort (CES) answers",
    "interactions.resolved": "resolution field",
    "interactions.abandoned": "record of abandoned contacts",
    "interactions.customer_id": "customer ids to tell repeat contacts apart",
    "interactions.wait_s": "waiting times",
    "interactions.handle_s": "handle times",
    "interactions.escalation_depth": "escalation levels",
    "interactions.resolution_s": "resolution times",
    "interactions.transfers": "transfer counts",
    "interactions.exception_requested": "exception requests",
    "interactions.exception_amount": "amounts of the exceptions asked for",
    "interactions.decided_at": "decision times of exceptions",
    "interactions.repeat_within_7d": "repeat-contact marks (they come from customer ids)",
    "interactions.answered_at": "answer times",
    "interactions.agent_id": "agents on contacts",
    "customer_surveys.csat": "CSAT answers",
    "customer_surveys.nps": "NPS answers",
    "customer_surveys.ces": "customer effort (CES) answers",
    "agent_surveys.satisfaction": "agent satisfaction answers",
    "agent_surveys.enps": "eNPS answers",
    "agents.left_on": "leaving dates",
    "agents.hired_on": "hiring dates",
    "agents.authority_limit": "authority limits",
    "agent_requests.answered_at": "managers' answer times",
    "customers.churned_on": "customer churn dates",
}


def noun(need: str) -> str:
    table, _, column = need.partition(".")
    # the reason names table.column itself, so the fallback is the column in words
    return NOUNS.get(need) or (column or table).replace("_", " ")


NOT_IMPORTED = "was not imported"
# Figures that follow single contacts (CSAT by wait, escalation depth, churn, agents' contacts) cannot be
# had from an interval report's counts: a store of interval reports says so rather than "no contacts".
INTERVALS_ONLY = "needs a per-contact log; this store holds interval reports only (contact_intervals)"
# The built tables an import may also fill as they are, and what a figure needing the table they are
# built from (BUILT_FROM) says when the store holds them without it: they stand in for it.
STAND_INS = {"contact_intervals": INTERVALS_ONLY}
SET_BY_MAPPING = "was set to one value for every row by the mapping, not read from the export"


@dataclass(frozen=True)
class Entry:
    supplied: bool
    filled: int
    first_day: dt.date | None
    last_day: dt.date | None
    note: str | None = None     # why an unsupplied column is missing, when not simply left out


@dataclass(frozen=True)
class Coverage:
    """store_coverage as read once per store version."""
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)

    def rows(self, table: str) -> int:
        entry = self.entries.get((table, TABLE_ROW))
        return entry.filled if entry else 0

    def period(self, table: str) -> tuple[dt.date, dt.date] | None:
        entry = self.entries.get((table, TABLE_ROW))
        if entry is None or entry.first_day is None:
            return None
        return entry.first_day, entry.last_day

    def data_period(self) -> tuple[dt.date, dt.date] | None:
        """The span of all activity in the store (contacts, surveys, requests, training)."""
        spans = [p for p in (self.period(t) for t in ACTIVITY_TABLES) if p]
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def absent(self, need: str) -> str | None:
        """Why a figure needing `table` or `table.column` has no data, or None when it has."""
        table, _, column = need.partition(".")
        if self.rows(table) == 0:
            for stand_in, why in STAND_INS.items():
                if BUILT_FROM[stand_in] == table and self.rows(stand_in) > 0:
                    return why
            return f"no {noun(table)} were imported ({table} is empty)"
        if column:
            entry = self.entries.get((table, column))
            if entry is None or not entry.supplied:
                built_from, inputs = DERIVED.get((table, column), (None, ()))
                if built_from and self.rows(built_from) > 0:
                    # computed from contact columns: the reason is the input the import left out
                    reasons = self.reasons(f"{t}.{c}" for t, c in inputs)
                    if reasons:
                        return "; ".join(reasons)
                return f"this store has no {noun(need)} ({need} {(entry and entry.note) or NOT_IMPORTED})"
        return None

    def reasons(self, needs) -> list[str]:
        # one reason once: a figure needing several columns of an empty table says so once
        return list(dict.fromkeys(reason for reason in (self.absent(n) for n in needs) if reason))


def read(con: duckdb.DuckDBPyConnection) -> Coverage:
    cursor = con.cursor()
    try:
        rows = cursor.sql("select table_name, column_name, supplied, filled, first_day, last_day, note "
                          "from store_coverage").fetchall()
    finally:
        cursor.close()
    return Coverage({(t, c): Entry(bool(s), int(f), a, b, n) for t, c, s, f, a, b, n in rows})


def record(con: duckdb.DuckDBPyConnection, supplied: dict[str, set[str]] | None = None,
           append: bool = False, assumed: dict[str, set[str]] | None = None) -> None:
    """Rewrites store_coverage from the tables as they now are.

    supplied: for each table an import fed, the columns it filled (its mapping's targets); with
    append, added to what earlier imports supplied. Tables not named keep what earlier imports
    supplied; a table never recorded counts as fully supplied when it holds rows. None (the demo
    build): every column of every table. assumed: columns the mapping set to one value (not
    supplied, with a note that says so)."""
    from dashboard.mapping import store_columns   # the schema's columns, as DuckDB reads schema.sql

    before = {(t, c): s for t, c, s in con.execute(
        "select table_name, column_name, supplied from store_coverage").fetchall()}
    notes = {(t, c): n for t, c, n in con.execute(
        "select table_name, column_name, note from store_coverage where note is not null").fetchall()}
    for table, columns in (assumed or {}).items():
        notes.update({(table, column): SET_BY_MAPPING for column in columns})
    rows = []
    for table, columns in store_columns().items():
        if table == "store_coverage":
            continue
        first_expr, last_expr = TABLE_PERIODS.get(table, ("null", "null"))
        names = list(columns)
        # names come from data/schema.sql (DuckDB's own catalog of it), never from a user: trusted
        aggregates = ", ".join(
            ["count(*)", f"min({first_expr})::date", f"max({last_expr})::date"]
            + [f'count("{c}"), min({first_expr}) filter (where "{c}" is not null)::date, '
               f'max({last_expr}) filter (where "{c}" is not null)::date' for c in names])
        values = con.execute(f"select {aggregates} from {table}").fetchone()   # trusted: schema names
        total, first, last = values[:3]
        fed = None if supplied is None else supplied.get(table)
        table_supplied = total > 0
        rows.append((table, TABLE_ROW, table_supplied, total, first, last))
        for i, column in enumerate(names):
            filled, col_first, col_last = values[3 + 3 * i: 6 + 3 * i]
            if fed is not None:
                is_supplied = column in fed or (append and before.get((table, column), False))
            elif (table, column) in before:
                is_supplied = before[(table, column)]
            else:
                is_supplied = total > 0 or supplied is None
            rows.append((table, column, is_supplied, filled, col_first, col_last))
    totals = {t: f for t, c, _, f, *_ in rows if c == TABLE_ROW}
    flags = _derived_flags({(t, c): s for t, c, s, *_ in rows}, lambda table: totals.get(table, 0))
    rows = [(t, c, flags[(t, c)], f, a, b, None if flags[(t, c)] else notes.get((t, c)))
            for t, c, _, f, a, b in rows]
    con.execute("delete from store_coverage")
    con.executemany("insert into store_coverage values (?, ?, ?, ?, ?, ?, ?)", rows)


def projected(before: Coverage | None, fed: dict[str, tuple[int, set[str]]], append: bool) -> Coverage:
    """The coverage a store would have after an import, without writing it (the import's dry run).
    before: the store's coverage now (None for a new store); fed: table -> (rows the import brings,
    columns it supplies). Replaced tables hold only the import's rows; appended ones add to theirs."""
    entries = dict(before.entries) if before else {}
    for table, (rows, columns) in fed.items():
        old_rows = before.rows(table) if (before and append) else 0
        entries[(table, TABLE_ROW)] = Entry(rows + old_rows > 0, rows + old_rows, None, None)
        for key in [k for k in entries if k[0] == table and k[1] != TABLE_ROW]:
            del entries[key]
        for column in columns | ({c for (t, c), e in (before.entries.items() if before else ()) if t == table
                                  and c != TABLE_ROW and e.supplied} if append else set()):
            entries[(table, column)] = Entry(True, 0, None, None)
    for table, source in BUILT_FROM.items():
        source_row = entries.get((source, TABLE_ROW))
        if source_row and source_row.filled and table not in fed:
            # the publish builds it from its source; how many rows it will hold is not known before, only
            # that it will hold some
            entries[(table, TABLE_ROW)] = Entry(True, source_row.filled, None, None)
    flags = _derived_flags({key: e.supplied for key, e in entries.items()}, Coverage(entries).rows)
    for key in DERIVED:
        if key in flags:
            entries[key] = Entry(flags[key], 0, None, None)
    return Coverage(entries)
