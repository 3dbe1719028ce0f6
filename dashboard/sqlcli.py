"""`python -m dashboard sql "QUERY"`: an analyst's SQL from a terminal, through the same guarded
path as the SQL lab page (dashboard/guard.py): one SELECT, read-only, a time limit, a row cap.

The result goes to stdout (an aligned table, CSV or JSON) and a one-line summary ("first 10,000
rows of 1,234,567") to stderr. A refusal, a database error or the time limit goes to stderr with
nothing on stdout.

Exit codes: 0 the query ran; 1 refused, failed in the database or stopped at the time limit;
2 bad arguments (an unknown filter value, a missing store file...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import polars as pl

from dashboard import (
    catalogue,
    config,
    filters,
    guard,
    safe_text,
    sandbox,
    scopes,
    store,
)

FORMATS = ("table", "csv", "json")

EPILOG = f"""\
parameters: the query may use any of
  $date_from, $date_to   the period, inclusive (DATE; --from/--to, default: all the store's days)
  $site, $team, $channel, $touchpoint
                         a name, or NULL for all (--site, --team, --channel, --touchpoint)
{chr(10).join(f"  ${name:<21} {text} (--param {name}=VALUE, default {default})"
              for name, (text, default) in catalogue.PAGE_PARAMS.items())}
Only those the query uses are bound (by DuckDB, never pasted into the text).

limits: one SELECT statement; no files, settings, extensions or writes; run in a worker
process of its own, stopped after --timeout seconds (default ${guard.TIMEOUT_ENV} or
{guard.DEFAULT_TIMEOUT_S}) and at ${sandbox.MEMORY_ENV} megabytes of memory (default {sandbox.DEFAULT_MEMORY_MB});
at most --max-rows rows (default {guard.DEFAULT_ROW_CAP:,}) and ${sandbox.RESULT_ENV} megabytes
(default {guard.DEFAULT_BYTE_CAP // 2**20}) come back, with the total counted when there are more.

exit codes: 0 ran; 1 refused, database error or time limit (message on stderr); 2 bad arguments.

examples:
  python -m dashboard sql 'select team_name, count(*) as contacts
      from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)
      group by team_name order by contacts desc' --from 2025-03-01 --to 2025-05-31
  python -m dashboard sql 'select * from agents join teams using (team_id) where team_name = $team' \\
      --team Aurora --format csv
  python -m dashboard sql - --format json < my_query.sql
(single quotes keep the shell from expanding $names)
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the `sql` command to cli.py's subparsers."""
    parser = subparsers.add_parser(
        "sql", help="run one read-only SELECT against the store (the SQL lab's guarded path)",
        description=__doc__.split("\n\n")[0], epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("query", help='the SQL text, or "-" to read it from stdin')
    parser.add_argument("--db", type=Path, default=None, help="store file (default $DASHBOARD_DB or data/store.duckdb)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help=f"time limit in seconds (default ${guard.TIMEOUT_ENV} or {guard.DEFAULT_TIMEOUT_S})")
    parser.add_argument("--max-rows", type=int, default=guard.DEFAULT_ROW_CAP, metavar="N",
                        help=f"rows to fetch at most (default {guard.DEFAULT_ROW_CAP:,})")
    parser.add_argument("--from", dest="date_from", metavar="DATE", default=None,
                        help="$date_from, e.g. 2025-03-01 (default: the store's first day)")
    parser.add_argument("--to", dest="date_to", metavar="DATE", default=None,
                        help="$date_to, inclusive (default: the store's last day)")
    for name in ("site", "team", "channel", "touchpoint"):
        parser.add_argument(f"--{name}", default=None, metavar="NAME", help=f"${name} (default NULL: all)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a page parameter, e.g. grant_limit=500 (repeatable)")
    return parser


def main(args: argparse.Namespace) -> int:
    sql = sys.stdin.read() if args.query == "-" else args.query
    if args.timeout is not None and not args.timeout > 0:
        return _fail("--timeout must be a positive number of seconds", 2)
    if args.max_rows < 1:
        return _fail("--max-rows must be at least 1", 2)
    try:
        limits = sandbox.Limits.from_env(args.timeout, args.max_rows)
    except ValueError as exc:
        return _fail(str(exc), 2)
    path = args.db or config.store_path()
    if not Path(path).exists():
        return _fail(f"No store at {path}. Build the demo with `python -m dashboard demo`, "
                     "point --db at a store file or set DASHBOARD_DB.", 2)
    try:
        # the lab's store: agent surveys only as groups of enough respondents, like the SQL lab page
        path = scopes.store_for(path, scopes.EVERYTHING, "lab")
        con = store.open_read_only(path)
    except store.StoreUnreadable as exc:   # says what is wrong and what to do in its own words
        return _fail(str(exc), 2)
    except Exception as exc:  # not a DuckDB file, locked by a writer...
        return _fail(f"Cannot open the store at {path}: {exc}", 2)
    try:
        values = _parameters(args, filters.read_choices(con))
    except ValueError as exc:
        return _fail(str(exc), 2)
    finally:
        con.close()
    outcome = sandbox.run(path, sql, values, limits)
    if not outcome.ok:
        return _fail(outcome.message, 1)
    sys.stdout.write(_render(outcome.frame, args.format))
    print(f"{outcome.message} in {outcome.seconds:.2f} s", file=sys.stderr)
    return 0


def _parameters(args: argparse.Namespace, choices: filters.Choices) -> dict:
    """The values on offer: the global filters (checked against the store) and page parameters."""
    def date(text: str | None, default: dt.date, flag: str) -> dt.date:
        if text is None:
            return default
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{flag} {text!r} is not a date like 2025-03-01") from None

    date_from = date(args.date_from, choices.first_day, "--from")
    date_to = date(args.date_to, choices.last_day, "--to")
    if problem := filters.reversed_period(date_from, date_to, "--from", "--to"):
        raise ValueError(problem)
    known = {"site": choices.sites, "team": tuple(choices.teams), "channel": choices.channels,
             "touchpoint": choices.touchpoints}
    for name, names in known.items():
        value = getattr(args, name)
        if value is not None and value not in names:
            raise ValueError(f"--{name} {value!r} names nothing in the store; choose one of: {', '.join(names)}")
    chosen = filters.Filters(date_from, date_to, args.site, args.team, args.channel, args.touchpoint)
    return filters.bound_values(chosen, dict(_page_param(item) for item in args.param))


def _page_param(item: str) -> tuple[str, object]:
    """--param NAME=VALUE as (control key, value), read and checked by the control that sets the
    parameter in the app (filters.CONTROLS), so a value the app's link refuses is refused here too."""
    name, sep, text = item.partition("=")
    name = name.strip().removeprefix("$")
    control = filters.CONTROL_OF_PARAM.get(name)
    if not sep or control is None:
        raise ValueError(f"--param {item!r}: expected NAME=VALUE with NAME one of: {', '.join(catalogue.PAGE_PARAMS)} "
                         "(the filters have their own flags: --from, --to, --site, --team, --channel, --touchpoint)")
    try:
        return control.key, control.read(text.strip())
    except ValueError:
        raise ValueError(f"--param {name}: {text!r} is not {control.accepted()}") from None


def _render(frame: pl.DataFrame, form: str) -> str:
    if form == "csv":
        return safe_text.to_csv(frame)
    if form == "json":
        return frame.write_json() + "\n"
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=65_000, fmt_str_lengths=1_000,
                   tbl_hide_dataframe_shape=True, fmt_table_cell_list_len=-1):
        return f"{frame}\n"


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code
