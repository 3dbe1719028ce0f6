"""The attrition page's costs on a demo store, before against after: the customer-churn SQL (DuckDB alone,
two versions of the query file run alternately on one connection, their results compared) and the
retention curves with their figures (cold: built; warm: served from figures.remembered).

    git show 91ff51c:queries/attrition_customer_churn.sql > /tmp/before/attrition_customer_churn.sql
    python bench/bench_attrition.py --db STORE --before /tmp/before/attrition_customer_churn.sql [--repeat 5]

Times are wall-clock medians with the process's CPU time beside them (the machine is shared: compare
within one run)."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import plotly.io as pio  # noqa: E402

from dashboard import catalogue, config, figures, filters, store, survival  # noqa: E402
from dashboard.sections import attrition  # noqa: E402

SCOPES = {
    "default quarter": filters.Filters(dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
    "one team, one month": filters.Filters(dt.date(2025, 10, 1), dt.date(2025, 10, 31), team="Atlas"),
    "whole year": filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
}


def timed(run) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def churn_sql(con, before: Path, repeat: int) -> None:
    now = catalogue.load(config.queries_dir()).get("attrition_customer_churn")
    then = catalogue.load(before.parent).get(before.stem)
    for label, chosen in SCOPES.items():
        values = {**chosen.as_params(), **catalogue.page_param_defaults()}
        times = {"before": [], "after": []}
        results = {}
        for _ in range(repeat):
            for name, query in (("before", then), ("after", now)):
                cursor = con.cursor()
                wall, cpu, results[name] = timed(lambda: cursor.sql(query.sql, params=query.bind(values)).pl())
                times[name].append((wall, cpu))
                cursor.close()
        medians = {name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
                   for name, runs in times.items()}
        print(f"churn SQL, {label}: before {medians['before'][0]:,.0f} ms (CPU {medians['before'][1]:,.0f}), "
              f"after {medians['after'][0]:,.0f} ms (CPU {medians['after'][1]:,.0f}); "
              f"equal: {results['before'].equals(results['after'])}")


def curves(con, repeat: int) -> None:
    query = catalogue.load(config.queries_dir()).get(attrition.TENURE_QUERY)
    chosen = SCOPES["default quarter"]
    tenure = catalogue.execute(con, query, {**chosen.as_params(), **catalogue.page_param_defaults()})

    def page(cold: bool) -> None:
        if cold:
            figures._drawn.clear()
        for split in attrition.SPLITS:
            made = survival.retention(tenure.filter(tenure[split.group].is_not_null()), split.group, split.order,
                                      split.legend, split.reading)
            pio.to_json(made.figure, validate=False)   # as the live app sends it
    page(True)   # imports and first use
    cold = statistics.median(timed(lambda: page(True))[0] for _ in range(repeat))
    warm = statistics.median(timed(lambda: page(False))[0] for _ in range(repeat))
    print(f"retention curves, figures and readings, both splits ({tenure.height} agents): cold {cold:.1f} ms, "
          f"warm {warm:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--before", type=Path, help="an earlier attrition_customer_churn.sql to time against")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    con = store.open_read_only(args.db)
    curves(con, args.repeat)
    if args.before:
        churn_sql(con, args.before, args.repeat)


if __name__ == "__main__":
    main()
