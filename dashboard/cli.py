"""Command line: python -m dashboard demo | import | mapping draft | sql | check."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard import config, drafting, sqlcli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="build the demo contact centre store")
    demo.add_argument("--interactions", type=int, default=1_000_000, help="contacts to generate (default 1,000,000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed; the same seed builds the same store")
    demo.add_argument("--db", type=Path, default=None, help="store file (default $DASHBOARD_DB or data/store.duckdb)")
    demo.add_argument("--if-missing", action="store_true", help="do nothing when the store already exists")

    load = commands.add_parser("import", help="import exports into the store through a mapping file",
                               description="Reads FILE... as the mapping says, checks every row, and swaps a new "
                                           "store in only when all is well (a running app picks it up).")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV, TSV, Parquet or XLSX exports")
    load.add_argument("--mapping", type=Path, required=True, help="mapping file, e.g. data/mappings/pwc_call_centre.yaml")
    load.add_argument("--db", type=Path, default=None, help="store file (default $DASHBOARD_DB or data/store.duckdb)")
    mode = load.add_mutually_exclusive_group()
    mode.add_argument("--replace", dest="mode", action="store_const", const="replace",
                      help="empty the tables the mapping feeds, then fill them (default)")
    mode.add_argument("--append", dest="mode", action="store_const", const="append",
                      help="add rows; rows already in the store (same key) are skipped")
    load.add_argument("--skip-bad-rows", action="store_true",
                      help="import the good rows and write the rejected ones, with the reason and their original "
                           "text, to a rejects file")
    load.add_argument("--dry-run", action="store_true",
                      help="check everything and say what the import would do (rows per table, rejected rows, "
                           "columns filled, KPIs and charts that would say 'no data'); write nothing")
    load.add_argument("--rejects", type=Path, default=None, metavar="PATH",
                      help="with --skip-bad-rows: where the rejects file goes (default: beside the store, named "
                           "after the input, e.g. data/calls.rejects.csv)")

    drafting.add_parser(commands)
    sqlcli.add_parser(commands)

    check = commands.add_parser("check", help="validate every query file in queries/")
    check.add_argument("--queries", type=Path, default=None, help="query folder (default queries/)")

    args = parser.parse_args(argv)
    if args.command == "import" and args.rejects and not args.skip_bad_rows:
        load.error("--rejects goes with --skip-bad-rows (without it, any bad row stops the import)")
    if args.command == "demo":
        return _demo(args)
    if args.command == "import":
        return _import(args)
    if args.command == "mapping":
        return drafting.main(args)
    if args.command == "sql":
        return sqlcli.main(args)
    if args.command == "check":
        from dashboard import check as checker
        return checker.main(args.queries or config.queries_dir())
    return 2


def _demo(args: argparse.Namespace) -> int:
    from dashboard import demo

    if args.interactions < 1:
        print("--interactions must be at least 1", file=sys.stderr)
        return 2
    path = args.db or config.store_path()
    if args.if_missing and path.exists():
        from dashboard import store

        with store.open_read_only(path) as con:
            outdated = store.schema_problems(con)
        if not outdated:
            print(f"{path} exists; leaving it as it is")
            return 0
        print(f"{path} was built by an older version (it lacks {', '.join(outdated)}); rebuilding it")
    started = time.perf_counter()
    demo.build(path, interactions=args.interactions, seed=args.seed, progress=True)
    seconds = time.perf_counter() - started
    size_mb = path.stat().st_size / 1e6
    print(f"built {path}: {args.interactions:,} interactions in {seconds:.1f} s, {size_mb:.0f} MB")
    return 0


def _import(args: argparse.Namespace) -> int:
    from dashboard import importer, mapping, sources

    started = time.perf_counter()
    try:
        rules = mapping.load(args.mapping)
        report = importer.run(args.files, rules, args.db or config.store_path(), mode=args.mode or "replace",
                              skip_bad_rows=args.skip_bad_rows, rejects=args.rejects, dry_run=args.dry_run)
    except importer.ImportRejected as rejected:
        print(rejected.report.text(), file=sys.stderr)
        return 1
    except (mapping.MappingError, sources.SourceError, importer.RejectsNotWritable) as exc:
        print(_paragraph(f"import failed, the store is unchanged: {exc}"), file=sys.stderr)
        return 1
    except Exception as exc:   # noqa: BLE001 - whatever a mapping or file holds, a sentence and no traceback
        named = ", ".join(str(f) for f in args.files)
        print(_paragraph(f"import of {named} with {args.mapping} failed, the store is unchanged: "
                         f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    print(report.text())
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _paragraph(text: str, limit: int = 600) -> str:
    """A message on one line and of readable length, whatever text a file or mapping put into it."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"
