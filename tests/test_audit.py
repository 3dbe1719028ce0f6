"""The audit trail: one JSON line per record, chained by SHA-256, checked by `audit verify`.

Expected hashes are computed here with hashlib from the file's own bytes, never taken from audit.py."""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dashboard import audit, cli, config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def log(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "audit.log"
    monkeypatch.setenv("DASHBOARD_AUDIT_LOG", str(path))
    return path


def lines_of(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def assert_chain(lines: list[bytes]) -> None:
    """Each line's prev is the SHA-256 of the line before (of b"" for the first), computed here."""
    previous = b""
    for number, line in enumerate(lines, start=1):
        assert json.loads(line)["prev"] == hashlib.sha256(previous).hexdigest(), f"line {number}"
        previous = line


def run_cli(*argv: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "dashboard", *argv], cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=60)
    return done.returncode, done.stdout, done.stderr


# -- writing ---------------------------------------------------------------------------------------

def test_records_chain_and_keep_their_fields(log):
    for n in range(300):
        audit.record("page", f"person{n % 7}@example.com", path="/teams", query=f"?team=T{n}", n=n)
    lines = lines_of(log)
    assert len(lines) == 300
    assert_chain(lines)
    entries = [json.loads(line) for line in lines]
    assert [e["n"] for e in entries] == list(range(300))
    assert entries[12]["who"] == "person5@example.com" and entries[12]["event"] == "page"
    assert entries[12]["query"] == "?team=T12" and entries[12]["at"].endswith("Z")
    assert list(entries[0])[:3] == ["at", "who", "event"] and list(entries[0])[-1] == "prev"
    verdict = audit.verify(log)
    assert (verdict.entries, verdict.problem) == (300, None)
    assert verdict.last_hash == hashlib.sha256(lines[-1]).hexdigest()


def test_new_log_is_private_and_defaults_beside_the_store(log, monkeypatch, tmp_path):
    old = os.umask(0o022)
    try:
        audit.record("sign_in", "a@example.com")
    finally:
        os.umask(old)
    assert log.stat().st_mode & 0o777 == 0o600
    monkeypatch.delenv("DASHBOARD_AUDIT_LOG")
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "elsewhere" / "store.duckdb"))
    assert config.audit_path() == tmp_path / "elsewhere" / "audit.log"


def _append_many(path: str, tag: str, count: int, start) -> None:
    os.environ["DASHBOARD_AUDIT_LOG"] = path
    start.wait()
    for n in range(count):
        audit.record("sql", tag, sql=f"select {n}", rows=n, writer=tag)


def check_interleaved(path: Path, writers: list[str], count: int) -> None:
    lines = lines_of(path)
    assert len(lines) == len(writers) * count
    assert_chain(lines)
    entries = [json.loads(line) for line in lines]
    for tag in writers:   # every record of every writer is there, each once, in its own order
        assert [e["rows"] for e in entries if e["writer"] == tag] == list(range(count))
    assert audit.verify(path).problem is None


def test_two_processes_appending_at_once_keep_one_chain(log):
    context = multiprocessing.get_context("fork")
    start = context.Event()
    workers = [context.Process(target=_append_many, args=(str(log), tag, 200, start)) for tag in ("p1", "p2")]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    check_interleaved(log, ["p1", "p2"], 200)


def test_threads_of_one_server_appending_at_once_keep_one_chain(log):
    start = threading.Event()
    threads = [threading.Thread(target=_append_many, args=(str(log), tag, 200, start)) for tag in ("t1", "t2", "t3")]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(60)
    check_interleaved(log, ["t1", "t2", "t3"], 200)


HOSTILE = [
    "line one\nline two\r\nthree",
    "nul \x00 inside",
    "escape \x1b[2J\x1b[31m red",
    "separators \u2028 \u2029 \x85",
    "lone surrogates \udc80 \ud800",
    '{"prev": "0000", "who": "admin"}\n{"forged": true}',
    "emoji \U0001f600 and ünïcode",
]


def test_hostile_values_stay_one_line_each_and_come_back_exactly(log):
    for value in HOSTILE:
        audit.record("sql", value, sql=value, claims={"name": value, "groups": [value]})
    lines = lines_of(log)
    assert len(lines) == len(HOSTILE)
    assert all(line.isascii() for line in lines)
    assert_chain(lines)
    for line, value in zip(lines, HOSTILE):
        entry = json.loads(line)
        assert (entry["who"], entry["sql"], entry["claims"]) == (value, value, {"name": value, "groups": [value]})
        assert "forged" not in entry


def test_huge_sql_is_kept_up_to_the_cap_with_its_length(log):
    huge = "select " + ",".join(f"'\u00e9\n{n}'" for n in range(40_000))   # over 250,000 chars
    assert len(huge) > audit.VALUE_CAP
    audit.record("sql", "a@example.com", sql=huge, rows=0)
    audit.record("sql", "a@example.com", sql="select 1", rows=1)   # chains to a line longer than one read
    lines = lines_of(log)
    assert len(lines) == 2
    assert_chain(lines)
    entry = json.loads(lines[0])
    assert entry["sql"] == huge[:audit.VALUE_CAP] and entry["sql_length"] == len(huge)
    assert len(lines[0]) > 64 * 1024
    assert "sql_length" not in json.loads(lines[1])


def test_reserved_names_cannot_be_overwritten(log):
    with pytest.raises(ValueError, match="prev"):
        audit.record("sql", "a@example.com", prev="0" * 64)
    assert not log.exists()


@pytest.mark.parametrize("kind", ["missing folder", "folder", "under a file", "not a regular file"])
def test_a_log_that_cannot_be_written_raises_with_the_path(kind, tmp_path, monkeypatch):
    (tmp_path / "plain").write_text("x")
    (tmp_path / "dir").mkdir()
    path = {"missing folder": tmp_path / "no" / "audit.log", "folder": tmp_path / "dir",
            "under a file": tmp_path / "plain" / "audit.log", "not a regular file": Path("/dev/null")}[kind]
    monkeypatch.setenv("DASHBOARD_AUDIT_LOG", str(path))
    with pytest.raises(audit.AuditUnavailable) as caught:
        audit.record("sql", "a@example.com", sql="select 1")
    assert str(caught.value).startswith(f"the audit log at {path} cannot be written: ")
    with pytest.raises(audit.AuditUnavailable):
        audit.ensure_writable()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "plain"]
    assert list((tmp_path / "dir").iterdir()) == []


WRITE_PAST_LIMIT = """
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from dashboard import audit
size = os.path.getsize(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 1000, size + 1000))
try:
    audit.record("sql", "a@example.com", sql="x" * 5000)
except audit.AuditUnavailable as exc:
    print(exc)
"""


def test_a_write_the_system_cuts_short_is_taken_back_and_reported(log):
    audit.record("sign_in", "a@example.com")
    before = log.read_bytes()
    done = subprocess.run([sys.executable, "-c", WRITE_PAST_LIMIT, str(log)], cwd=ROOT, capture_output=True, check=False,
                          text=True, env={**os.environ, "DASHBOARD_AUDIT_LOG": str(log)}, timeout=60)
    assert done.stdout.startswith(f"the audit log at {log} cannot be written: "), done.stdout + done.stderr
    assert log.read_bytes() == before   # no half line left behind
    audit.record("sign_in", "b@example.com")
    assert_chain(lines_of(log))


def test_a_lock_held_too_long_makes_the_log_unavailable(log, monkeypatch):
    audit.record("sign_in", "a@example.com")
    monkeypatch.setattr(audit, "LOCK_WAIT_S", 0.2)
    with open(log, "ab") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(audit.AuditUnavailable, match="lock"):
            audit.record("sql", "a@example.com", sql="select 1")
    assert len(lines_of(log)) == 1


def test_a_torn_last_line_stays_its_own_line_and_verify_names_it(log):
    audit.record("sign_in", "a@example.com")
    with open(log, "ab") as handle:
        handle.write(b'{"at":"2026-01-01T00:00:00Z","who":"cut sh')   # a crash mid-append
    audit.record("sign_in", "b@example.com")
    lines = lines_of(log)
    assert len(lines) == 3 and json.loads(lines[2])["who"] == "b@example.com"
    assert json.loads(lines[2])["prev"] == hashlib.sha256(lines[1]).hexdigest()
    assert audit.verify(log).problem.startswith("line 2: not a JSON entry")


# -- tampering -------------------------------------------------------------------------------------

def ten_entries(log: Path) -> list[bytes]:
    for n in range(10):
        audit.record("sql", f"person{n}@example.com", sql=f"select {n}", rows=n)
    return lines_of(log)


def forged(after: bytes, **fields) -> bytes:
    """A well-formed entry whose prev is right for the line it follows: what a forger can compute."""
    entry = {"at": "2026-01-01T00:00:00.000Z", "who": "x@example.com", "event": "sql", **fields,
             "prev": hashlib.sha256(after).hexdigest()}
    return json.dumps(entry, separators=(",", ":")).encode()


def edit(line: bytes) -> bytes:
    return line.replace(b'"rows":3', b'"rows":30')


# what each tampering does to the 10 lines, and the line verify must name (1-based)
TAMPERING = {
    "edited line 4": (lambda ls: ls[:3] + [edit(ls[3])] + ls[4:], 5),
    "deleted line 4": (lambda ls: ls[:3] + ls[4:], 4),
    "deleted line 1": (lambda ls: ls[1:], 1),
    "forged line inserted at 4": (lambda ls: ls[:3] + [forged(ls[2], sql="drop")] + ls[3:], 5),
    "lines 4 and 5 swapped": (lambda ls: ls[:3] + [ls[4], ls[3]] + ls[5:], 4),
    "line 6 not JSON": (lambda ls: ls[:5] + [b"not json at all"] + ls[6:], 6),
    "blank line at 7": (lambda ls: ls[:6] + [b""] + ls[6:], 7),
    "line 2 not an object": (lambda ls: ls[:1] + [b"[1, 2]"] + ls[2:], 2),
    "line 3 not UTF-8": (lambda ls: ls[:2] + [b'{"who":"\xff"}'] + ls[3:], 3),
}


@pytest.mark.parametrize("kind", TAMPERING)
def test_each_tampering_is_named_at_the_right_line(kind, log):
    lines = ten_entries(log)
    change, bad_line = TAMPERING[kind]
    assert edit(lines[3]) != lines[3]
    log.write_bytes(b"\n".join(change(lines)) + b"\n")
    verdict = audit.verify(log)
    assert verdict.problem.startswith(f"line {bad_line}: ")
    assert verdict.entries == bad_line - 1
    code, out, err = run_cli("audit", "verify", "--log", str(log))
    assert (code, out) == (1, "")
    assert f": line {bad_line}: " in err and "Traceback" not in err


def test_intact_log_passes_and_prints_an_anchor(log):
    lines = ten_entries(log)
    code, out, err = run_cli("audit", "verify", "--log", str(log))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "10 entries, chain intact"
    assert f"anchor 10:{hashlib.sha256(lines[-1]).hexdigest()} " in out


def rechained(lines: list[bytes]) -> list[bytes]:
    """Every hash recomputed after an edit: what someone with write access and time can do."""
    out, previous = [], b""
    for line in lines:
        entry = json.loads(line)
        entry["prev"] = hashlib.sha256(previous).hexdigest()
        previous = json.dumps(entry, separators=(",", ":")).encode()
        out.append(previous)
    return out


def test_an_anchor_kept_elsewhere_catches_a_recomputed_chain_and_a_cut_end(log):
    lines = ten_entries(log)
    anchor = f"10:{hashlib.sha256(lines[-1]).hexdigest()}"
    assert run_cli("audit", "verify", "--log", str(log), "--anchor", anchor)[0] == 0
    # an edit with every later hash recomputed passes the chain alone: that is the limit the README states
    log.write_bytes(b"\n".join(rechained(lines[:1] + [edit(lines[1].replace(b'"rows":1', b'"rows":3'))] + lines[2:]))
                    + b"\n")
    assert audit.verify(log).problem is None
    code, _, err = run_cli("audit", "verify", "--log", str(log), "--anchor", anchor)
    assert code == 1 and "line 10: " in err and "rewritten" in err
    log.write_bytes(b"\n".join(lines[:8]) + b"\n")   # the last two lines cut off
    assert audit.verify(log).problem is None
    code, _, err = run_cli("audit", "verify", "--log", str(log), "--anchor", anchor)
    assert code == 1 and "8 entries" in err and "cut off" in err


@pytest.mark.parametrize("anchor", ["10", "x:abc", "0:" + "a" * 64, "3:" + "g" * 64, "3:" + "a" * 63])
def test_a_malformed_anchor_is_refused_plainly(anchor, log, capsys):
    ten_entries(log)
    assert cli.main(["audit", "verify", "--log", str(log), "--anchor", anchor]) == 2
    assert "--anchor must be N:HASH" in capsys.readouterr().err


def test_an_empty_log_is_intact(log, capsys):
    log.write_bytes(b"")
    assert cli.main(["audit", "verify", "--log", str(log)]) == 0
    assert capsys.readouterr().out == "0 entries, chain intact\n"


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_cli_on_a_log_it_cannot_read_says_so_without_traceback(kind, tmp_path):
    path = tmp_path / "audit.log"
    if kind == "folder":
        path.mkdir()
    for command in ("verify", "tail"):
        code, out, err = run_cli("audit", command, "--log", str(path))
        assert (code, out) == (2, "")
        assert err.startswith(f"the audit log at {path} cannot be read: ") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


# -- tail ------------------------------------------------------------------------------------------

def test_tail_prints_the_last_entries_one_line_each_with_values_escaped(log):
    for value in HOSTILE:
        audit.record("sql", value, sql=value, rows=3)
    audit.record("page", "ceo@example.com", path="/teams", query="?team=Aurora&from=2025-03-01")
    code, out, err = run_cli("audit", "tail", "-n", "4", "--log", str(log))
    assert (code, err) == (0, "")
    shown = out.split("\n")
    assert shown[-1] == "" and len(shown) == 5
    assert all(text.isascii() and text.isprintable() for text in shown)
    assert shown[3].split(" ", 1)[1] == 'ceo@example.com page path="/teams" query="?team=Aurora&from=2025-03-01"'
    assert shown[0].split(" ", 1)[1] == f'{json.dumps(HOSTILE[-3])} sql sql={json.dumps(HOSTILE[-3])} rows=3'


def test_tail_names_a_line_that_is_not_an_entry_and_shortens_huge_values(log, capsys):
    audit.record("sql", "a@example.com", sql="s" * 5000)
    with open(log, "ab") as handle:
        handle.write(b"garbage \x1b[31m\xff\n")
    assert cli.main(["audit", "tail", "--log", str(log)]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert 'sql="' + "s" * 299 + "... (5,002 chars)" in first
    assert second.startswith("line 2: not a JSON entry: ") and second.isprintable()
