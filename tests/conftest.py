"""Shared fixtures: one small generated store per test session (a real DuckDB file)."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard import catalogue, config, coverage, demo, rollups, store  # noqa: E402

STORE_INTERACTIONS = 60_000
STORE_SEED = 7


@pytest.fixture(scope="session")
def store_path(tmp_path_factory) -> Path:
    return demo.build(tmp_path_factory.mktemp("store") / "store.duckdb",
                      interactions=STORE_INTERACTIONS, seed=STORE_SEED, progress=False)


# what a first import from a telephony system alone would give (issue 3: pages must still work)
SPARSE_TABLES_KEPT = ("teams", "agents", "touchpoints", "interactions", "customer_surveys")


@pytest.fixture(scope="session")
def sparse_store_path(tmp_path_factory) -> Path:
    """A store with only teams, agents, touchpoints, interactions and customer surveys."""
    import duckdb

    path = demo.build(tmp_path_factory.mktemp("sparse") / "sparse.duckdb", interactions=5_000, seed=3,
                      progress=False)
    with duckdb.connect(str(path)) as connection:
        for table in ("customers", "agent_surveys", "agent_requests", "training", "events"):
            connection.execute(f"delete from {table}")
        rollups.build(connection)
        coverage.record(connection)   # what the store now holds, as a publish would record it
    return path


@pytest.fixture(scope="session")
def con(store_path):
    connection = store.open_read_only(store_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def raw(store_path):
    from reference_kpis import load_raw
    return load_raw(store_path)


@pytest.fixture
def app_env(store_path, monkeypatch):
    """Points the app at the session's store."""
    monkeypatch.setenv("DASHBOARD_DB", str(store_path))
    return store_path


@pytest.fixture
def queries_folder(tmp_path, monkeypatch, app_env):
    """A copy of the shipped query files that the app (and catalogue.load via config) reads instead:
    a test may add or break files in it."""
    from dashboard import config

    folder = tmp_path / "queries"
    folder.mkdir()
    for path in config.queries_dir().glob("*.sql"):
        (folder / path.name).write_text(path.read_text())
    monkeypatch.setenv("DASHBOARD_QUERIES", str(folder))
    return folder


def scalar(con, sql: str, params: dict | None = None):
    return con.cursor().sql(sql, params=params).fetchall()[0][0]


def rows(con, sql: str, params: dict | None = None) -> list[tuple]:
    """Every row of the query, its parameters bound by DuckDB, on a cursor of its own."""
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


@pytest.fixture(scope="module")
def queries():
    """The shipped query files (queries/)."""
    return catalogue.load(config.queries_dir())


MARCH_TO_MAY = (dt.date(2025, 3, 1), dt.date(2025, 5, 31))

# the overview's customer KPIs as they were computed before the interval table, straight from the contacts:
# the independent computation for the layer (test_intervals.py) and for the churn rewrite (test_rollup_months.py)
OVERVIEW_FROM_CONTACTS = (ROOT / "tests" / "data" / "overview_customer_kpis_from_contacts.sql").read_text()


# the PwC sample (shared/datasets), kept here byte for byte so a clone alone can run the suite
PWC_CSV = ROOT / "tests" / "data" / "pwc_call_centre_trends.csv"
PWC_MAPPING = ROOT / "data" / "mappings" / "pwc_call_centre.yaml"


@pytest.fixture(scope="session")
def pwc_store_path(tmp_path_factory) -> Path:
    """A new store holding only what the PwC sample supplies, imported with the shipped mapping."""
    from dashboard import importer, mapping

    path = tmp_path_factory.mktemp("pwc") / "pwc.duckdb"
    importer.run([PWC_CSV], mapping.load(PWC_MAPPING), path)
    return path


def import_text(folder: Path, name: str, csv_text: str, mapping_text: str) -> Path:
    """Writes a CSV and its mapping into folder and imports them into a new store there."""
    from dashboard import importer, mapping

    (folder / f"{name}.csv").write_text(csv_text)
    (folder / f"{name}.yaml").write_text(mapping_text)
    db = folder / f"{name}.duckdb"
    importer.run([folder / f"{name}.csv"], mapping.load(folder / f"{name}.yaml"), db)
    return db


BARE_LOG = textwrap.dedent("""\
    id,date,time,answered,agent
    1,2025-03-03,09:00:00,Y,Ann
    2,2025-03-03,09:05:00,N,
    3,2025-03-04,10:00:00,Y,Bob
    4,2025-03-05,11:30:00,Y,Ann
    """)
BARE_MAPPING = textwrap.dedent("""\
    # a call log with no waits, handle times, resolution, customers or surveys
    tables:
      teams: {rows: distinct, columns: {team_name: {constant: Desk}, site: {constant: HQ}, manager_name: {constant: M}}}
      touchpoints:
        rows: distinct
        columns: {touchpoint_name: {constant: Calls}, owner_unit: {constant: Desk}, sla_name: {constant: "20 s"},
                  sla_seconds: {constant: 20}, sla_measure: {constant: wait_s}}
      agents:
        rows: distinct
        where_present: agent
        columns: {agent_name: agent, team_name: {constant: Desk}, hired_on: {column: date, aggregate: min},
                  authority_limit: {constant: 0}}
      interactions:
        columns:
          interaction_id: id
          team_name: {constant: Desk}
          touchpoint_name: {constant: Calls}
          channel: {constant: phone}
          queued_at: {date: date, time: time}
          abandoned: {column: answered, true: [N], false: [Y]}
          agent_name: {column: agent, unless: abandoned}
    """)


@pytest.fixture(scope="session")
def bare_log_store_path(tmp_path_factory) -> Path:
    """A store from a call log with no waits, handle times, resolution, customers, surveys or
    leaving dates: every figure resting on those must say "no data", never 0."""
    return import_text(tmp_path_factory.mktemp("bare"), "bare", BARE_LOG, BARE_MAPPING)


@pytest.fixture(scope="session")
def store_ending_mid_month(store_path, tmp_path_factory):
    """The test store with its contacts after 15 December removed, rebuilt as a publish would (a store
    ending mid-month: its last, partial month read from the rollups or the contacts)."""
    import duckdb

    path = tmp_path_factory.mktemp("mid") / "mid.duckdb"
    shutil.copy(store.version(store_path)[0], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from customer_surveys where interaction_id in "
                           "(select interaction_id from interactions where queued_at >= date '2025-12-16')")
        connection.execute("delete from interactions where queued_at >= date '2025-12-16'")
        rollups.build(connection)
        coverage.record(connection)
    connection = store.open_read_only(path)
    yield connection
    connection.close()
