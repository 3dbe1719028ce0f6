"""Scoped stores (dashboard/scopes.py store_for): what a scope's derived file holds, counted
independently from the full store; that every shipped page query runs on it unchanged; and its
life: reused while the store is the same, rebuilt and pruned when the store changes, built once
when two sessions ask at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboard import catalogue, config, coverage, demo, filters, scopes, store

# Each table's rows in a scope, written from the words against the full store (raw SQL,
# not scopes.KEPT_ROWS): $ids are the scope's team ids.
INDEPENDENT_COUNTS = {
    "teams": "select count(*) from teams where list_contains($ids, team_id)",
    "agents": "select count(*) from agents where list_contains($ids, team_id)",
    "interactions": "select count(*) from interactions where list_contains($ids, team_id)",
    "customer_surveys": "select count(*) from customer_surveys s join interactions i using (interaction_id) "
                        "where list_contains($ids, i.team_id)",
    "customers": "select count(distinct customer_id) from interactions "
                 "where list_contains($ids, team_id) and customer_id is not null",
    "agent_requests": "select count(*) from agent_requests r join agents a using (agent_id) where list_contains($ids, a.team_id)",
    "training": "select count(*) from training r join agents a using (agent_id) where list_contains($ids, a.team_id)",
    "agent_surveys": "select count(*) from agent_surveys r join agents a using (agent_id) where list_contains($ids, a.team_id)",
    "events": "select count(*) from events where team_id is null or list_contains($ids, team_id)",
    "touchpoints": "select count(*) from touchpoints",
}


def rows_of(path) -> dict[str, int]:
    con = store.open_read_only(path)
    try:
        return store.table_rows(con)
    finally:
        con.close()


def team_ids(con, where: str, params: dict) -> list[int]:
    return [r[0] for r in con.execute(f"select team_id from teams where {where} order by 1", params).fetchall()]


def expected_rows(con, ids: list[int]) -> dict[str, int]:
    return {table: con.execute(sql, {"ids": ids} if "$ids" in sql else None).fetchall()[0][0]
            for table, sql in INDEPENDENT_COUNTS.items()}


@pytest.fixture(scope="module")
def a_team(con) -> str:
    return con.execute("select team_name from teams order by team_name limit 1").fetchall()[0][0]


@pytest.fixture(scope="module")
def a_site(con) -> str:
    return con.execute("select site from teams order by site limit 1").fetchall()[0][0]


def test_a_team_scope_holds_exactly_its_rows(store_path, con, a_team):
    derived = scopes.store_for(store_path, scopes.Scope(teams=frozenset({a_team})), "pages")
    expected = expected_rows(con, team_ids(con, "team_name = $t", {"t": a_team}))
    assert expected["interactions"] > 0 and expected["teams"] == 1
    held = rows_of(derived)
    assert {t: held[t] for t in expected} == expected
    assert held["store_coverage"] == scalar_count(con, "store_coverage")


def test_a_site_scope_holds_exactly_its_rows(store_path, con, a_site):
    derived = scopes.store_for(store_path, scopes.Scope(sites=frozenset({a_site})), "pages")
    expected = expected_rows(con, team_ids(con, "site = $s", {"s": a_site}))
    assert 1 < expected["teams"] < scalar_count(con, "teams")
    assert {t: rows_of(derived)[t] for t in expected} == expected


def test_teams_and_sites_together_keep_only_teams_at_those_sites(store_path, con, a_team, a_site):
    other_site = con.execute("select site from teams where team_name = $t", {"t": a_team}).fetchall()[0][0]
    elsewhere = con.execute("select min(team_name) from teams where site <> $s", {"s": other_site}).fetchall()[0][0]
    scope = scopes.Scope(teams=frozenset({a_team, elsewhere}), sites=frozenset({other_site}))
    derived_con = store.open_read_only(scopes.store_for(store_path, scope, "pages"))
    try:
        assert derived_con.execute("select team_name from teams").fetchall() == [(a_team,)]
    finally:
        derived_con.close()


def scalar_count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_coverage_is_recomputed_for_the_scope(store_path, con, a_team):
    derived = scopes.store_for(store_path, scopes.Scope(teams=frozenset({a_team})), "pages")
    derived_con = store.open_read_only(derived)
    try:
        scoped = coverage.read(derived_con)
    finally:
        derived_con.close()
    ids = team_ids(con, "team_name = $t", {"t": a_team})
    first, last, n = con.execute("select min(queued_at)::date, max(queued_at)::date, count(*) from interactions "
                                 "where list_contains($ids, team_id)", {"ids": ids}).fetchall()[0]
    assert scoped.rows("interactions") == n and scoped.period("interactions") == (first, last)
    # supplied flags come from the source's record of its imports, not from the scope's values
    assert scoped.entries[("agents", "left_on")].supplied == coverage.read(con).entries[("agents", "left_on")].supplied


def test_an_unknown_name_is_an_empty_scope_not_everything(store_path):
    for scope in (scopes.Scope(teams=frozenset({"No such team"})), scopes.Scope(sites=frozenset({"Atlantis"})),
                  scopes.Scope(teams=frozenset()), scopes.Scope(teams=frozenset({"x' or '1'='1"}))):
        held = rows_of(scopes.store_for(store_path, scope, "pages"))
        assert all(held[t] == 0 for t in ("teams", "agents", "interactions", "customers", "customer_surveys",
                                          "agent_surveys", "agent_requests", "training")), (scope, held)
        assert held["touchpoints"] > 0


def test_the_whole_company_reads_the_store_itself_on_pages(store_path):
    assert scopes.store_for(store_path, scopes.EVERYTHING, "pages") == Path(store_path)


def test_the_whole_company_lab_store_keeps_every_row_but_raw_agent_answers(store_path, con):
    held = rows_of(scopes.store_for(store_path, scopes.EVERYTHING, "lab"))
    full = store.table_rows(con)
    assert "agent_surveys" not in held and held["agent_survey_groups"] > 0
    assert {t: n for t, n in held.items() if t in full} == {t: n for t, n in full.items()
                                                            if t not in ("agent_surveys", "store_coverage")} | {
        "store_coverage": full["store_coverage"] - 1}   # no leave_reason column, so no row for it


def test_a_bad_purpose_is_named(store_path):
    with pytest.raises(ValueError, match="purpose must be one of pages, lab, not 'admin'"):
        scopes.store_for(store_path, scopes.EVERYTHING, "admin")


def test_every_shipped_page_query_runs_on_a_scoped_store(store_path, con, a_team):
    """Same schema and macros: each query file runs unchanged. With no team filter the scoped store
    gives what the full store gives with the scope's team chosen, for queries about contacts."""
    derived_con = store.open_read_only(scopes.store_for(store_path, scopes.Scope(teams=frozenset({a_team})), "pages"))
    try:
        assert store.schema_problems(derived_con) == []
        chosen = filters.read_choices(con).defaults()
        queries = catalogue.load(config.ROOT / "queries")
        assert len(queries.queries) == len(list((config.ROOT / "queries").glob("*.sql"))) >= 40
        values = filters.bound_values(chosen)
        for query in queries.queries:
            catalogue.execute(derived_con, query, values)   # raises QueryFileError naming the file
        with_team = filters.bound_values(filters.Filters(chosen.date_from, chosen.date_to, team=a_team))
        for name in ("overview_customer_kpis", "wait_times_by_hour", "escalations_depth_distribution"):
            scoped = catalogue.execute(derived_con, queries.get(name), values)
            full = catalogue.execute(con, queries.get(name), with_team)
            assert scoped.height > 0
            assert scoped.equals(full), name
    finally:
        derived_con.close()


def test_reused_while_the_store_is_the_same_rebuilt_and_pruned_when_it_changes(tmp_path):
    path = demo.build(tmp_path / "store.duckdb", interactions=2_000, seed=1, progress=False)
    scope = scopes.Scope(sites=frozenset({"Leeds"}))
    first = scopes.store_for(path, scope, "lab")
    made = first.stat().st_mtime_ns
    assert scopes.store_for(path, scope, "lab") == first and first.stat().st_mtime_ns == made
    derived = [first]
    for seed in (2, 3, 4):   # the store keeps the current version and KEEP_PREVIOUS_VERSIONS before it
        demo.build(path, interactions=2_000, seed=seed, progress=False)
        derived.append(scopes.store_for(path, scope, "lab"))
    assert len(set(derived)) == 4
    assert not derived[0].exists()
    assert all(d.exists() for d in derived[1:])
    assert not list(scopes.scopes_dir(path).glob(f"*{store.UNFINISHED}"))
    assert {p.name for p in scopes.scopes_dir(path).iterdir()} == {
        name for d in derived[1:] for name in (d.name, f".{d.name}.lock")}


def test_the_respondent_threshold_is_part_of_the_lab_store(store_path, monkeypatch, a_team):
    scope = scopes.Scope(teams=frozenset({a_team}))
    at_five = scopes.store_for(store_path, scope, "lab")
    monkeypatch.setenv("DASHBOARD_MIN_RESPONDENTS", "7")
    at_seven = scopes.store_for(store_path, scope, "lab")
    assert at_five != at_seven
    seven = store.open_read_only(at_seven)
    try:
        assert seven.execute("select coalesce(min(respondents), 7) from agent_survey_groups").fetchone()[0] >= 7
    finally:
        seven.close()


def test_two_sessions_asking_at_once_get_one_whole_file(tmp_path):
    """Server processes and threads alike: four processes with three threads each ask at once."""
    path = demo.build(tmp_path / "store.duckdb", interactions=5_000, seed=5, progress=False)
    ask = ("import sys, threading; sys.path.insert(0, sys.argv[1]); from dashboard import scopes\n"
           "found = []\n"
           "def ask(): found.append(scopes.store_for(sys.argv[2], scopes.Scope(sites=frozenset({'Cork'})), 'pages'))\n"
           "threads = [threading.Thread(target=ask) for _ in range(3)]\n"
           "[t.start() for t in threads]; [t.join() for t in threads]\n"
           "print('\\n'.join(map(str, found)))")
    workers = [subprocess.Popen([sys.executable, "-c", ask, str(config.ROOT), str(path)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 4, [err for _, err in outputs]
    results = {Path(line) for out, _ in outputs for line in out.split()}
    assert len(results) == 1 and sum(len(out.split()) for out, _ in outputs) == 12
    results = sorted(results)
    assert sorted(p.name for p in scopes.scopes_dir(path).iterdir()) == [f".{results[0].name}.lock", results[0].name]
    with duckdb.connect(str(path), read_only=True) as full:
        expected = expected_rows(full, team_ids(full, "site = $s", {"s": "Cork"}))
    assert {t: rows_of(results[0])[t] for t in expected} == expected


def test_the_lab_groups_are_the_surveys_of_enough_respondents(store_path, con, a_site):
    """agent_survey_groups computed independently with polars from the raw answers."""
    derived = store.open_read_only(scopes.store_for(store_path, scopes.Scope(sites=frozenset({a_site})), "lab"))
    try:
        held = store.run(derived, "select * from agent_survey_groups order by team_name, month, milestone")
        tables = {name for (name,) in derived.execute("select table_name from duckdb_tables()").fetchall()}
        agent_columns = {c for (c,) in derived.execute(
            "select column_name from duckdb_columns() where table_name = 'agents'").fetchall()}
    finally:
        derived.close()
    assert "agent_surveys" not in tables and "leave_reason" not in agent_columns
    answers = store.run(con, "select s.*, t.team_name, t.site from agent_surveys s join agents using (agent_id) "
                             "join teams t using (team_id)").filter(pl.col("site") == a_site)
    threshold = config.min_respondents()
    expected = (answers.with_columns(month=pl.col("surveyed_at").dt.truncate("1mo"))
                .group_by("team_name", "site", "month", "milestone")
                .agg(respondents=pl.col("agent_id").n_unique(),
                     mean_satisfaction=pl.col("satisfaction").mean(),
                     enps=100 * ((pl.col("enps") >= 9).sum().cast(pl.Int64) - (pl.col("enps") <= 6).sum().cast(pl.Int64))
                     / pl.col("enps").count(),
                     mean_pressure=pl.col("pressure").mean())
                .filter(pl.col("respondents") >= threshold)
                .sort("team_name", "month", "milestone"))
    small = answers.group_by("team_name", pl.col("surveyed_at").dt.truncate("1mo"), "milestone").agg(
        n=pl.col("agent_id").n_unique()).filter(pl.col("n") < threshold)
    assert small.height > 0 and expected.height > 0   # the threshold leaves groups out here
    got = held.select(expected.columns).with_columns(pl.col("respondents").cast(pl.UInt32))
    assert got.select("team_name", "site", "month", "milestone", "respondents").equals(
        expected.select("team_name", "site", "month", "milestone", "respondents"))
    for column in ("mean_satisfaction", "enps", "mean_pressure"):
        assert got[column].to_list() == pytest.approx(expected[column].to_list()), column


def test_a_damaged_store_is_said_to_be_unreadable_not_the_scope_folder(store_path, tmp_path, a_team):
    data = Path(os.path.realpath(store_path)).read_bytes()
    damaged = tmp_path / "store.duckdb"
    damaged.write_bytes(data[:len(data) // 2])
    with pytest.raises(store.StoreUnreadable) as raised:
        scopes.store_for(damaged, scopes.Scope(teams=frozenset({a_team})), "pages")
    assert not isinstance(raised.value, scopes.ScopeUnavailable)
    assert str(raised.value).startswith(f"The store at {damaged} cannot be read")
    assert [p.name for p in scopes.scopes_dir(damaged).iterdir() if not p.name.endswith(".lock")] == []
