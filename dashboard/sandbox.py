"""Untrusted SQL runs in a worker process of its own, under limits the operating system enforces.

guard.run() checks the text and interrupts it at the time limit; but DuckDB looks for the interrupt
only between its steps (one levenshtein() over two 200,000-character strings runs for a minute
without looking), and whatever memory a query takes is the server's. So the SQL lab and
`python -m dashboard sql` call `run()` here, which:

- starts a fresh Python (`python -I`, with a bare environment: the server's variables are not
  passed on) that sets its own limits before it reads the store: an address-space limit
  (RLIMIT_AS, $DASHBOARD_SQL_MEMORY_MB) and a CPU-time limit (RLIMIT_CPU: the time limit on each
  of DuckDB's WORKER_THREADS threads, plus start-up). DuckDB's own memory_limit is half the
  process limit, so DuckDB usually fails first with its own "Out of Memory" message; the
  operating system's limit is there for what DuckDB does not count. The CPU limit holds even when
  the server that started the worker is gone;
- kills the worker when it has not answered within the time limit plus GRACE_S;
- brings back at most the byte cap (guard's max_bytes, $DASHBOARD_SQL_RESULT_MB) of rows, and
  reads no more than that from the worker;
- runs at most $DASHBOARD_SQL_WORKERS workers at once; a query that finds them all busy for the
  whole time limit is told so.

The worker answers with one JSON line (the outcome without its rows) followed by the rows as Arrow
IPC bytes: nothing from the worker is unpickled. Each worker runs one query and exits, so nothing
one query does can reach the next.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dashboard import config, guard, store

ROOT = Path(__file__).resolve().parent.parent

MEMORY_ENV = "DASHBOARD_SQL_MEMORY_MB"      # the worker's address-space limit
RESULT_ENV = "DASHBOARD_SQL_RESULT_MB"      # bytes of rows a result may bring back
WORKERS_ENV = "DASHBOARD_SQL_WORKERS"       # workers running at once
DEFAULT_MEMORY_MB = 2048
MIN_MEMORY_MB = 512                         # below this Python and DuckDB cannot even start
DEFAULT_WORKERS = 2
WORKER_THREADS = 2                          # DuckDB threads per worker: one query takes two cores at most
GRACE_S = 1.0                               # after the time limit, the interrupt's chance before the kill
START_CPU_S = 3.0                           # CPU seconds for starting Python and opening the store
HEADER_BYTES = 1 * 2**20                    # the JSON line's size at most (a message may quote the SQL)
POLL_S = 0.02
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    memory_bytes: int = DEFAULT_MEMORY_MB * 2**20
    max_rows: int = guard.DEFAULT_ROW_CAP
    max_bytes: int = guard.DEFAULT_BYTE_CAP

    @classmethod
    def from_env(cls, timeout_s: float | None = None, max_rows: int = guard.DEFAULT_ROW_CAP) -> Limits:
        """The limits the server's settings give. Raises ValueError naming a malformed setting."""
        timeout = guard.timeout_from_env() if timeout_s is None else float(timeout_s)
        memory = config.number_from_env(MEMORY_ENV, DEFAULT_MEMORY_MB, MIN_MEMORY_MB, "megabytes")
        result = config.number_from_env(RESULT_ENV, guard.DEFAULT_BYTE_CAP / 2**20, 0.001, "megabytes")
        return cls(timeout, int(memory * 2**20), max_rows, int(result * 2**20))

    @property
    def cpu_seconds(self) -> int:
        return math.ceil(self.timeout_s * WORKER_THREADS + START_CPU_S)

    @property
    def duckdb_memory(self) -> str:
        return f"{self.memory_bytes // 2 // 2**20}MB"


def run(store_path: str | os.PathLike, sql: str, params: Mapping[str, object] | None,
        limits: Limits) -> guard.Outcome:
    """guard.run() in a worker process under `limits`. Never raises for anything the SQL does.
    The outcome's peak_memory_bytes is the worker's peak resident memory."""
    started = time.perf_counter()
    slots = _slots()
    if not slots.acquire(timeout=limits.timeout_s):
        return guard.Outcome("busy", f"The server is running {_worker_count()} other queries and none finished "
                             f"within {limits.timeout_s:g} s. Try again in a moment.",
                             seconds=time.perf_counter() - started)
    try:
        return _in_worker(Path(store_path), sql, dict(params or {}), limits, started)
    finally:
        slots.release()


# -- the server's side --------------------------------------------------------------------------------

def _in_worker(path: Path, sql: str, params: dict, limits: Limits, started: float) -> guard.Outcome:
    request = pickle.dumps({"path": str(path), "sql": sql, "params": params, "limits": limits})
    spawned = time.perf_counter()
    boot = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from dashboard.sandbox import worker_main; worker_main()"
    worker = subprocess.Popen(
        [sys.executable, "-I", "-c", boot],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment(),
        start_new_session=True)   # Ctrl-C in a terminal reaches the CLI, which stops the worker itself
    out, err = _Drain(worker.stdout, _reply_cap(limits)), _Drain(worker.stderr, 64 * 2**10)
    killed = False
    try:
        try:
            worker.stdin.write(request)
            worker.stdin.close()
        except BrokenPipeError:
            pass   # the worker died at start; its exit status says why
        # the time limit runs from the worker's start, not from the wait for a free worker
        status, peak = _wait(worker, spawned + limits.timeout_s + GRACE_S, out)
        if status is None:
            killed = True
            status = _kill(worker)
    except BaseException:
        _kill(worker)
        raise
    out.join()
    err.join()
    seconds = time.perf_counter() - started
    if killed and not out.overflowed:
        return guard.Outcome("timeout", guard.timeout_message(limits.timeout_s), seconds=seconds,
                             peak_memory_bytes=peak)
    return _outcome(out, err, status, limits, seconds, peak)


def _outcome(out: _Drain, err: _Drain, status: int, limits: Limits, seconds: float,
             peak: int | None) -> guard.Outcome:
    if out.overflowed:
        return guard.Outcome("error", f"The result was larger than the {guard.megabytes(limits.max_bytes)} a query may bring "
                             "back. Select fewer or shorter columns, or aggregate.", seconds=seconds,
                             peak_memory_bytes=peak)
    data = out.data()
    header, _, rows = data.partition(b"\n")
    if status != 0 or not header:
        return guard.Outcome(*_death(status, err.data(), limits), seconds=seconds, peak_memory_bytes=peak)
    reply = json.loads(header)
    frame = pl.read_ipc_stream(io.BytesIO(rows)) if reply.pop("has_rows") else None
    reply["peak_memory_bytes"] = max(reply["peak_memory_bytes"] or 0, peak or 0) or None
    return guard.Outcome(**reply, frame=frame, seconds=seconds)


def _death(status: int, stderr: bytes, limits: Limits) -> tuple[str, str]:
    """(kind, message) for a worker that ended without answering."""
    if status in (-signal.SIGXCPU, -signal.SIGKILL):
        return "timeout", (f"Stopped: the query used up its {limits.cpu_seconds} s of processor time. "
                           + guard.timeout_message(limits.timeout_s).split(". ", 1)[1])
    log.warning("SQL worker ended with status %s: %s", status, stderr.decode(errors="replace")[-4000:])
    return "error", (f"Stopped: the query needed more than the {guard.megabytes(limits.memory_bytes)} of memory a query may "
                     "use. Narrow it: filter on a period or a team, aggregate with GROUP BY, or select fewer "
                     "columns.")


def _wait(worker: subprocess.Popen, deadline: float, out: _Drain) -> tuple[int | None, int | None]:
    """(exit status, peak resident bytes seen) once the worker ends; (None, peak) at the deadline
    or when it writes more than it may. The peak is the kernel's high-water mark of the worker's own
    memory (VmHWM), read while it runs: the rusage of a child would count the server's memory it
    was forked from."""
    peak = None
    while True:
        seen = _high_water_mark(worker.pid)
        peak = max(peak or 0, seen) if seen else peak
        if worker.poll() is not None:
            return worker.returncode, peak
        if time.perf_counter() >= deadline or out.overflowed:
            return None, peak
        time.sleep(POLL_S)


def _kill(worker: subprocess.Popen) -> int:
    if worker.returncode is None:
        worker.kill()
    return worker.wait()


def _high_water_mark(pid: int | str) -> int | None:
    """A process's peak resident memory in bytes (Linux's VmHWM), or None once it has ended."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


class _Drain:
    """Reads a pipe on a thread of its own, keeping at most `cap` bytes (more sets `overflowed`)."""

    def __init__(self, pipe, cap: int):
        self.pipe, self.cap = pipe, cap
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflowed = False
        self.thread = threading.Thread(target=self._read, daemon=True, name="sql-worker-pipe")
        self.thread.start()

    def _read(self) -> None:
        with self.pipe:
            while chunk := self.pipe.read1(1 << 16):
                if self.size + len(chunk) > self.cap:
                    self.overflowed = True
                    return
                self.chunks.append(chunk)
                self.size += len(chunk)

    def join(self) -> None:
        self.thread.join()

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _reply_cap(limits: Limits) -> int:
    # Arrow's framing adds a little to the rows' own bytes; the worker already kept to max_bytes
    return HEADER_BYTES + limits.max_bytes + limits.max_bytes // 8 + 2**20


def _environment() -> dict[str, str]:
    kept = {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}
    # glibc reserves 64 MB of address space per thread arena; two keep the worker's limit for data
    return {**kept, "MALLOC_ARENA_MAX": "2"}


_slots_lock = threading.Lock()
_slots_made: tuple[int, threading.BoundedSemaphore] | None = None


def _worker_count() -> int:
    text = os.environ.get(WORKERS_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_WORKERS


def _slots() -> threading.BoundedSemaphore:
    global _slots_made
    with _slots_lock:
        count = _worker_count()
        if _slots_made is None or _slots_made[0] != count:
            _slots_made = (count, threading.BoundedSemaphore(count))
        return _slots_made[1]


# -- the worker's side --------------------------------------------------------------------------------

def worker_main() -> None:
    """The worker process: limits first, then the store, guard.run, the answer on stdout."""
    request = pickle.load(sys.stdin.buffer)   # from the server that started this process
    limits: Limits = request["limits"]
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    try:
        con = store.open_read_only(request["path"], memory_limit=limits.duckdb_memory, threads=WORKER_THREADS)
    except store.StoreUnreadable as exc:
        _answer(guard.Outcome("error", str(exc)))
    try:
        outcome = guard.run(con, request["sql"], request["params"], timeout_s=limits.timeout_s,
                            max_rows=limits.max_rows, max_bytes=limits.max_bytes)
    except MemoryError:
        outcome = guard.Outcome("error", f"Stopped: the query needed more than the "
                                f"{guard.megabytes(limits.memory_bytes)} of memory a query may use.")
    _answer(outcome)


def _answer(outcome: guard.Outcome) -> None:
    rows = b""
    if outcome.frame is not None:
        buffer = io.BytesIO()
        outcome.frame.write_ipc_stream(buffer)
        rows = buffer.getvalue()
    header = {"kind": outcome.kind, "message": outcome.message, "total_rows": outcome.total_rows,
              "truncated": outcome.truncated, "has_rows": outcome.frame is not None,
              "peak_memory_bytes": _high_water_mark("self")}
    sys.stdout.buffer.write(json.dumps(header).encode() + b"\n" + rows)
    sys.stdout.buffer.flush()
    os._exit(0)   # no teardown: the answer is out, and DuckDB's shutdown would only spend time
