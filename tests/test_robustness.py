"""No traceback, ever (issue 10, item 4): bad links, unreadable store files and failing imports
each give a plain message naming what is wrong and what to do, and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from dashboard import filters, store


def app(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture(scope="module")
def defaults(store_path) -> filters.Filters:
    with store.open_read_only(store_path) as con:
        return filters.read_choices(con).defaults()


LONG = "x" * 100_000
BAD_LINKS = {
    "only to, before from's default": {"to": "2024-01-01"},
    "only from, after to's default": {"from": "2030-01-01"},
    "reversed": {"from": "2025-06-01", "to": "2025-05-01"},
    "garbage dates": {"from": "2025-13-45", "to": "yesterday"},
    "unknown names": {"team": "Nobody", "site": "Mars", "channel": "fax", "touchpoint": "DROP TABLE"},
    "repeated keys": {"team": ["Nobody", "Noone"], "from": ["2025-99-01", "never"]},
    "very long values": {"from": LONG, "team": LONG},
}


@pytest.mark.parametrize("params", BAD_LINKS.values(), ids=BAD_LINKS.keys())
def test_a_bad_link_shows_a_notice_and_the_defaults(app_env, defaults, params):
    at = app(params)
    assert not at.exception, [e.value for e in at.exception]
    assert at.warning, "the reader is told what was wrong with the link"
    assert all(len(w.value) < 1_000 for w in at.warning), "a long value is quoted shortened"
    assert [d.value for d in at.sidebar.date_input] == [defaults.date_from, defaults.date_to]
    assert [s.value for s in at.sidebar.selectbox] == ["All"] * 4
    assert at.metric, "the page renders under the notice"


QUIET_LINKS = {
    "empty values": {"from": "", "to": "", "team": "", "site": ""},
    "names the app does not use": {"page": "2", "utm_source": "mail", "FROM": "2020-01-01"},
}


@pytest.mark.parametrize("params", QUIET_LINKS.values(), ids=QUIET_LINKS.keys())
def test_empty_and_unknown_parameters_mean_the_defaults(app_env, defaults, params):
    """An empty value is no value (test_filters: `site=` means all sites), and a parameter the
    app does not read (a mail campaign's tag) is left alone: the defaults, with nothing to warn of."""
    at = app(params)
    assert not at.exception, [e.value for e in at.exception]
    assert [d.value for d in at.sidebar.date_input] == [defaults.date_from, defaults.date_to]
    assert [s.value for s in at.sidebar.selectbox] == ["All"] * 4
    assert at.metric


def test_pickers_set_to_a_reversed_period_follow_the_same_rule_as_a_link(app_env, defaults):
    at = app()
    at.sidebar.date_input[0].set_value(defaults.date_to).run()
    at.sidebar.date_input[1].set_value(defaults.date_to - dt.timedelta(days=10)).run()
    assert not at.exception
    assert any("is after 'to'" in w.value and "default period" in w.value for w in at.warning)
    assert [d.value for d in at.sidebar.date_input] == [defaults.date_from, defaults.date_to]


@pytest.mark.parametrize("raw, rejected", [
    ({"to": "2024-01-01"}, {"to"}),        # the link's one date against the other's default
    ({"from": "2030-01-01"}, {"from"}),
    ({"from": "2025-06-01", "to": "2025-05-01"}, {"from", "to"}),
])
def test_a_reversed_period_rejects_only_the_dates_the_link_holds(store_path, raw, rejected):
    with store.open_read_only(store_path) as con:
        choices = filters.read_choices(con)
    chosen, notices, got = filters.parse_url(raw, choices)
    assert got == rejected
    assert (chosen.date_from, chosen.date_to) == choices.default_period()
    assert len(notices) == 1 and "default period" in notices[0]


# ---- store files the app cannot read -------------------------------------------------------------

def _garbage(folder):
    path = folder / "store.duckdb"
    path.write_bytes(bytes(range(256)) * 400)   # 100 kB that no DuckDB file starts with
    return path


def _truncated(folder, store_path):
    real = store.version(store_path)[0]
    data = open(real, "rb").read()
    path = folder / "store.duckdb"
    path.write_bytes(data[:len(data) // 2])
    return path


def _a_folder(folder):
    path = folder / "store.duckdb"
    path.mkdir()
    return path


@pytest.fixture(params=["garbage", "truncated", "a folder"])
def bad_store(request, tmp_path, store_path):
    return {"garbage": lambda: _garbage(tmp_path), "truncated": lambda: _truncated(tmp_path, store_path),
            "a folder": lambda: _a_folder(tmp_path)}[request.param]()


def _says_what_to_do(message: str, path) -> None:
    assert str(path) in message and "cannot be read" in message
    assert "python -m dashboard demo" in message and "python -m dashboard import" in message
    assert "Traceback" not in message


@pytest.mark.parametrize("page", ["overview.py", "teams.py", "sql_lab.py", "queries.py"])
def test_an_unreadable_store_is_a_plain_message_on_every_page(bad_store, monkeypatch, page):
    monkeypatch.setenv("DASHBOARD_DB", str(bad_store))
    at = app()
    assert not at.exception, [e.value for e in at.exception]
    _says_what_to_do(at.error[0].value, bad_store)
    at.switch_page(f"views/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    _says_what_to_do(at.error[0].value, bad_store)


def _unreadable_folder(monkeypatch, folder):
    """Tests run as root, for whom chmod 000 does not stop a read: the refusal the kernel gives
    another user (EACCES on the folder's entries) is made by monkeypatching os.stat."""
    import errno
    import os

    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path).startswith(str(folder)):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)


def test_a_store_in_a_folder_that_cannot_be_read_is_a_plain_message(tmp_path, monkeypatch):
    path = tmp_path / "locked" / "store.duckdb"
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    _unreadable_folder(monkeypatch, tmp_path / "locked")
    at = app()
    assert not at.exception, [e.value for e in at.exception]
    _says_what_to_do(at.error[0].value, path)
    assert "Permission denied" in at.error[0].value


def test_a_store_path_under_a_file_is_no_store(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "file" / "store.duckdb"))
    at = app()
    assert not at.exception
    assert "No store at" in at.error[0].value
