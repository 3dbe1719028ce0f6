"""Shared fixtures: one small generated store per test session (a real DuckDB file)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard import coverage, demo, store  # noqa: E402

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


def scalar(con, sql: str, params: dict | None = None):
    return con.cursor().sql(sql, params=params).fetchall()[0][0]


MARCH_TO_MAY = (dt.date(2025, 3, 1), dt.date(2025, 5, 31))


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
