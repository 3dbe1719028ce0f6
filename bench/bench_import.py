"""Import speed: the PwC sample repeated to N calls (new call ids), imported with the shipped
mapping into a new store, then appended again (every row already present), and the swap alone.

    python bench/bench_import.py [--sizes 100000 1000000]

Times are wall-clock on this machine; compare sizes within one run (the machine is shared)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard import importer, mapping  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "pwc_call_centre_trends.csv"
MAPPING = ROOT / "data" / "mappings" / "pwc_call_centre.yaml"


def export_of(size: int, folder: Path) -> Path:
    sample = pl.read_csv(SAMPLE, infer_schema=False)
    copies = -(-size // sample.height)
    rows = pl.concat([sample] * copies).head(size)
    rows = rows.with_columns(pl.format("ID{}", pl.int_range(1, size + 1)).alias("Call Id"))
    path = folder / f"calls-{size}.csv"
    rows.write_csv(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    rules = mapping.load(MAPPING)
    print(f"{'calls':>10} {'replace s':>10} {'calls/s':>10} {'append s':>9} {'file MB':>8}")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        for size in args.sizes:
            source = export_of(size, Path(scratch))
            db = Path(scratch) / f"store-{size}.duckdb"
            started = time.perf_counter()
            importer.run([source], rules, db)
            replace_s = time.perf_counter() - started
            started = time.perf_counter()
            report = importer.run([source], rules, db, mode="append")
            append_s = time.perf_counter() - started
            assert report.inserted["interactions"] == 0
            print(f"{size:>10,} {replace_s:>10.1f} {size / replace_s:>10,.0f} {append_s:>9.1f} "
                  f"{source.stat().st_size / 1e6:>8.0f}")


if __name__ == "__main__":
    main()
