"""`import --dry-run`: everything an import checks, and what it would do (rows per table, rejected
rows, columns filled, KPIs and charts that would say "no data" and why), with nothing written."""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys

from conftest import BARE_LOG, BARE_MAPPING, PWC_CSV, PWC_MAPPING, ROOT

from dashboard import importer, mapping


def dry_run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "import", *args, "--dry-run"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_a_dry_run_of_the_pwc_sample_says_what_it_would_do_and_writes_nothing(tmp_path):
    with open(PWC_CSV, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    db = tmp_path / "pwc.duckdb"
    done = dry_run_cli(str(PWC_CSV), "--mapping", str(PWC_MAPPING), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert not db.exists() and list(tmp_path.iterdir()) == []
    out = done.stdout
    assert "nothing was written" in out and "No row would be rejected." in out
    assert f"  interactions: {len(rows):,}" in out
    assert f"  customer_surveys: {sum(1 for r in rows if r['Satisfaction rating']):,}" in out
    assert f"  agents: {len({r['Agent'] for r in rows})}" in out
    assert "  interactions: interaction_id, agent_id, team_id, touchpoint_id, channel, queued_at" in out
    kpi_part = out.split('KPIs that will say "no data":')[1].split("Charts that will")[0]
    assert "  FCR: this store has no customer ids to tell repeat contacts apart" in kpi_part
    assert "  Agent attrition (annualised): this store has no leaving dates" in kpi_part
    assert "CSAT" not in kpi_part and "ASA" not in kpi_part   # the export has ratings and waits
    assert "escalations: Where decisions are made - this store has no escalation levels" in out
    assert "Traceback" not in done.stderr


def test_a_dry_run_counts_the_rows_it_would_reject_without_writing_them(tmp_path):
    lines = PWC_CSV.read_text(encoding="utf-8").splitlines()
    lines[7] = lines[7].replace("2021-01-01", "2021-02-30")     # an impossible date on line 8
    lines[14] = lines[14].rsplit(",", 1)[0] + ",9"               # a rating of 9 on line 15
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "store.duckdb"
    report = importer.run([broken], mapping.load(PWC_MAPPING), db, dry_run=True)
    assert report.rejected_rows == 2 and not report.imported
    assert report.plan.rows["interactions"] == 5000 - 2
    assert not db.exists() and not report.rejects_path.exists()
    text = report.text()
    assert "2 row(s) would be rejected" in text and "broken.csv line 8" in text and "broken.csv line 15" in text


def test_a_dry_run_into_an_existing_store_keeps_what_the_import_does_not_feed(store_path, tmp_path):
    """Replacing the demo's contacts and agents with a bare call log: agent surveys and requests
    keep their data, the contact figures the log lacks would say no data, and so would attrition
    (the log's agents table has no leaving dates). The store file is not touched."""
    before = hashlib.sha256(store_path.resolve().read_bytes()).hexdigest()
    (tmp_path / "bare.csv").write_text(BARE_LOG)
    (tmp_path / "bare.yaml").write_text(BARE_MAPPING)
    report = importer.run([tmp_path / "bare.csv"], mapping.load(tmp_path / "bare.yaml"), store_path, dry_run=True)
    gaps = dict(report.plan.kpi_gaps)
    assert "no waiting times" in gaps["ASA"] and "no resolution field" in gaps["FCR"]
    assert "Agent satisfaction" not in gaps and "Manager response within 72 h" not in gaps
    assert "no leaving dates" in gaps["Agent attrition (annualised)"]
    assert hashlib.sha256(store_path.resolve().read_bytes()).hexdigest() == before
