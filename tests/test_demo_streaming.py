"""The demo streams contacts to the store a batch at a time (issue 13: 100M contacts in bounded
memory). What the streaming relies on, checked against the raw rows: contacts end up in time order,
repeat_within_7d is what a window over the whole history gives (also across the boundaries at
which contacts are written), and the size of the batches changes nothing."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from dashboard import demo

CONTACTS, SEED = 20_000, 5
TABLES = ("teams", "agents", "customers", "touchpoints", "interactions", "customer_surveys", "agent_surveys",
          "agent_requests", "training", "events")


@pytest.fixture(scope="module")
def default_store(tmp_path_factory):
    return demo.build(tmp_path_factory.mktemp("default") / "store.duckdb", interactions=CONTACTS, seed=SEED,
                      progress=False)


@pytest.fixture(scope="module")
def small_batch_store(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "ROWS_PER_INSERT", 97)   # many batches, none aligned with anything
        return demo.build(tmp_path_factory.mktemp("small") / "store.duckdb", interactions=CONTACTS, seed=SEED,
                          progress=False)


def _stored_rows(path, table: str) -> list[tuple]:
    """A table's rows in the order they are stored in."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(f"select * from {table} order by rowid").fetchall()  # table names are our constants


def _contacts(path) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql("""select interaction_id, customer_id, touchpoint_id, queued_at, repeat_within_7d
                          from interactions order by rowid""").pl()


def test_contacts_are_stored_in_time_order(default_store):
    stored = _contacts(default_store)
    assert stored.height == CONTACTS
    assert stored.equals(stored.sort("queued_at", "interaction_id"))


def test_repeat_within_7d_is_the_next_contact_over_the_whole_history(default_store):
    stored = _contacts(default_store)
    expected = stored.sort("queued_at", "interaction_id").with_columns(
        next_queued_at=pl.col("queued_at").shift(-1).over("customer_id", "touchpoint_id"))
    expected = expected.with_columns(
        expected=(pl.col("next_queued_at") - pl.col("queued_at") <= dt.timedelta(days=7)).fill_null(False))
    assert expected["repeat_within_7d"].to_list() == expected["expected"].to_list()
    # the boundaries at which contacts are written are crossed: repeats whose next contact is in
    # the next month, and within the last week of a month (written only after the next month exists)
    crossing = expected.filter(pl.col("expected")
                               & (pl.col("next_queued_at").dt.month() != pl.col("queued_at").dt.month()))
    assert crossing.height > 20


def test_every_survey_answer_belongs_to_a_stored_contact(default_store):
    """Contacts generated beyond a month's share are dropped, and their survey answers with them."""
    with duckdb.connect(str(default_store), read_only=True) as con:
        orphans = con.sql("""select count(*) from customer_surveys
                             where interaction_id not in (select interaction_id from interactions)""").fetchall()
        answers = con.sql("select count(*) from customer_surveys").fetchall()
    assert orphans[0][0] == 0 and answers[0][0] > 0.1 * CONTACTS


@pytest.mark.parametrize("table", TABLES)
def test_the_batch_size_changes_nothing(default_store, small_batch_store, table):
    assert _stored_rows(small_batch_store, table) == _stored_rows(default_store, table)
