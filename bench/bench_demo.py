"""Demo build time and store size, the share of it spent recording the store's coverage (what
every publish writes so figures without inputs say "no data"), and overview query times, at
several sizes.

    python bench/bench_demo.py [--sizes 1000000 10000000] [--out /tmp/bench]

Times are wall-clock on this machine; compare sizes within one run (the machine is shared)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from dashboard import catalogue, config, coverage, demo, filters, store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=None, help="folder for the stores (default: a temp folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-"))
    cat = catalogue.load(config.queries_dir())
    print(f"{'interactions':>12} {'build s':>8} {'size MB':>8} {'coverage s':>10}  "
          "overview queries (s, default period / whole year + team)")
    for size in args.sizes:
        path = out / f"demo-{size}.duckdb"
        started = time.perf_counter()
        demo.build(path, interactions=size, seed=42, progress=False)
        build_s = time.perf_counter() - started
        with duckdb.connect(str(path.resolve())) as con:   # again, alone: its share of the build
            started = time.perf_counter()
            coverage.record(con)
            coverage_s = time.perf_counter() - started
        with store.open_read_only(path) as con:
            choices = filters.read_choices(con)
            scopes = [choices.defaults(), filters.Filters(choices.first_day, choices.last_day,
                                                          team=choices.teams_at(None)[0])]
            timings = []
            for query in cat.for_page("overview"):
                for scope in scopes:
                    t = time.perf_counter()
                    catalogue.execute(con, query, scope.as_params())
                    timings.append(f"{query.name.removeprefix('overview_')}={time.perf_counter() - t:.2f}")
        print(f"{size:>12,} {build_s:>8.1f} {path.stat().st_size / 1e6:>8.0f} {coverage_s:>10.2f}  "
              f"{' '.join(timings)}", flush=True)
        path.unlink()


if __name__ == "__main__":
    main()
