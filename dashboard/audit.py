"""The audit trail: who did what, one JSON line per action, each line chained to the one before.

A line is a JSON object {"at", "who", "event", <fields>..., "prev"}, ASCII only (json escapes every
newline, NUL, control character and lone surrogate a value holds, so one record is always one line).
"prev" is the SHA-256 (hex) of the previous line's bytes without its newline, or of b"" for the
first line. Changing, removing, inserting or moving a line breaks the chain at the first line after
the change, which `python -m dashboard audit verify` names.

What the chain cannot do: anyone who may write the file can cut lines off its end, or recompute
every hash after an edit. `verify` prints the last entry's number and hash; kept somewhere off the
server, `verify --anchor N:HASH` later proves nothing up to entry N was rewritten. Shipping the lines
off the machine as they are written (syslog, logrotate to another host) gives a record nobody on the
server can rewrite.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import errno
import fcntl
import hashlib
import json
import math
import os
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dashboard import config

# A value longer than this (in characters) is cut to it, and the record notes the original length
# in "<name>_length": 64 KB keeps any SQL a person types whole, while one pasted megabyte of text
# cannot make every later `tail` and `verify` crawl.
VALUE_CAP = 64 * 1024
# How long record() waits for another writer's lock before saying the log is unavailable: a
# writer holds it for one append, so seconds mean a stuck process, and a page must not hang.
LOCK_WAIT_S = 5.0
RESERVED = ("at", "who", "event", "prev")
GENESIS = hashlib.sha256(b"").hexdigest()


class AuditUnavailable(Exception):
    """The audit log cannot be written; str() is the sentence to show."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"the audit log at {path} cannot be written: {reason}")
        self.path = path


def record(event: str, who: str, **fields) -> dict:
    """Appends one entry and returns it (as written).

    Raises AuditUnavailable when the line cannot be written (a folder that does not exist or may not
    be written, a full disk, a lock held too long...). Callers must then REFUSE the action: an
    unaudited action is not allowed. For an action whose outcome goes into its entry (sql with its
    row count or error), record after computing and before revealing: when record() raises, show its
    message instead of the result, so nothing reaches the person without a line in the log.

    Values are stored, never interpreted: strings as JSON strings (cut at VALUE_CAP characters, with
    "<name>_length" the original length), numbers and booleans as they are, lists and dicts as JSON
    (cut likewise when their JSON is longer), anything else as its str().
    """
    clashes = [name for name in fields if name in RESERVED]
    if clashes:   # a programming error, not a user's input: fail loudly
        raise ValueError(f"audit field names {clashes} are reserved for the entry itself")
    notes: dict = {}
    entry = {"at": _now(), "who": _capped("who", who, notes), "event": _capped("event", event, notes)}
    for name, value in fields.items():
        entry[str(name)] = _capped(str(name), value, notes)
    entry.update(notes)
    return _append(config.audit_path(), entry)


def ensure_writable(path: Path | None = None) -> None:
    """Raises AuditUnavailable now when the log cannot be opened for appending, so a page can refuse
    before doing expensive work. (record() still has the last word: a disk can fill in between.)"""
    path = path or config.audit_path()
    fd = _open(path)
    os.close(fd)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value):
    """value as JSON can hold it, interpreting nothing."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_plain(item) for item in items]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def _capped(name: str, value, notes: dict):
    value = _plain(value)
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else None
    if text is None or len(text) <= VALUE_CAP:
        return value
    notes[f"{name}_length"] = len(text)
    return text[:VALUE_CAP]


def _open(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise AuditUnavailable(path, _reason(exc)) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise AuditUnavailable(path, "it is not a regular file")
    return fd


REASONS = {
    errno.ENOENT: "its folder does not exist (create it, or set DASHBOARD_AUDIT_LOG)",
    errno.EACCES: "this user may not write it (fix the permissions, or set DASHBOARD_AUDIT_LOG)",
    errno.EPERM: "this user may not write it (fix the permissions, or set DASHBOARD_AUDIT_LOG)",
    errno.EROFS: "the file system is read-only (set DASHBOARD_AUDIT_LOG)",
    errno.EISDIR: "it is a folder (set DASHBOARD_AUDIT_LOG to a file)",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
}


def _reason(exc: OSError) -> str:
    return REASONS.get(exc.errno, exc.strerror or str(exc))


def _append(path: Path, entry: dict) -> dict:
    fd = _open(path)
    try:
        _lock(fd, path)
        size = os.fstat(fd).st_size
        last = _last_line(fd, size)
        # a last line without its newline is a torn write (a crash mid-append, or an edit): it
        # stays a line of its own, which verify reports, rather than swallowing this entry
        lead = b"\n" if size and last is not None and not _ends_with_newline(fd, size) else b""
        entry["prev"] = GENESIS if last is None else hashlib.sha256(last).hexdigest()
        line = lead + json.dumps(entry, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"
        _write_all(fd, line, size, path)
        return entry
    finally:
        os.close(fd)   # closing releases the lock


def _lock(fd: int, path: Path) -> None:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise AuditUnavailable(path, f"another process has held its lock for over {LOCK_WAIT_S:g} s") from None
            time.sleep(0.005)
        except OSError as exc:
            raise AuditUnavailable(path, f"it cannot be locked: {_reason(exc)}") from exc


def _ends_with_newline(fd: int, size: int) -> bool:
    return os.pread(fd, 1, size - 1) == b"\n"


def _last_line(fd: int, size: int, chunk: int = 64 * 1024) -> bytes | None:
    """The file's last line (without its newline), read backwards from the end; None when empty."""
    if size == 0:
        return None
    end = size - 1 if _ends_with_newline(fd, size) else size
    tail = b""
    position = end
    while position > 0:
        start = max(0, position - chunk)
        tail = os.pread(fd, position - start, start) + tail
        position = start
        cut = tail.rfind(b"\n")
        if cut >= 0:
            return tail[cut + 1:]
    return tail


def _write_all(fd: int, line: bytes, size: int, path: Path) -> None:
    """One os.write of the whole line; should the system write part of it (a disk filling up), the
    rest follows under the same lock, and a line that cannot be finished is taken back out."""
    written = 0
    try:
        while written < len(line):
            written += os.write(fd, line[written:])
    except OSError as exc:
        if written:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass
        raise AuditUnavailable(path, _reason(exc)) from exc


# -- reading: verify and tail ------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    entries: int
    last_hash: str            # SHA-256 of the last line (GENESIS when the log is empty)
    problem: str | None       # "line N: why", the first bad line; None when the chain is intact


def verify(path: Path, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walks the chain from the first line. anchor (N, hash): entry N must still hash to it."""
    expected = GENESIS
    count = 0
    with open(path, "rb") as handle:
        for count, line in enumerate(_lines(handle), start=1):
            problem = _line_problem(line, expected)
            if problem:
                return Verdict(count - 1, expected, f"line {count}: {problem}")
            expected = hashlib.sha256(line).hexdigest()
            if anchor and anchor[0] == count and anchor[1] != expected:
                return Verdict(count, expected, f"line {count}: its hash is {expected}, not the anchor's "
                                                f"{anchor[1]} (this line or one before it was rewritten)")
    if anchor and anchor[0] > count:
        return Verdict(count, expected, f"the log has {count} entries, fewer than the anchor's {anchor[0]} "
                                        f"(lines were cut off its end)")
    return Verdict(count, expected, None)


def _lines(handle):
    for raw in handle:
        yield raw[:-1] if raw.endswith(b"\n") else raw


def _line_problem(line: bytes, expected_prev: str) -> str | None:
    entry = _entry(line)
    if entry is None:
        return "not a JSON entry"
    if entry.get("prev") != expected_prev:
        return ("its prev hash does not match the line before it (a line was changed, removed, "
                "inserted or moved here or just before)")
    return None


def _entry(line: bytes) -> dict | None:
    try:
        entry = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


TAIL_VALUE_CHARS = 300


def tail(path: Path, count: int) -> list[str]:
    """The last `count` entries as plain text, one per line; every value JSON-escaped, so no text a
    person typed can carry a newline or a terminal control sequence to the reader's screen."""
    with open(path, "rb") as handle:
        last = collections.deque(enumerate(_lines(handle), start=1), maxlen=count)
    return [_as_text(number, line) for number, line in last]


def _as_text(number: int, line: bytes) -> str:
    entry = _entry(line)
    if entry is None:
        return f"line {number}: not a JSON entry: {_shown(line.decode('utf-8', 'backslashreplace'))}"
    head = " ".join(_shown(entry.get(key, "?"), quoted=False) for key in ("at", "who", "event"))
    rest = " ".join(f"{key}={_shown(value)}" for key, value in entry.items() if key not in RESERVED)
    return f"{head} {rest}".rstrip()


def _shown(value, quoted: bool = True) -> str:
    plain = not quoted and isinstance(value, str) and value.isascii() and value.isprintable() \
        and value and " " not in value
    text = value if plain else json.dumps(value, ensure_ascii=True)
    if len(text) > TAIL_VALUE_CHARS:
        text = f"{text[:TAIL_VALUE_CHARS]}... ({len(text):,} chars)"
    return text


# -- python -m dashboard audit ---------------------------------------------------------------------

def add_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the `audit` command (verify, tail) to cli.py's subparsers."""
    parser = subparsers.add_parser("audit", help="check or read the audit trail",
                                   description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="audit_command", required=True)
    check = actions.add_parser("verify", help="check the hash chain; exit 1 naming the first bad line")
    check.add_argument("--anchor", default=None, metavar="N:HASH",
                       help="an entry number and hash printed by an earlier verify: proves nothing up to it "
                            "was rewritten")
    show = actions.add_parser("tail", help="print the last entries as plain text")
    show.add_argument("-n", type=int, default=20, metavar="N", help="entries to print (default 20)")
    for action in (check, show):
        action.add_argument("--log", type=Path, default=None,
                            help="audit log (default $DASHBOARD_AUDIT_LOG or audit.log beside the store)")
    return parser


def main(args: argparse.Namespace) -> int:
    path = args.log or config.audit_path()
    anchor = None
    if args.audit_command == "verify" and args.anchor is not None:
        anchor = _parse_anchor(args.anchor)
        if anchor is None:
            print(f"--anchor must be N:HASH as verify printed it (an entry number and a 64-digit hash), "
                  f"not {args.anchor!r}", file=sys.stderr)
            return 2
    if args.audit_command == "tail" and args.n < 1:
        print("-n must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.audit_command == "tail":
            for text in tail(path, args.n):
                print(text)
            return 0
        verdict = verify(path, anchor)
    except OSError as exc:
        missing = "no audit log there (nothing recorded yet, or --log names the wrong file)"
        reason = missing if exc.errno == errno.ENOENT else _reason(exc)
        print(f"the audit log at {path} cannot be read: {reason}", file=sys.stderr)
        return 2
    if verdict.problem:
        print(f"{path}: {verdict.problem}; the {verdict.entries} entries before it are intact", file=sys.stderr)
        return 1
    print(f"{verdict.entries} entries, chain intact")
    if verdict.entries:
        print(f"anchor {verdict.entries}:{verdict.last_hash} (keep it off this server; "
              f"`audit verify --anchor` with it later proves nothing up to here was rewritten)")
    return 0


def _parse_anchor(text: str) -> tuple[int, str] | None:
    number, _, digest = text.strip().partition(":")
    digest = digest.lower()
    if not number.isdigit() or int(number) < 1 or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
        return None
    return int(number), digest
