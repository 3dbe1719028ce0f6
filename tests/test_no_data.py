"""No data is not zero, for charts and tables (issue 9, build item 1).

A figure whose inputs the store lacks says "No data" and why, never 0: the header's `needs`,
`column_needs` and `row_needs` are judged by the store's coverage (what each import supplied), not
by counting values; a row whose bucket is unknown is never drawn in a real bucket, and the chart
says how many were left out. Stores used here: the PwC sample (no escalation levels, leaving dates,
customer ids, agent surveys, requests or training), a call log written below with no waits and no
resolution field, and an HR export with agent surveys but no contacts.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from dashboard import filters, importer, mapping, store

# ---- stores ----------------------------------------------------------------------------------------

HR_MAPPING = """
source: {format: csv, separator: ",", header: true}
tables:
  teams:
    rows: distinct
    columns:
      team_name: Team
      site: {constant: Head office}
      manager_name: {constant: Not in the export}
  agents:
    rows: distinct
    columns:
      agent_name: Agent
      team_name: Team
      hired_on: Hired
      authority_limit: {constant: 0}
  agent_surveys:
    columns:
      agent_name: Agent
      surveyed_at: Surveyed
      milestone: {constant: pulse}
      satisfaction: Satisfaction
"""


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_into(folder: Path, name: str, rows: list[dict], mapping_text: str) -> Path:
    source = write_csv(folder / f"{name}.csv", rows)
    mapping_path = folder / f"{name}.yaml"
    mapping_path.write_text(mapping_text, encoding="utf-8")
    db = folder / f"{name}.duckdb"
    report = importer.run([source], mapping.load(mapping_path), db)
    assert report.imported, report
    return db


HR_ROWS = [{"Agent": f"Agent {i}", "Team": ["Blue", "Green"][i % 2], "Hired": f"2019-0{1 + i % 9}-15",
            "Surveyed": f"2022-{3 + 3 * (i % 3):02d}-{10 + i:02d}", "Satisfaction": str(1 + i % 5)}
           for i in range(12)]


@pytest.fixture(scope="module")
def survey_only_store(tmp_path_factory) -> Path:
    """An HR export alone: agents and their survey answers, no contacts."""
    return import_into(tmp_path_factory.mktemp("hr"), "hr", HR_ROWS, HR_MAPPING)


# ---- the data range comes from the data ------------------------------------------------------------

def test_a_store_with_no_interactions_shows_the_period_of_what_it_holds(survey_only_store):
    surveyed = [dt.date.fromisoformat(r["Surveyed"]) for r in HR_ROWS]
    with store.open_read_only(survey_only_store) as con:
        choices = filters.read_choices(con)
    assert (choices.first_day, choices.last_day) == (min(surveyed), max(surveyed))
    assert dt.date.today() not in (choices.first_day, choices.last_day)
