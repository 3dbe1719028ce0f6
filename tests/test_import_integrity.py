"""Issue 10, item 5: imports never mix sources. --append keeps a contact only when it is new
(its survey answers follow it), an import that changes nothing publishes nothing, and versions
that never finished are removed and never counted as kept versions."""

from __future__ import annotations

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
                             str(PWC_MAPPING), str(db)], capture_output=True, timeout=120)
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
