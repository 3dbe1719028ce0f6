"""The mapping keys of issue 9, each on a small export written here and imported into a new store:
conditions (drop_rows, keep_rows, when, only_if), keys from several columns, value maps, cap, bands,
scale, after, typed defaults, folding aggregates with order_by, contacts_per_row, and the mapping
mistakes each key can hold. Expected values come from the file read with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from dashboard import importer, mapping, store

TEAMS = {"rows": "distinct", "columns": {"team_name": {"constant": "Alpha"}, "site": {"constant": "Here"},
                                         "manager_name": {"constant": "Ann"}}}
TOUCHPOINTS = {"rows": "distinct", "columns": {
    "touchpoint_name": {"constant": "Billing"}, "owner_unit": {"constant": "Billing"},
    "sla_name": {"constant": "20 s"}, "sla_seconds": {"constant": 20}, "sla_measure": {"constant": "wait_s"}}}
CALL_COLUMNS = {"interaction_id": "id", "team_name": {"constant": "Alpha"}, "touchpoint_name": {"constant": "Billing"},
                "channel": {"constant": "phone"}, "queued_at": "queued", "abandoned": {"constant": False}}


def mapping_file(tmp_path: Path, columns: dict | None = None, source: dict | None = None,
                 tables: dict | None = None, **interactions) -> Path:
    """A mapping feeding interactions from a file with `id` and `queued` (plus the columns given; None
    leaves one out), one team and one touchpoint; `interactions` are keys of the interactions table."""
    fields = dict(CALL_COLUMNS)
    for key, value in (columns or {}).items():
        fields.pop(key) if value is None else fields.__setitem__(key, value)
    doc = {"source": source or {}, "tables": {"teams": TEAMS, "touchpoints": TOUCHPOINTS,
                                              "interactions": {**interactions, "columns": fields}, **(tables or {})}}
    path = tmp_path / "calls.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def data_file(tmp_path: Path, name: str, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
    return path


def records(path: Path, delimiter: str = ",") -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def import_into(tmp_path: Path, data: Path | list[Path], rules: Path) -> tuple[Path, importer.Report]:
    db = tmp_path / "store.duckdb"
    report = importer.run(data if isinstance(data, list) else [data], mapping.load(rules), db)
    return db, report


def rows_of(db: Path, sql: str) -> list[tuple]:
    with store.open_read_only(db) as con:
        return con.sql(sql).fetchall()


def rejection(tmp_path: Path, data: Path, rules: Path) -> str:
    db = tmp_path / "never.duckdb"
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run([data], mapping.load(rules), db)
    assert not db.exists()
    return rejected.value.report.text()


def import_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "import", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def stable_id(*cells: str) -> int:
    """The spec's key id: the first 62 bits of the MD5 of the cells joined with \\x1f."""
    return int.from_bytes(hashlib.md5("\x1f".join(cells).encode("utf-8")).digest()[:8], "big") >> 2


def seconds(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


# -- default: read as the store column's type -----------------------------------------------------

def test_a_default_on_a_timestamp_column_is_a_timestamp_not_a_traceback(tmp_path):
    # before issue 9 this raised polars' "casting from string to datetime is not supported"
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "answered"],
                     [["1", "2024-03-05 09:00:00", "2024-03-05 09:00:10"], ["2", "2024-03-05 10:00:00", ""]])
    rules = mapping_file(tmp_path, {"answered_at": {"column": "answered", "default": "2024-03-05 12:00:00"}})
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, "select interaction_id, answered_at from interactions order by 1") == [
        (1, dt.datetime(2024, 3, 5, 9, 0, 10)), (2, dt.datetime(2024, 3, 5, 12, 0, 0))]


@pytest.mark.parametrize("column, default, expected", [
    ("resolved", "true", True),
    ("transfers", "0", 0),
    ("exception_amount", "12.5", 12.5),
    ("decided_at", "2024-03-06 08:00:00", dt.datetime(2024, 3, 6, 8, 0)),
    ("channel", "chat", "chat"),
])
def test_defaults_of_every_type_fill_missing_cells_only(tmp_path, column, default, expected):
    data = data_file(tmp_path, "calls.csv", ["id", "queued", "cell"],
                     [["1", "2024-03-05 09:00:00", ""], ["2", "2024-03-05 10:00:00", "?"]])
    rules = mapping_file(tmp_path, {column: {"column": "cell", "default": default}})
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, f"select {column} from interactions order by interaction_id") == [(expected,), (expected,)]


def test_a_date_default_on_a_date_column(tmp_path):
    data = data_file(tmp_path, "agents.csv", ["name", "hired", "left"],
                     [["Ann", "2023-01-02", ""], ["Bob", "2023-02-01", "2024-01-31"]])
    doc = {"tables": {"teams": TEAMS, "agents": {"columns": {
        "agent_name": "name", "team_name": {"constant": "Alpha"}, "hired_on": "hired", "authority_limit": {"constant": 0},
        "left_on": {"column": "left", "default": "2099-12-31"}}}}}
    rules = tmp_path / "agents.yaml"
    rules.write_text(yaml.safe_dump(doc))
    db, _ = import_into(tmp_path, data, rules)
    assert rows_of(db, "select agent_name, left_on from agents order by 1") == [
        ("Ann", dt.date(2099, 12, 31)), ("Bob", dt.date(2024, 1, 31))]
