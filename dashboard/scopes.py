"""Data scopes: which rows a person may see (docs/design.md, security model). A scope names the
teams and sites whose rows a person's session may read; None for both is the whole company.
A scope is enforced by what the session's store holds, never by a WHERE clause a page adds."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dashboard import config, coverage, rollups, store


@dataclass(frozen=True)
class Scope:
    teams: frozenset[str] | None = None   # team names; None: not limited by team
    sites: frozenset[str] | None = None   # site names; None: not limited by site

    @property
    def is_everything(self) -> bool:
        return self.teams is None and self.sites is None

    def describe(self) -> str:
        """The scope in words, for the sidebar and the scope message."""
        if self.is_everything:
            return "the whole company"
        parts = []
        if self.sites is not None:
            parts.append(f"site{'s' if len(self.sites) != 1 else ''} {', '.join(sorted(self.sites))}")
        if self.teams is not None:
            parts.append(f"team{'s' if len(self.teams) != 1 else ''} {', '.join(sorted(self.teams))}")
        return " and ".join(parts)


EVERYTHING = Scope()


# -- the store a scope may read ---------------------------------------------------------------------

PURPOSES = ("pages", "lab")
SCOPES_SUFFIX = ".scopes"
LAB_SCHEMA_SQL = config.ROOT / "data" / "lab_schema.sql"

# Rows of the source store (attached as `src`) that a scope keeps, table by table, in the order they
# are copied: later rules read the rows already copied into main (an in-scope contact's survey, a
# customer with an in-scope contact). $teams/$sites are bound lists; NULL means "not limited".
KEPT_ROWS = {
    "teams": "select * from src.teams where team_id in (select team_id from scope_teams)",
    "agents": "select * from src.agents where team_id in (select team_id from scope_teams)",
    "touchpoints": "select * from src.touchpoints",
    "interactions": "select * from src.interactions where team_id in (select team_id from scope_teams)",
    "contact_intervals": "select * from src.contact_intervals where team_id in (select team_id from scope_teams)",
    "contact_days": "select * from src.contact_days where team_id in (select team_id from scope_teams)",
    # the monthly rollup holds customer-side sums only (no agent survey answer), as the contacts it
    # sums, which the lab reads too
    "contact_months": "select * from src.contact_months where team_id in (select team_id from scope_teams)",
    "contact_wait_days": "select * from src.contact_wait_days where team_id in (select team_id from scope_teams)",
    "contact_team_months": "select * from src.contact_team_months where team_id in (select team_id from scope_teams)",
    "contact_team_days": "select * from src.contact_team_days where team_id in (select team_id from scope_teams)",
    # the scope's hours, and their totals summed from them (its own, as contact_resolution_totals)
    "contact_hours": "select * from src.contact_hours where team_id in (select team_id from scope_teams)",
    "contact_hour_totals": rollups.HOUR_TOTALS,
    "customer_team_span_counts": "select * from src.customer_team_span_counts "
                                 "where team_id in (select team_id from scope_teams)",
    "escalated_exception_days": "select * from src.escalated_exception_days "
                                "where team_id in (select team_id from scope_teams)",
    # the scope's teams' first contacts with customers the scope keeps (below), with their own dates
    "customer_first_contacts": "select * from src.customer_first_contacts "
                               "where team_id in (select team_id from scope_teams)",
    "contact_resolutions": "select * from src.contact_resolutions where team_id in (select team_id from scope_teams)",
    # the totals over every cell are the scope's own: summed from its cells' rows just copied
    "contact_resolution_totals": "select month, exception_requested, escalation_depth, resolution_s, "
                                 "sum(contacts)::bigint as contacts from main.contact_resolutions group by all "
                                 "order by all",
    "customer_surveys": "select * from src.customer_surveys "
                        "where interaction_id in (select interaction_id from main.interactions)",
    # the whole company keeps customers with no contact yet; a scope only those it served
    "customers": "select * from src.customers "
                 "where $everything or customer_id in (select customer_id from main.interactions)",
    # a customer's previous contact within the scope is another than in the whole company: the scope's own
    # rows, from the rows just copied (the whole company's are the store's own)
    "customer_experience_firsts": "select * from src.customer_experience_firsts where $everything union all "
                                  "select * exclude (team_id) from main.customer_experience_first_rows(null, null, null, null) "
                                  "where not $everything order by all",   # as rollups.CUSTOMER_EXPERIENCE_FIRSTS
    # a customer's previous contacts with a team are the same in the scope: the scope's teams' rows, in the
    # order a team's period is read in (a join need not keep the source's order)
    "customer_team_experience_firsts": "select * from src.customer_team_experience_firsts "
                                       "where team_id in (select team_id from scope_teams) "
                                       "order by team_id, day",   # as rollups.CUSTOMER_TEAM_EXPERIENCE_FIRSTS
    # every period's counts: the store's own for the whole company, else from the scope's first contacts
    # just copied
    "experience_churn_periods": "select * from src.experience_churn_periods where $everything union all "
                                f"select * from ({rollups.EXPERIENCE_CHURN_PERIODS}) where not $everything "
                                "order by period_from, period_to",
    # the scope's own customers counted per joining and churn day, from those just copied
    "customer_span_counts": "select joined_on, churned_on, count(*) as customers from main.customers "
                            "group by all order by all",
    "customer_day_counts": rollups.CUSTOMER_DAYS,
    "agent_requests": "select * from src.agent_requests where agent_id in (select agent_id from main.agents)",
    "training": "select * from src.training where agent_id in (select agent_id from main.agents)",
    "agent_surveys": "select * from src.agent_surveys where agent_id in (select agent_id from main.agents)",
    # centre-wide events (no team) and the scope's teams' own
    "events": "select * from src.events where team_id is null or team_id in (select team_id from scope_teams)",
    "store_coverage": "select * from src.store_coverage",   # supplied flags and notes; recomputed below
}
SCOPE_TEAMS = """create temp table scope_teams as
    select team_id from src.teams
    where ($teams is null or list_contains($teams, team_name))
      and ($sites is null or list_contains($sites, site))"""


def store_for(store_path: str | os.PathLike, scope: Scope, purpose: str) -> Path:
    """The store file a session with `scope` reads for `purpose` ("pages" or "lab"): a DuckDB file
    holding only the scope's rows (docs/design.md, security model), built from the published store
    version and kept beside it in `<store>.scopes/` while that version is published. For the whole
    company's pages it is the store itself. The lab's file has no raw agent survey answers (see
    data/lab_schema.sql). Raises store.StoreUnreadable for a missing or unreadable store, ScopeUnavailable (one of
    those) when the scope's file cannot be written."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    if scope.is_everything and purpose == "pages":
        return Path(store_path)
    real, inode, mtime = store.version(store_path)
    folder = scopes_dir(store_path)
    derived = folder / f"{_version_tag(inode, mtime)}-{purpose}-{_scope_key(scope, purpose)}{store.FINISHED}"
    if derived.exists():
        return derived
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _build_lock(folder / f".{derived.name}.lock"):
            if not derived.exists():   # another session built it while this one waited
                _build(real, store_path, derived, scope, purpose)
            _prune(store_path, folder)
    except duckdb.Error as exc:
        if real in str(exc):   # DuckDB names the file it failed to read: the store itself is damaged
            raise store.unreadable(store_path, exc) from None
        raise _unavailable(scope, folder, exc) from None
    except OSError as exc:   # a full disk, a folder this user may not write
        raise _unavailable(scope, folder, exc) from None
    return derived


def _unavailable(scope: Scope, folder: Path, exc: BaseException) -> ScopeUnavailable:
    return ScopeUnavailable(
        f"The data for {scope.describe()} could not be prepared in {folder} "
        f"({getattr(exc, 'strerror', None) or exc}). The server needs to be able to write there, "
        "beside the store; ask whoever runs it.")


class ScopeUnavailable(store.StoreUnreadable):
    """The scope's store could not be built: said in words, like any store that cannot be read."""


def scopes_dir(store_path: str | os.PathLike) -> Path:
    path = Path(store_path)
    return path.parent / f"{path.name}{SCOPES_SUFFIX}"


def _version_tag(inode: int, mtime_ns: int) -> str:
    return f"{inode}-{mtime_ns}"


def _scope_key(scope: Scope, purpose: str) -> str:
    """A file-name-safe digest of what the file holds: the scope, and the lab's respondent threshold."""
    threshold = config.min_respondents() if purpose == "lab" else None
    text = json.dumps([sorted(scope.teams) if scope.teams is not None else None,
                       sorted(scope.sites) if scope.sites is not None else None, threshold])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@contextlib.contextmanager
def _build_lock(lock_file: Path):
    """One build at a time per derived file: two sessions asking for the same scope at once build it
    once (the second waits, then finds it); different scopes build side by side."""
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


DERIVE_MEMORY_LIMIT = "1GB"


def _build(source: str, named: str | os.PathLike, derived: Path, scope: Scope, purpose: str) -> None:
    """Builds the scope's file under a temporary name and renames it into place when complete, so
    a reader never opens a half-built file."""
    partial = derived.with_name(f"{derived.name}.{secrets.token_hex(4)}{store.UNFINISHED}")
    try:
        # may spill into <partial>.tmp, which discard removes; bounded, since the server builds it
        # while serving (unbounded, the whole company's lab file took 11 GB at 100M contacts)
        with duckdb.connect(str(partial), config={"memory_limit": DERIVE_MEMORY_LIMIT}) as con:
            store.create_schema(con)
            try:
                con.execute("attach $path as src (read_only)", {"path": source})
            except duckdb.Error as exc:   # truncated, not a DuckDB file: the store's own message
                raise store.unreadable(named, exc) from None
            params = {"teams": sorted(scope.teams) if scope.teams is not None else None,
                      "sites": sorted(scope.sites) if scope.sites is not None else None}
            con.execute(SCOPE_TEAMS, params)
            for table, select in KEPT_ROWS.items():   # trusted: names and SQL from this module
                con.execute(f"insert into main.{table} by name {select}",
                            {"everything": scope.is_everything} if "$everything" in select else None)
            coverage.record(con)   # what the scope's rows cover; supplied flags kept from the source
            if purpose == "lab":
                _lab_view(con)
            con.execute("detach src")
            con.execute("checkpoint")
        os.replace(partial, derived)
        store.discard(partial)   # only what DuckDB may have left beside it: the file itself has moved
    except BaseException:
        store.discard(partial)
        raise


def _lab_view(con: duckdb.DuckDBPyConnection) -> None:
    """The lab's store: agent survey answers only as groups of at least config.min_respondents()
    respondents, and no agent's reason for leaving (an analyst's SQL can single anyone out)."""
    con.execute(LAB_SCHEMA_SQL.read_text())
    con.execute(AGENT_SURVEY_GROUPS, {"threshold": config.min_respondents()})
    con.execute("drop table agent_surveys")
    con.execute("alter table agents drop column leave_reason")
    con.execute("delete from store_coverage where table_name = 'agents' and column_name = 'leave_reason'")


# eNPS as kpis.py defines it: % of answers 9-10 minus % of answers 0-6 (of those answering eNPS).
AGENT_SURVEY_GROUPS = """insert into agent_survey_groups
    select t.team_name, t.site, date_trunc('month', s.surveyed_at)::date as month, s.milestone,
           count(distinct s.agent_id) as respondents,
           avg(s.satisfaction) as mean_satisfaction,
           100.0 * (count(*) filter (where s.enps >= 9) - count(*) filter (where s.enps <= 6))
               / nullif(count(s.enps), 0) as enps,
           avg(s.empowerment) as mean_empowerment,
           avg(s.manager_support) as mean_manager_support,
           avg(s.training_adequacy) as mean_training_adequacy,
           avg(s.pressure) as mean_pressure
    from agent_surveys as s
    join agents as a using (agent_id)
    join teams as t using (team_id)
    group by all
    having count(distinct s.agent_id) >= $threshold"""


def _prune(store_path: str | os.PathLike, folder: Path) -> None:
    """Removes the derived files, unfinished files and lock files of store versions no longer kept
    (store.publish keeps the last few, for readers that resolved the link just before a swap).
    Nobody builds for a version that is gone, so nothing removed here is being written."""
    kept = set()
    for version_file in [*store.versions(store_path), Path(store_path)]:
        try:
            _, inode, mtime = store.version(version_file)
        except store.StoreUnreadable:
            continue
        kept.add(_version_tag(inode, mtime))
    for file in folder.iterdir():
        # names start "<inode>-<mtime>-" (a lock file with a dot before it)
        if "-".join(file.name.lstrip(".").split("-")[:2]) in kept:
            continue
        if file.name.endswith(".lock"):
            file.unlink(missing_ok=True)
        elif file.name.endswith((store.FINISHED, store.UNFINISHED)):
            store.discard(file)
