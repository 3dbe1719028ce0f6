"""Issue 10, item 5: imports never mix sources. --append keeps a contact only when it is new
(its survey answers follow it), an import that changes nothing publishes nothing, and versions
that never finished are removed and never counted as kept versions."""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import PWC_CSV, PWC_MAPPING, ROOT

from dashboard import importer, mapping, store


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def finished_versions(db: Path) -> list[Path]:
    return sorted(p for p in store.versions_dir(db).iterdir() if p.name.endswith(".duckdb"))


# -- versions that never finished ----------------------------------------------------------------

def small_pwc(tmp_path: Path, calls: int) -> Path:
    lines = PWC_CSV.read_text().splitlines()
    small = tmp_path / f"pwc_{calls}.csv"
    small.write_text("\n".join(lines[:calls + 1]) + "\n")
    return small


KILLED_MID_WRITE = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from dashboard import coverage, importer, mapping
# the copy is made and the rows are in, not yet committed or published: the process dies here
coverage.record = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
importer.run([sys.argv[2]], mapping.load(sys.argv[3]), sys.argv[4])
"""


def test_a_version_a_killed_import_left_half_written_is_removed_and_not_counted(tmp_path):
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    for calls in (100, 200, 300):
        importer.run([small_pwc(tmp_path, calls)], rules, db)
        time.sleep(0.01)   # distinct modification times: versions are kept newest first
    current = Path(store.version(db)[0])
    previous = [p for p in sorted(finished_versions(db), key=lambda p: p.stat().st_mtime_ns) if p != current]
    assert len(previous) == 2
    before = set(store.versions_dir(db).iterdir())

    killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(ROOT), str(small_pwc(tmp_path, 350)),
                             str(PWC_MAPPING), str(db)], capture_output=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    left_behind = set(store.versions_dir(db).iterdir()) - before
    assert left_behind   # the killed import's unfinished file (and its write-ahead log)
    assert Path(store.version(db)[0]) == current   # nothing was published

    importer.run([small_pwc(tmp_path, 400)], rules, db)
    now = Path(store.version(db)[0])
    kept = set(store.versions_dir(db).iterdir()) - {now}
    assert kept == {current, previous[-1]}   # the two previous good versions: none lost to the dead one
    assert not left_behind & set(store.versions_dir(db).iterdir())   # the unfinished file is gone
    with store.open_read_only(db) as con:
        assert con.sql("select count(*) from interactions").fetchall()[0][0] == 400


# -- append keeps whole contacts -----------------------------------------------------------------

def pwc_rows() -> tuple[list[str], list[dict[str, str]]]:
    with open(PWC_CSV, newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="") as handle:
        out = csv.DictWriter(handle, header)
        out.writeheader()
        out.writerows(rows)
    return path


def call_number(row: dict[str, str]) -> int:
    return int(row["Call Id"].removeprefix("ID"))


def test_append_of_an_overlapping_export_adds_no_answer_to_a_contact_already_in_the_store(tmp_path):
    header, calls = pwc_rows()
    # another system's contacts of 2025 whose ids collide with the export's first 2,000 calls; none was rated
    other = [{**r, "Date": r["Date"].replace("2021", "2025"), "Satisfaction rating": ""} for r in calls[:2000]]
    export = calls[1000:]   # 1,000 ids shared with the store, 3,000 new
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    importer.run([write_rows(tmp_path / "other.csv", header, other)], rules, db)
    report = importer.run([write_rows(tmp_path / "export.csv", header, export)], rules, db, mode="append")

    in_store = {call_number(r) for r in other}
    new_rated = {call_number(r): int(r["Satisfaction rating"]) for r in export
                 if call_number(r) not in in_store and r["Satisfaction rating"]}
    shared_rated = sum(1 for r in export if call_number(r) in in_store and r["Satisfaction rating"])
    assert shared_rated > 0   # the export does rate some of the shared calls: they must not land on 2025 contacts
    with store.open_read_only(db) as con:
        answers = dict(con.sql("select interaction_id, csat from customer_surveys").fetchall())
        mixed = con.sql("select count(*) from customer_surveys s join interactions i using (interaction_id) "
                        "where year(s.answered_at) <> year(i.queued_at)").fetchall()[0][0]
        interactions = con.sql("select count(*) from interactions").fetchall()[0][0]
    assert answers == new_rated
    assert mixed == 0
    assert interactions == len(in_store | {call_number(r) for r in export})
    assert report.inserted["customer_surveys"] == len(new_rated)
    assert report.skipped["customer_surveys"] == {importer.CONTACT_IN_STORE: shared_rated}
    assert report.skipped["interactions"] == {"interaction_id already in the store": 1000}
    text = report.text()
    assert f"customer_surveys: {len(new_rated):,} rows added; {shared_rated:,} skipped: " \
           f"{importer.CONTACT_IN_STORE}\n" in text
    assert "interactions: 3,000 rows added; 1,000 skipped: interaction_id already in the store\n" in text


def test_the_pwc_sample_appended_to_itself_adds_nothing_and_publishes_nothing(tmp_path):
    _, calls = pwc_rows()
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    importer.run([PWC_CSV], rules, db)
    target, digest = os.readlink(db), sha256(db)
    files = set(store.versions_dir(db).iterdir())

    report = importer.run([PWC_CSV], rules, db, mode="append")
    assert os.readlink(db) == target and sha256(db) == digest   # the link names the very same file, unchanged
    assert set(store.versions_dir(db).iterdir()) == files   # no new version file, finished or not
    assert report.unchanged and set(report.inserted.values()) == {0}
    rated = sum(1 for r in calls if r["Satisfaction rating"])
    assert report.skipped["interactions"] == {"interaction_id already in the store": len(calls)}
    assert report.skipped["customer_surveys"] == {"interaction_id already in the store": rated}
    text = report.text()
    assert importer.NOTHING_NEW in text and "Imported" not in text
    assert f"customer_surveys: 0 rows added; {rated:,} skipped: interaction_id already in the store\n" in text
    assert f"agents: 0 rows added; {len({r['Agent'] for r in calls})} skipped: agent_name already in the store, " \
           "whose row is kept and used\n" in text


def test_the_cli_says_nothing_new_and_leaves_the_store_as_it_was(tmp_path):
    db = tmp_path / "store.duckdb"
    importer.run([PWC_CSV], mapping.load(PWC_MAPPING), db)
    target, digest = os.readlink(db), sha256(db)
    done = subprocess.run([sys.executable, "-m", "dashboard", "import", str(PWC_CSV), "--mapping", str(PWC_MAPPING),
                           "--db", str(db), "--append"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert importer.NOTHING_NEW in done.stdout
    assert os.readlink(db) == target and sha256(db) == digest


def test_a_dry_run_of_an_append_counts_what_it_would_add_and_skip_and_writes_nothing(tmp_path):
    header, calls = pwc_rows()
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    importer.run([write_rows(tmp_path / "first.csv", header, calls[:2000])], rules, db)
    target, digest = os.readlink(db), sha256(db)
    export = write_rows(tmp_path / "export.csv", header, calls[1000:])
    report = importer.run([export], rules, db, mode="append", dry_run=True)
    assert os.readlink(db) == target and sha256(db) == digest
    new_rated = sum(1 for r in calls[2000:] if r["Satisfaction rating"])
    shared_rated = sum(1 for r in calls[1000:2000] if r["Satisfaction rating"])
    assert report.plan.rows["interactions"] == 3000 and report.plan.rows["customer_surveys"] == new_rated
    text = report.text()
    assert "  interactions: 1,000 skipped: interaction_id already in the store\n" in text
    assert f"  customer_surveys: {shared_rated:,} skipped: interaction_id already in the store\n" in text


# -- a replace that changes nothing publishes nothing --------------------------------------------

def published_state(db: Path) -> tuple[str, str, set[Path]]:
    """What readers see: the file the link names, its content, and every file in the versions folder."""
    return os.readlink(db), sha256(db), set(store.versions_dir(db).iterdir())


def pwc_store(tmp_path: Path) -> tuple[Path, object, tuple[str, str, set[Path]]]:
    """A store holding the PwC sample: its path, the mapping's rules and what readers see of it."""
    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    importer.run([PWC_CSV], rules, db)
    return db, rules, published_state(db)


def test_the_pwc_sample_replaced_by_itself_publishes_nothing(tmp_path):
    _, calls = pwc_rows()
    db, rules, before = pwc_store(tmp_path)

    report = importer.run([PWC_CSV], rules, db)
    assert published_state(db) == before   # the very same file, unchanged, and no new version file
    assert report.unchanged and set(report.inserted.values()) == {0}
    rated = sum(1 for r in calls if r["Satisfaction rating"])
    assert report.skipped["interactions"] == {importer.SAME_AS_STORE: len(calls)}
    assert report.skipped["customer_surveys"] == {importer.SAME_AS_STORE: rated}
    text = report.text()
    assert importer.NOTHING_NEW in text and "Imported" not in text
    assert f"interactions: 0 rows added; {len(calls):,} skipped: {importer.SAME_AS_STORE}\n" in text


def test_the_cli_replacing_the_store_with_what_it_holds_says_nothing_new(tmp_path):
    db, _, before = pwc_store(tmp_path)
    done = subprocess.run([sys.executable, "-m", "dashboard", "import", str(PWC_CSV), "--mapping", str(PWC_MAPPING),
                           "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert importer.NOTHING_NEW in done.stdout and "Imported" not in done.stdout
    assert published_state(db) == before


def test_a_replace_with_one_row_changed_publishes_it(tmp_path):
    header, calls = pwc_rows()
    db, rules, before = pwc_store(tmp_path)
    first_rated = next(i for i, r in enumerate(calls) if r["Satisfaction rating"])
    changed = int(calls[first_rated]["Satisfaction rating"]) % 5 + 1   # another rating, still 1-5
    calls[first_rated] = {**calls[first_rated], "Satisfaction rating": str(changed)}

    report = importer.run([write_rows(tmp_path / "changed.csv", header, calls)], rules, db)
    target, _, files = published_state(db)
    assert target != before[0] and len(files - before[2]) == 1   # one new version, and the link names it
    assert not report.unchanged and "Imported" in report.text()
    with store.open_read_only(db) as con:
        stored = con.sql("select csat from customer_surveys where interaction_id = $id",
                         params={"id": call_number(calls[first_rated])}).fetchall()
        agents = con.sql("select agent_name, agent_id from agents order by agent_name").fetchall()
    assert stored == [(changed,)]
    with store.open_read_only(store.versions_dir(db) / Path(before[0]).name) as con:
        # the same agents keep their ids: rows kept in other tables still point at them
        assert con.sql("select agent_name, agent_id from agents order by agent_name").fetchall() == agents


def test_a_replace_whose_mapping_supplies_another_column_publishes_though_the_rows_are_the_same(tmp_path):
    """An export column that is empty on every row: mapped, the store says transfers were supplied (none
    made); not mapped, it says they were not imported. The rows are the same, what the store knows is not."""
    header, calls = pwc_rows()
    export = write_rows(tmp_path / "with_transfers.csv", [*header, "Transfers"],
                        [{**r, "Transfers": ""} for r in calls])
    with_transfers = tmp_path / "with_transfers.yaml"
    text = PWC_MAPPING.read_text()
    resolved = "      resolved: {column: Resolved, unless: abandoned}\n"
    assert resolved in text
    with_transfers.write_text(text.replace(resolved, resolved + "      transfers: Transfers\n"))
    db = tmp_path / "store.duckdb"
    importer.run([export], mapping.load(PWC_MAPPING), db)
    before = published_state(db)

    report = importer.run([export], mapping.load(with_transfers), db)
    target, _, files = published_state(db)
    assert target != before[0] and len(files - before[2]) == 1
    assert not report.unchanged and "Imported" in report.text()
    old = store.versions_dir(db) / Path(before[0]).name
    with store.open_read_only(db) as con:
        supplied = con.sql("select supplied from store_coverage where table_name = 'interactions' "
                           "and column_name = 'transfers'").fetchall()
    assert supplied == [(True,)]
    with store.open_read_only(old) as con:
        assert con.sql("select supplied from store_coverage where table_name = 'interactions' "
                       "and column_name = 'transfers'").fetchall() == [(False,)]
