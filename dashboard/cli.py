"""Command line: python -m dashboard demo | import | mapping draft | sql | snapshot | check | audit | serve | bench."""

from __future__ import annotations

import argparse
import errno
import sys
import time
from pathlib import Path

import duckdb

from dashboard import audit, bench, config, drafting, serving, snapshot, sqlcli, store


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
    snapshot.add_parser(commands)
    audit.add_parser(commands)
    serving.add_parser(commands)
    bench.add_parser(commands)

    check = commands.add_parser("check", help="validate every query file in queries/")
    check.add_argument("--queries", type=Path, default=None, help="query folder (default queries/)")

    args = parser.parse_args(argv)
    if args.command == "import" and args.rejects and not args.skip_bad_rows:
        load.error("--rejects goes with --skip-bad-rows (without it, any bad row stops the import)")
    if args.command in ("demo", "import"):
        try:
            return _demo(args) if args.command == "demo" else _import(args)
        except KeyboardInterrupt:   # Ctrl-C: the unfinished version is discarded (store.discard)
            print(f"\n{args.command} interrupted; the store at {args.db or config.store_path()} is as it was",
                  file=sys.stderr)
            return 130
    if args.command == "mapping":
        return drafting.main(args)
    if args.command == "sql":
        return _reading_store(lambda: sqlcli.main(args), args.db or config.store_path())
    if args.command == "snapshot":
        return _reading_store(lambda: snapshot.main(args), args.db or config.store_path())
    if args.command == "audit":
        return audit.main(args)
    if args.command == "serve":
        return serving.main(args)
    if args.command == "bench":
        return bench.main(args)
    if args.command == "check":
        from dashboard import check as checker
        folder = args.queries or config.queries_dir()
        if not folder.is_dir():   # else "0 query files checked, 0 with errors" passes a typo
            print(f"{folder} is not a folder of query files; name one with --queries or DASHBOARD_QUERIES",
                  file=sys.stderr)
            return 2
        return _reading_store(lambda: checker.main(folder), None)
    return 2


def _reading_store(command, path: Path | None) -> int:
    """Runs a command that reads a store; a store that opens but cannot be read through (cut short
    on disk) or a file the system refuses is one paragraph and exit 2, never a traceback."""
    try:
        return command()
    except store.StoreUnreadable as exc:
        print(_paragraph(str(exc)), file=sys.stderr)
    except duckdb.IOException as exc:
        print(_paragraph(str(store.unreadable(path or "in use", exc))), file=sys.stderr)
    except OSError as exc:
        print(_paragraph(f"{exc.filename or path}: {exc.strerror or exc}"), file=sys.stderr)
    return 2


def _demo(args: argparse.Namespace) -> int:
    from dashboard import demo

    if args.interactions < 1:
        print("--interactions must be at least 1", file=sys.stderr)
        return 2
    path = args.db or config.store_path()
    if args.if_missing and path.exists():
        try:
            with store.open_read_only(path) as con:
                outdated = store.schema_problems(con)
        except (store.StoreUnreadable, duckdb.IOException):
            outdated = None
            print(f"{path} cannot be read (truncated, not a store, or a folder); rebuilding it")
        if outdated == []:
            print(f"{path} exists; leaving it as it is")
            return 0
        if outdated:
            print(f"{path} was built by an older version (it lacks {', '.join(outdated)}); rebuilding it")
    started = time.perf_counter()
    try:
        demo.build(path, interactions=args.interactions, seed=args.seed, progress=True)
    except (OSError, duckdb.Error) as exc:   # a folder it may not write, a full disk...
        print(_paragraph(f"the demo store was not built, {path} is as it was: {_write_fault(path, exc)}"),
              file=sys.stderr)
        return 1
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
    except (mapping.MappingError, sources.SourceError, importer.RejectsNotWritable, store.StoreUnreadable) as exc:
        print(_paragraph(f"import failed, the store is unchanged: {exc}"), file=sys.stderr)
        return 1
    except (OSError, duckdb.IOException) as exc:   # a folder it may not write, a full disk...
        print(_paragraph(f"import failed, the store at {args.db or config.store_path()} is unchanged: "
                         f"{_write_fault(args.db or config.store_path(), exc)}"), file=sys.stderr)
        return 1
    except Exception as exc:   # noqa: BLE001 - whatever a mapping or file holds, a sentence and no traceback
        named = ", ".join(str(f) for f in args.files)
        print(_paragraph(f"import of {named} with {args.mapping} failed, the store is unchanged: "
                         f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    print(report.text())
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


# what to do about the faults a write meets most
WRITE_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space and run it again",
    errno.EDQUOT: "the disk quota is used up: free some space and run it again",
    errno.EACCES: "this user may not write there: fix the folder's permissions or choose another --db",
    errno.EPERM: "this user may not write there: fix the folder's permissions or choose another --db",
    errno.EROFS: "the file system is read-only: choose another --db",
    errno.ENOTDIR: "part of the path is a file, not a folder: choose another --db",
    errno.EEXIST: "part of the path is a file, not a folder: choose another --db",
    errno.ENOENT: "a folder on the path does not exist or cannot be created there: choose another --db",
}


def _write_fault(path: Path, exc: BaseException) -> str:
    """The file a write was refused and why, with what to do, in one sentence."""
    if isinstance(exc, OSError) and exc.errno in WRITE_ADVICE:
        return f"writing {exc.filename or path} failed: {WRITE_ADVICE[exc.errno]} ({exc.strerror})"
    if "No space left" in str(exc):   # DuckDB reports its own faults as IOException text
        return f"writing {path} failed: {WRITE_ADVICE[errno.ENOSPC]} ({exc})"
    if isinstance(exc, duckdb.IOException) and "read" in str(exc):   # a store cut short opens, then fails
        return str(store.unreadable(path, exc))
    return f"writing {path} failed: {exc}"


def _paragraph(text: str, limit: int = 600) -> str:
    """A message on one line and of readable length, whatever text a file or mapping put into it."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"
