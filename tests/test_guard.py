"""The guarded path for ad-hoc SQL (dashboard/guard.py): hostile text is refused before it runs or
stopped at the time limit, the connection stays usable, the store file never changes; ordinary
queries bind the global filters and come back capped with their true total."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest

from dashboard import catalogue, config, filters, guard, store

FAST = 2.0        # seconds: the time limit the runaway tests use
MARGIN = 3.0      # stopped within the limit plus this

PARAMS = {"date_from": dt.date(2025, 1, 1), "date_to": dt.date(2025, 12, 31), "site": None, "team": None,
          "channel": None, "touchpoint": None, **catalogue.page_param_defaults()}


def _digest(path) -> str:
    return hashlib.sha256(Path(os.path.realpath(path)).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def before(store_path):
    """The store's checksum and its folder's listing before any hostile query ran."""
    folder = Path(os.path.realpath(store_path)).parent
    return _digest(store_path), sorted(p.name for p in folder.iterdir())


def assert_usable(con) -> None:
    after = guard.run(con, "select count(*) as n from teams")
    assert after.ok, after.message
    assert after.frame.item() > 0


HOSTILE = {
    # files, the environment, secrets, settings
    "read_csv_etc_passwd": "select * from read_csv('/etc/passwd', sep = ':')",
    "read_text": "select content from read_text('/etc/passwd')",
    "read_blob": "select * from read_blob('/etc/hostname')",
    "read_parquet": "select * from read_parquet('/tmp/*.parquet')",
    "read_json_auto": "select * from read_json_auto('/tmp/x.json')",
    "glob": "select * from glob('/etc/*')",
    "sniff_csv": "select * from sniff_csv('/etc/passwd')",
    "parquet_metadata": "select * from parquet_metadata('/tmp/x.parquet')",
    "file_as_table": "select * from '/etc/passwd'",
    "read_csv_in_subquery": "select (select count(*) from read_csv('/etc/passwd')) as n",
    "read_text_in_cte": "with f as (select * from read_text('/etc/passwd')) select * from f",
    "read_csv_upper_case": "SELECT * FROM READ_CSV('/etc/passwd')",
    "read_csv_qualified": "select * from system.main.read_csv('/etc/passwd')",
    "read_csv_quoted": "select * from \"read_csv\"('/etc/passwd')",
    "getenv": "select getenv('HOME') as home",
    "getenv_in_lambda": "select list_transform([1], x -> getenv('HOME')) as l",
    "getenv_in_where": "select team_name from teams where team_name = getenv('USER')",
    "duckdb_secrets": "select * from duckdb_secrets()",
    "which_secret": "select * from which_secret('s3://bucket/x', 's3')",
    "duckdb_settings": "select * from duckdb_settings()",
    "current_setting": "select current_setting('temp_directory') as t",
    "pg_settings_view": "select * from pg_catalog.pg_settings",
    "database_list_view": "select * from pragma_database_list",
    "logs_view_behind_cte_in_another_scope": "select * from (with duckdb_logs as (select 1) select 1) as a, duckdb_logs",
    # SQL that runs SQL
    "query_function": "select * from query('drop table teams')",
    "query_table_function": "select * from query_table('teams')",
    "json_execute_serialized_sql": "select * from json_execute_serialized_sql('{}')",
    # writes and creates
    "insert": "insert into teams (team_id, team_name) values (999, 'Rogue')",
    "update": "update teams set team_name = 'Rogue'",
    "delete": "delete from interactions",
    "create_table": "create table loot (x int)",
    "create_table_as": "create table loot as select * from customers",
    "create_view": "create view v as select 1",
    "create_macro": "create macro m() as 1",
    "create_secret": "create secret s (type s3, key_id 'k', secret 's')",
    "drop": "drop table teams",
    "alter": "alter table teams add column loot int",
    "delete_in_cte": "with gone as (delete from teams returning *) select * from gone",
    "insert_in_cte": "with x as (insert into teams (team_id) values (999) returning *) select * from x",
    # settings
    "set_threads": "set threads = 1",
    "reset": "reset memory_limit",
    "set_external_access_true": "set enable_external_access = true",
    "set_lock_configuration_false": "SET lock_configuration = false",
    "set_variable": "set variable x = 1",
    "pragma": "pragma enable_profiling",
    "pragma_version": "pragma version",
    "use": "use memory",
    "enable_logging_function": "select * from enable_logging()",
    "write_log": "select write_log('x')",
    # extensions
    "install_httpfs": "install httpfs",
    "load_httpfs": "load httpfs",
    "load_a_file": "load '/tmp/evil.duckdb_extension'",
    "update_extensions": "update extensions",
    # other databases and files
    "attach_memory": "attach ':memory:' as side",
    "attach_file": "attach '/tmp/side.duckdb' as side",
    "detach": "detach store",
    "copy_to": "copy teams to '/tmp/teams.csv'",
    "copy_from": "copy teams from '/etc/passwd'",
    "copy_query_to": "copy (select * from customers) to '/tmp/customers.parquet' (format parquet)",
    "export_database": "export database '/tmp/dump'",
    "import_database": "import database '/tmp/dump'",
    # maintenance and the like
    "checkpoint": "checkpoint",
    "force_checkpoint": "force checkpoint",
    "checkpoint_function": "select * from checkpoint()",
    "call": "call pragma_version()",
    "vacuum": "vacuum",
    "begin_transaction": "begin transaction",
    "explain_analyze": "explain analyze select * from teams",
    "prepare": "prepare p as select 1",
    "pivot_statement": "pivot teams on site using count(*)",
    # more than one statement
    "two_statements": "select 1; drop table teams",
    "two_selects": "select 1; select 2",
    "nothing": "   -- just a comment\n",
    "python_object_by_name": "select * from sys",
    # built-in table macros that expand into query_table(): the typed name looks harmless
    "histogram_values_settings": "from histogram_values('pg_catalog.pg_settings', name || '=' || setting, "
                                 "bin_count := 1000, technique := 'sample')",
    "histogram_values_database_list": "from histogram_values(pragma_database_list, file, technique := 'sample')",
    "histogram_settings": "from histogram('duckdb_settings', name)",
    "histogram_in_cte": "with h as (from histogram_values('duckdb_settings()', value)) select * from h",
    "logs_parsed": "from duckdb_logs_parsed('QueryLog')",
    "profiling_settings": "from duckdb_profiling_settings()",
}


@pytest.mark.parametrize("sql", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_refused_before_it_runs(con, before, sql):
    outcome = guard.run(con, sql, PARAMS)
    assert outcome.kind == "refused", (outcome.kind, outcome.message)
    assert outcome.frame is None
    assert outcome.message and "Traceback" not in outcome.message
    assert_usable(con)


@pytest.mark.parametrize("sql", [HOSTILE[k] for k in (
    "read_csv_etc_passwd", "read_text", "glob", "file_as_table", "insert", "create_table", "drop",
    "set_external_access_true", "install_httpfs", "load_httpfs", "attach_file", "copy_to", "export_database")])
def test_the_connection_itself_is_the_wall_behind_the_check(con, sql):
    """Were the statement check bypassed, DuckDB would still refuse: read-only, no external access."""
    cursor = con.cursor()
    try:
        with pytest.raises(duckdb.Error):
            cursor.execute(sql).fetchall()
    finally:
        cursor.close()
    assert_usable(con)


def test_refusals_say_plainly_why(con):
    assert guard.run(con, "select 1; drop table teams").message == "Only one statement at a time: this text has 2."
    assert guard.run(con, "drop table teams").message == (
        "Refused: this is a DROP statement; the lab only reads data (SELECT).")
    assert "reads files" in guard.run(con, "select * from read_text('/etc/passwd')").message
    assert "environment" in guard.run(con, "select getenv('HOME')").message
    assert "credentials" in guard.run(con, "select * from duckdb_secrets()").message
    assert "DELETE" in guard.run(con, "with g as (delete from teams returning *) select * from g").message


RUNAWAY = {
    "cross_join": "select count(*) from interactions a, interactions b, interactions c",
    "endless_recursive_cte": "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
    "doubling_recursive_cte": "with recursive r(n) as (select 1 union all select n + 1 from r, range(2)) "
                              "select count(*) from r",
}


@pytest.mark.parametrize("sql", RUNAWAY.values(), ids=RUNAWAY.keys())
def test_runaway_query_is_stopped_at_the_time_limit(con, before, sql):
    started = time.perf_counter()
    outcome = guard.run(con, sql, PARAMS, timeout_s=FAST)
    elapsed = time.perf_counter() - started
    assert outcome.kind in ("timeout", "error"), outcome.message   # error: out of memory first
    if outcome.kind == "timeout":
        assert outcome.message.startswith(f"Stopped after {FAST:g} s (the time limit)")
    assert outcome.frame is None
    assert elapsed < FAST + MARGIN
    assert_usable(con)


def test_other_sessions_keep_answering_while_a_runaway_query_runs(con):
    runaway: dict = {}
    thread = threading.Thread(target=lambda: runaway.update(
        outcome=guard.run(con, RUNAWAY["cross_join"], timeout_s=FAST)))
    thread.start()
    time.sleep(0.3)
    answered = []
    for _ in range(3):
        started = time.perf_counter()
        outcome = guard.run(con, "select team_name, count(*) as n from interactions join teams using (team_id) "
                                 "group by team_name", timeout_s=FAST)
        answered.append(time.perf_counter() - started)
        assert outcome.ok, outcome.message
        assert outcome.frame.height > 0
    assert thread.is_alive(), "the other queries should have finished while the runaway one still ran"
    thread.join()
    assert runaway["outcome"].kind == "timeout"
    assert max(answered) < FAST / 2


def test_team_parameter_gives_the_same_count_as_an_independent_computation(con, raw):
    team = sorted(t["team_name"] for t in raw.teams)[3]
    team_ids = {t["team_id"] for t in raw.teams if t["team_name"] == team}
    start, end = dt.date(2025, 3, 1), dt.date(2025, 5, 31)
    expected = sum(1 for i in raw.interactions
                   if i["team_id"] in team_ids and start <= i["queued_at"].date() <= end)
    values = {**PARAMS, "date_from": start, "date_to": end, "team": team}
    outcome = guard.run(con, "select count(*) as contacts from filtered_interactions("
                             "$date_from, $date_to, $site, $team, $channel, $touchpoint)", values)
    assert outcome.ok, outcome.message
    assert outcome.frame.item() == expected > 0
    # a subset of the parameters is fine: only those the text uses are bound
    direct = guard.run(con, "select count(*) as contacts from interactions join teams using (team_id) "
                            "where team_name = $team", values)
    assert direct.frame.item() == sum(1 for i in raw.interactions if i["team_id"] in team_ids)


def test_filters_as_params_are_what_the_lab_binds(con):
    values = {**filters.read_choices(con).defaults().as_params(), **catalogue.page_param_defaults()}
    outcome = guard.run(con, "select $date_from as f, $date_to as t, $grant_limit as g", values)
    assert outcome.ok, outcome.message
    assert outcome.frame.row(0) == (values["date_from"], values["date_to"], values["grant_limit"])


def test_rows_are_capped_and_the_total_is_counted_in_duckdb(con, raw):
    outcome = guard.run(con, "select * from interactions order by interaction_id", PARAMS)
    assert outcome.ok
    assert outcome.frame.height == guard.DEFAULT_ROW_CAP == 10_000
    assert outcome.truncated and outcome.total_rows == len(raw.interactions)
    assert outcome.message == f"first 10,000 rows of {len(raw.interactions):,}"
    assert outcome.frame["interaction_id"].to_list() == sorted(i["interaction_id"] for i in raw.interactions)[:10_000]

    small = guard.run(con, "select * from teams", PARAMS, max_rows=7)
    assert small.frame.height == 7 and small.total_rows == len(raw.teams) and small.truncated

    whole = guard.run(con, "select * from teams", PARAMS)
    assert whole.frame.height == whole.total_rows == len(raw.teams) and not whole.truncated


def test_database_error_is_a_plain_message(con):
    outcome = guard.run(con, "select no_such_column from teams")
    assert outcome.kind == "error"
    assert outcome.message.startswith("Binder Error: Referenced column")
    assert "no_such_column" in outcome.message and "Traceback" not in outcome.message
    syntax = guard.run(con, "selec 1")
    assert syntax.kind == "error" and syntax.message.startswith("Parser Error")
    assert_usable(con)


def test_unknown_parameter_is_refused_listing_the_available_ones(con):
    outcome = guard.run(con, "select count(*) from teams where team_name = $teem", PARAMS)
    assert outcome.kind == "refused"
    assert "$teem" in outcome.message
    for name in PARAMS:
        assert "$" + name in outcome.message
    positional = guard.run(con, "select ?", PARAMS)
    assert positional.kind == "refused" and "Positional" in positional.message


def test_ordinary_selects_pass(con):
    for sql in ("describe teams", "show tables", "summarize teams", "from teams select team_name",
                "with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select * from r",
                "with a as (select 1 as x), b as (select x + 1 as y from a) select * from b",
                "select * from information_schema.columns where table_name = 'teams'",
                "select * from duckdb_tables()", "select * from range(3)",
                "select team_name, wilson_lower(3, 10) as w from teams"):
        outcome = guard.run(con, sql, PARAMS)
        assert outcome.ok, (sql, outcome.message)


def test_store_tables_may_be_qualified(con):
    database = guard.run(con, "select current_database() as d").frame.item()
    for name in ("main.teams", f'"{database}".teams', f'"{database}".main.teams', f'"{database}"."main"."TEAMS"'):
        outcome = guard.run(con, f"select count(*) as n from {name}")
        assert outcome.ok and outcome.frame.item() > 0, (name, outcome.message)
    for name in ("temp.main.teams", "system.main.teams", "pg_catalog.teams"):
        assert guard.run(con, f"select count(*) as n from {name}").kind == "refused", name


def test_every_shipped_query_passes_the_guard(con):
    values = {**filters.read_choices(con).defaults().as_params(), **catalogue.page_param_defaults()}
    shipped = catalogue.load(config.queries_dir())
    assert shipped.queries
    for query in shipped.queries:
        outcome = guard.run(con, query.sql, values)
        assert outcome.ok, (query.name, outcome.message)
        assert set(query.spec.y) <= set(outcome.frame.columns)


def test_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(guard.TIMEOUT_ENV, raising=False)
    assert guard.timeout_from_env() == guard.DEFAULT_TIMEOUT_S == 10
    monkeypatch.setenv(guard.TIMEOUT_ENV, "2.5")
    assert guard.timeout_from_env() == 2.5
    for bad in ("0", "-1", "soon", "nan"):
        monkeypatch.setenv(guard.TIMEOUT_ENV, bad)
        with pytest.raises(ValueError, match=guard.TIMEOUT_ENV):
            guard.timeout_from_env()


def test_the_limit_from_the_environment_is_applied(con, monkeypatch):
    monkeypatch.setenv(guard.TIMEOUT_ENV, "1")
    started = time.perf_counter()
    outcome = guard.run(con, RUNAWAY["endless_recursive_cte"])
    assert outcome.kind == "timeout" and outcome.message.startswith("Stopped after 1 s")
    assert time.perf_counter() - started < 1 + MARGIN


def test_a_connection_without_the_walls_is_not_used(store_path, tmp_path):
    copy = tmp_path / "writable.duckdb"
    shutil.copyfile(os.path.realpath(store_path), copy)
    with duckdb.connect(str(copy)) as writable:
        outcome = guard.run(writable, "select count(*) from teams")
        assert outcome.kind == "refused" and "open_read_only" in outcome.message


def test_recommended_configuration_locks_settings_and_runs_the_app_queries(store_path, tmp_path):
    copy = tmp_path / "locked.duckdb"
    shutil.copyfile(os.path.realpath(store_path), copy)
    with duckdb.connect(str(copy), read_only=True, config=store.READ_ONLY_CONFIG) as locked:
        values = {**filters.read_choices(locked).defaults().as_params(), **catalogue.page_param_defaults()}
        for query in catalogue.load(config.queries_dir()).queries[::6]:
            assert guard.run(locked, query.sql, values).ok, query.name
        cursor = locked.cursor()
        with pytest.raises(duckdb.Error, match="locked"):
            cursor.execute("set threads = 1")
        assert cursor.sql("select current_setting('enable_external_access')").fetchall() == [(False,)]
        cursor.close()
        assert guard.run(locked, "set lock_configuration = false").kind == "refused"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked.duckdb"]  # nothing spilled beside it


def test_the_store_is_unchanged_and_nothing_was_written_beside_it(con, store_path, before):
    cursor = con.cursor()
    assert cursor.sql("select current_setting('enable_external_access')").fetchall() == [(False,)]
    cursor.close()
    folder = Path(os.path.realpath(store_path)).parent
    assert (_digest(store_path), sorted(p.name for p in folder.iterdir())) == before


def test_every_built_in_table_function_and_macro_has_been_reviewed():
    """A DuckDB upgrade that adds a table function or table macro fails here until it is reviewed
    (allowed in guard.ALLOWED_TABLE_FUNCTIONS or refused in REVIEWED_REFUSED_TABLE_FUNCTIONS)."""
    import duckdb

    with duckdb.connect() as fresh:
        built_in = {name for (name,) in fresh.sql(
            "select distinct function_name from duckdb_functions() "
            "where internal and function_type in ('table', 'table_macro')").fetchall()}
    assert built_in - guard.ALLOWED_TABLE_FUNCTIONS - guard.REVIEWED_REFUSED_TABLE_FUNCTIONS == set()
    assert not guard.ALLOWED_TABLE_FUNCTIONS & guard.REVIEWED_REFUSED_TABLE_FUNCTIONS


def test_no_allowed_name_is_a_macro_that_expands_into_a_refused_function(con):
    """histogram_values() was allowed by name while it expands into query_table(): every built-in
    macro's definition is read, and one that calls a refused function is refused itself."""
    cursor = con.cursor()
    try:
        expanding = guard._expanding_macros(cursor)
    finally:
        cursor.close()
    assert expanding[("table_macro", "histogram_values")] == "query_table"
    assert ("table_macro", "histogram") in expanding
    assert not {name for _, name in expanding} & guard.ALLOWED_TABLE_FUNCTIONS
    outcome = guard.run(con, "from histogram_values('teams', team_id)", PARAMS)
    assert outcome.kind == "refused" and "query_table" in outcome.message
    # the histogram aggregate shares the table macro's name and stays available
    assert guard.run(con, "select histogram(site) as h from teams", PARAMS).kind == "ok"
