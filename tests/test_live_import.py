"""Issue 4: imports swap a new store file in while the app reads; sessions rerun without errors
and see the new data, with no restart."""

from __future__ import annotations

import csv
import threading

from conftest import PWC_CSV, PWC_MAPPING, ROOT
from streamlit.testing.v1 import AppTest

from dashboard import importer, mapping

PERIOD = {"from": "2021-01-01", "to": "2021-03-31"}


def abandon_rate_tile(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "Abandon rate")


def test_imports_running_while_an_apptest_session_reruns(tmp_path, monkeypatch):
    lines = PWC_CSV.read_text().splitlines()
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines[:1001]) + "\n")
    with open(PWC_CSV, newline="") as handle:
        calls = list(csv.DictReader(handle))
    small_rate = f"{100 * sum(r['Answered (Y/N)'] == 'N' for r in calls[:1000]) / 1000:.1f} %"
    full_rate = f"{100 * sum(r['Answered (Y/N)'] == 'N' for r in calls) / len(calls):.1f} %"
    assert small_rate != full_rate

    db = tmp_path / "store.duckdb"
    rules = mapping.load(PWC_MAPPING)
    importer.run([small], rules, db)
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    for key, value in PERIOD.items():
        at.query_params[key] = value
    at.run()
    assert abandon_rate_tile(at) == small_rate

    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_importing():
        try:
            while not stop.is_set():   # alternate the two files, each import a full swap
                importer.run([PWC_CSV], rules, db)
                importer.run([small], rules, db)
        except BaseException as exc:  # surfaced below, not lost in the thread
            failures.append(exc)

    writer = threading.Thread(target=keep_importing, daemon=True)
    writer.start()
    try:
        seen = set()
        for page in ("overview", "wait_times", "teams", "escalations", "overview", "attrition", "overview"):
            at.switch_page(f"views/{page}.py").run()
            assert not at.exception, [e.value for e in at.exception]
            assert not at.error, [e.value for e in at.error]
            if page == "overview":
                seen.add(abandon_rate_tile(at))
        assert seen <= {small_rate, full_rate}
    finally:
        stop.set()
        writer.join(timeout=120)
    assert not failures, failures

    importer.run([PWC_CSV], rules, db)
    at.switch_page("views/overview.py").run()
    assert abandon_rate_tile(at) == full_rate
