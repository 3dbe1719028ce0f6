"""No traceback, ever (issue 10, item 4): bad links, unreadable store files and failing imports
each give a plain message naming what is wrong and what to do, and change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from dashboard import filters, pages, store


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
    assert len({w.value for w in at.warning}) == len(at.warning), "each notice once"
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
    assert len(at.warning) == 1, "one rule, one notice"
    assert "is after 'to'" in at.warning[0].value and "default period" in at.warning[0].value
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


@pytest.mark.parametrize("page", [page.view for page in pages.PAGES])
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


# ---- the command line: imports and demo builds that cannot write, commands on a bad store ---------

def cli(capsys, *argv: str) -> tuple[int, str]:
    """dashboard.cli.main in this process (so faults can be injected), with what it printed."""
    from dashboard import cli as command_line

    code = command_line.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out + err


def _one_plain_paragraph(text: str, *words: str) -> None:
    assert "Traceback" not in text and 'File "' not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    for word in words:
        assert word in text, (word, text)


@pytest.fixture
def published(tmp_path):
    """A small published store from an import: its link target and content hash."""
    import hashlib

    from conftest import BARE_LOG, BARE_MAPPING, import_text

    db = import_text(tmp_path, "bare", BARE_LOG, BARE_MAPPING)

    def state():
        real = store.version(db)[0]
        files = sorted(p.name for p in store.versions_dir(db).iterdir())
        return real, hashlib.sha256(open(real, "rb").read()).hexdigest(), files

    return db, state


def _import_args(db):
    from conftest import PWC_CSV, PWC_MAPPING
    return ("import", PWC_CSV, "--mapping", PWC_MAPPING, "--db", db)


def _no_space(*args, **kwargs):
    import errno
    import os
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_an_import_on_a_full_disk_is_one_paragraph_and_leaves_the_store(published, monkeypatch, capsys):
    """The disk fills while the new version is written (coverage.record runs inside the write)."""
    from dashboard import importer

    db, state = published
    before = state()
    monkeypatch.setattr(importer.coverage, "record", _no_space)
    code, text = cli(capsys, *_import_args(db))
    assert code == 1
    _one_plain_paragraph(text, str(db), "disk is full", "unchanged")
    assert state() == before, "the published store and its versions are as they were"


def test_a_demo_build_on_a_full_disk_is_one_paragraph_and_leaves_the_store(published, monkeypatch, capsys):
    from dashboard import demo

    db, state = published
    before = state()
    monkeypatch.setattr(demo, "_populate", _no_space)
    code, text = cli(capsys, "demo", "--interactions", 500, "--db", db)
    assert code == 1
    _one_plain_paragraph(text, str(db), "disk is full", "as it was")
    assert state() == before


def test_an_import_into_a_folder_it_may_not_write_is_one_paragraph(published, monkeypatch, capsys):
    """Tests run as root, where chmod does not stop a write: the kernel's EACCES is made by
    monkeypatching the step that creates the new version's file."""
    import errno
    import os

    db, state = published
    before = state()

    def refused(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(store.versions_dir(path)))

    monkeypatch.setattr(store, "new_version_file", refused)
    code, text = cli(capsys, *_import_args(db))
    assert code == 1
    _one_plain_paragraph(text, str(store.versions_dir(db)), "may not write there", "unchanged")
    assert state() == before


@pytest.mark.parametrize("command", ["import", "demo"])
@pytest.mark.parametrize("where", ["under a file", "in /proc"])
def test_a_store_path_the_system_refuses_is_one_paragraph(tmp_path, capsys, command, where):
    """Real refusals from the kernel, root or not: a folder that is a file, and /proc (no new files)."""
    (tmp_path / "file").write_text("x")
    db = tmp_path / "file" / "store.duckdb" if where == "under a file" else Path("/proc/store.duckdb")
    argv = _import_args(db) if command == "import" else ("demo", "--interactions", 500, "--db", db)
    code, text = cli(capsys, *argv)
    assert code == 1
    _one_plain_paragraph(text, str(db), "choose another --db")


def test_demo_if_missing_rebuilds_a_store_it_cannot_read(tmp_path, capsys):
    db = _garbage(tmp_path)
    code, text = cli(capsys, "demo", "--if-missing", "--interactions", 500, "--db", db)
    assert code == 0 and "cannot be read" in text and "rebuilding" in text and "Traceback" not in text
    with store.open_read_only(db) as con:
        assert store.schema_problems(con) == []


def test_sql_on_an_unreadable_store_is_a_plain_message(bad_store, capsys):
    code, text = cli(capsys, "sql", "select 1 as one", "--db", bad_store)
    assert code == 2
    assert "Traceback" not in text and str(bad_store) in text and "python -m dashboard demo" in text


def test_check_on_a_full_disk_is_a_plain_message(capsys, monkeypatch, bad_store):
    """check builds its own small store (DASHBOARD_DB, however broken, is not read): a build that
    cannot write is one paragraph too."""
    from dashboard import demo

    monkeypatch.setenv("DASHBOARD_DB", str(bad_store))
    monkeypatch.setattr(demo, "_populate", _no_space)
    code, text = cli(capsys, "check")
    assert code == 2
    _one_plain_paragraph(text, "No space left on device")


@pytest.mark.parametrize("params", [
    {"from": ["2025-11-01", "2025-11-05"]},
    {"from": ["garbage", "2025-11-01"]},
    {"to": ["2025-11-20", "2025-12-01"], "from": "2025-11-01"},
], ids=["two dates", "garbage then a date", "two ends"])
def test_a_date_given_twice_is_its_default_with_a_notice(app_env, defaults, params):
    """The pickers take a repeated key's first value and a reader the last: neither can be trusted."""
    at = app(params)
    assert not at.exception
    assert any("different dates" in w.value for w in at.warning), [w.value for w in at.warning]
    pickers = {"from": defaults.date_from, "to": defaults.date_to}
    if isinstance(params.get("from"), str):
        pickers["from"] = dt.date.fromisoformat(params["from"])
    assert [d.value for d in at.sidebar.date_input] == list(pickers.values())
    assert at.caption[0].value == filters.Filters(*pickers.values()).describe()


@pytest.mark.parametrize("mode", ["--replace", "--append"])
def test_an_import_into_an_unreadable_store_is_one_paragraph_and_leaves_it(bad_store, capsys, mode):
    import hashlib

    def state():
        if bad_store.is_dir():
            return sorted(p.name for p in bad_store.iterdir())
        return hashlib.sha256(bad_store.read_bytes()).hexdigest()

    before = state()
    code, text = cli(capsys, *_import_args(bad_store), mode)
    assert code == 1
    _one_plain_paragraph(text, str(bad_store), "cannot be read", "python -m dashboard import", "DASHBOARD_DB")
    assert not text.rstrip().endswith("\u2026"), "the advice is not cut off"
    assert state() == before


@pytest.mark.parametrize("where", ["missing", "a file"])
def test_check_of_a_queries_folder_that_is_not_one_says_so(tmp_path, capsys, where):
    folder = tmp_path / "queries"
    if where == "a file":
        folder.write_text("x")
    code, text = cli(capsys, "check", "--queries", folder)
    assert code == 2
    _one_plain_paragraph(text, str(folder), "not a folder of query files")


@pytest.mark.parametrize("command", ["import", "demo"])
def test_an_interrupted_import_or_build_says_so_and_leaves_the_store(published, monkeypatch, capsys, command):
    """Ctrl-C half-way through writing the new version: no traceback, the published store as it was."""
    from dashboard import demo, importer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    db, state = published
    before = state()
    if command == "import":
        monkeypatch.setattr(importer.coverage, "record", interrupted)
        argv = _import_args(db)
    else:
        monkeypatch.setattr(demo, "_populate", interrupted)
        argv = ("demo", "--interactions", 500, "--db", db)
    code, text = cli(capsys, *argv)
    assert code == 130
    _one_plain_paragraph(text, "interrupted", str(db), "as it was")
    assert state() == before
