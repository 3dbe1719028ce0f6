"""What running ad-hoc SQL in a worker process costs: the same lab queries in-process (guard.run on
the app's connection) and through dashboard.sandbox (a fresh worker per query), on a demo store;
and how long a long single function call takes to stop in each.

    python bench/bench_sandbox.py [--interactions 1000000] [--repeat 5]

Times are wall-clock medians on this machine; compare within one run (the machine is shared)."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import catalogue, demo, filters, guard, sandbox, store  # noqa: E402

QUERIES = {
    "one row": "select 1 as one",
    "contacts per team": "select team_name, count(*) as contacts, avg(wait_s) as mean_wait_s "
                         "from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) "
                         "group by team_name order by contacts desc",
    "10,000 rows": "select * from interactions",
}
LONG_CALL = "select levenshtein(repeat('a', 200000), repeat('b', 200000)) as d"


def median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        outcome = run()
        times.append(time.perf_counter() - started)
        assert outcome.kind in ("ok", "timeout"), outcome.message
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = demo.build(Path(tempfile.mkdtemp(prefix="bench-sandbox-")) / "store.duckdb",
                      interactions=args.interactions, seed=42, progress=False)
    con = store.open_read_only(path)
    params = {**filters.read_choices(con).defaults().as_params(), **catalogue.page_param_defaults()}
    limits = sandbox.Limits(timeout_s=10)
    print(f"{args.interactions:,} interactions; median of {args.repeat} runs")
    print(f"{'query':<20} {'in-process s':>12} {'worker s':>9} {'ratio':>6} {'worker peak MB':>15}")
    for name, sql in QUERIES.items():
        inside = median_seconds(lambda sql=sql: guard.run(con, sql, params, timeout_s=10), args.repeat)
        worker = median_seconds(lambda sql=sql: sandbox.run(path, sql, params, limits), args.repeat)
        peak = sandbox.run(path, sql, params, limits).peak_memory_bytes / 2**20
        print(f"{name:<20} {inside:>12.3f} {worker:>9.3f} {worker / inside:>6.1f} {peak:>15.0f}")
    short = sandbox.Limits(timeout_s=3)
    started = time.perf_counter()
    guard.run(con, LONG_CALL, timeout_s=3)
    inside = time.perf_counter() - started
    started = time.perf_counter()
    stopped = sandbox.run(path, LONG_CALL, {}, short)
    worker = time.perf_counter() - started
    print(f"levenshtein over 200,000 characters, 3 s limit: stopped after {inside:.1f} s in-process, "
          f"{worker:.1f} s in the worker ({stopped.kind})")


if __name__ == "__main__":
    main()
