"""An import rebuilds the contact rollups (dashboard/rollups.py) only when it changes a table they are
built from (importer.ROLLUP_INPUTS): an import of agents alone leaves their rows as published, an import
of contacts rebuilds them from the contacts. And the rollups read no other table, so skipping them is
safe."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import PWC_CSV, PWC_MAPPING, ROOT, scalar

from dashboard import coverage, importer, mapping, rollups, store
from dashboard.mapping import store_columns

ROLLUPS = tuple(coverage.BUILT_FROM)   # the tables the publish builds
# each rollup's count of contacts: equal to the contacts' count when built from them
CONTACT_COUNTS = {"contact_intervals": "offered", "contact_days": "offered", "contact_months": "contacts",
                  "contact_wait_days": "offered"}
HR_EXPORT = ROOT / "tests" / "data" / "hr_survey.csv"
HR_MAPPING = ROOT / "data" / "mappings" / "hr_survey.yaml"


def rollup_rows(db) -> dict[str, list[tuple]]:
    with store.open_read_only(db) as con:
        # table names from coverage.BUILT_FROM, constants
        return {table: con.cursor().sql(f"select * from {table} order by all").fetchall() for table in ROLLUPS}


@pytest.fixture
def marked_store(store_path, tmp_path):
    """A copy of the test store whose every rollup row counts one contact more than it holds: a mark no
    build makes, so a rebuild shows by its going."""
    db = tmp_path / "store.duckdb"
    shutil.copy(store.version(store_path)[0], db)
    with duckdb.connect(str(db)) as con:
        for table, column in CONTACT_COUNTS.items():
            con.execute(f"update {table} set {column} = {column} + 1")   # constants
    return db


def test_the_marks_are_there(marked_store):
    with store.open_read_only(marked_store) as con:
        contacts = scalar(con, "select count(*) from interactions")
        for table, column in CONTACT_COUNTS.items():
            assert scalar(con, f"select sum({column}) from {table}") == contacts + scalar(
                con, f"select count(*) from {table}") > contacts, table


def test_an_import_of_agents_alone_leaves_the_rollups_as_published(marked_store):
    before = rollup_rows(marked_store)
    report = importer.run([HR_EXPORT], mapping.load(HR_MAPPING), marked_store)
    assert report.imported and report.inserted["agent_surveys"] > 0
    with store.open_read_only(marked_store) as con:   # the import did replace the agent tables
        assert scalar(con, "select count(*) from agent_surveys") == report.inserted["agent_surveys"]
    assert rollup_rows(marked_store) == before


def test_an_import_of_contacts_rebuilds_the_rollups_from_them(marked_store):
    report = importer.run([PWC_CSV], mapping.load(PWC_MAPPING), marked_store)
    assert report.imported
    with store.open_read_only(marked_store) as con:
        contacts = scalar(con, "select count(*) from interactions")
        assert contacts == report.inserted["interactions"] > 0
        for table, column in CONTACT_COUNTS.items():
            assert scalar(con, f"select sum({column}) from {table}") == contacts, table


def test_the_rollups_read_only_the_tables_named_their_inputs(store_path, tmp_path):
    """Every other table emptied, the rollups rebuilt: the same rows. A rollup that came to read another
    table (agents, teams) fails this until that table joins importer.ROLLUP_INPUTS."""
    published = rollup_rows(store_path)
    db = tmp_path / "store.duckdb"
    shutil.copy(store.version(store_path)[0], db)
    others = set(store_columns()) - importer.ROLLUP_INPUTS - set(ROLLUPS) - {"store_coverage"}
    assert {"agents", "agent_surveys", "teams"} <= others
    with duckdb.connect(str(db)) as con:
        for table in others:
            assert con.execute(f"select count(*) from {table}").fetchall()[0][0] > 0, table   # schema names
            con.execute(f"delete from {table}")
        rollups.build(con)
    assert rollup_rows(db) == published
