"""The one time limit for DuckDB queries, shared by the SQL lab (guard.py) and the pages
(catalogue.execute): a watchdog thread interrupts the query's cursor once the limit has passed.
DuckDB's interrupt stops the query inside the engine, so no core keeps working after the limit."""

from __future__ import annotations

import threading

import duckdb

INTERRUPT_EVERY_S = 0.1   # after the limit, the watchdog repeats the interrupt this often


class Watchdog:
    """Interrupts the cursor once the time limit has passed, and again every INTERRUPT_EVERY_S until
    the run ends: an interrupt that lands between two statements (the rows, then the count) is
    not lost. `fired` says whether the limit was reached."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, timeout_s: float):
        self.cursor, self.timeout_s = cursor, timeout_s
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="duckdb-time-limit", daemon=True)

    def _watch(self) -> None:
        if self._done.wait(self.timeout_s):
            return
        self.fired = True
        while True:
            try:
                self.cursor.interrupt()
            except duckdb.Error:
                pass
            if self._done.wait(INTERRUPT_EVERY_S):
                return

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
