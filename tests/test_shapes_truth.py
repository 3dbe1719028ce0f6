"""Each export shape, imported with its shipped mapping: every overview tile whose input the
mapping does not supply says "no data" and why (and its SQL gives NULL); every other tile rests on
data. Which inputs a shape lacks is read here from the mapping file itself (plain YAML), not from
the store's coverage, so the two are checked against each other."""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT

from dashboard import catalogue, config, coverage, filters, importer, kpis, mapping, rollups, store

SHAPES = {
    "acd_call_log": ["acd_calls.tsv"],
    "incident_event_log": ["incident_events.csv"],
    "support_tickets": ["support_tickets.csv"],
    "hr_survey": ["hr_survey.csv"],
    "baltimore_311": ["baltimore_311_sample.csv"],
    "pwc_call_centre": ["pwc_call_centre_trends.csv"],
    "acd_intervals": ["acd_intervals.csv"],
}
NAMES_FOR_IDS = {"team_id": "team_name", "agent_id": "agent_name", "touchpoint_id": "touchpoint_name"}


def mapped(mapping_file) -> dict[str, set[str]]:
    """table -> store columns the mapping file fills from the export, read as plain YAML (a name
    fills its id). A column set to a constant is the mapping's assumption, not the export's data:
    every KPI input is a measure, so for KPIs such a column counts as lacking."""
    raw = yaml.load(mapping_file.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    out = {}
    for table, spec in raw["tables"].items():
        columns = {c for c, field in spec.get("columns", {}).items()
                   if not (isinstance(field, dict) and "constant" in field)}
        out[table] = columns | {i for i, name in NAMES_FOR_IDS.items() if name in columns}
    return out


def lacks(need: str, filled: dict[str, set[str]]) -> bool:
    table, _, column = need.partition(".")
    if table == "contact_intervals" and "contact_intervals" in filled:   # an interval report: as mapped
        return bool(column) and column not in filled[table]
    if table == "contact_intervals":   # built from the contacts at publish: lacks what its inputs lack
        return lacks("interactions", filled) or any(lacks(s, filled) for s in rollups.INTERVAL_SOURCES.get(column, ()))
    return table not in filled or bool(column) and column not in filled[table]


@pytest.fixture(scope="module", params=list(SHAPES))
def shape(request, tmp_path_factory):
    name = request.param
    mapping_file = ROOT / "data" / "mappings" / f"{name}.yaml"
    db = tmp_path_factory.mktemp(name) / "store.duckdb"
    importer.run([ROOT / "tests" / "data" / f for f in SHAPES[name]], mapping.load(mapping_file), db)
    return name, mapping_file, db


def test_tiles_say_no_data_exactly_where_the_mapping_supplies_nothing(shape):
    name, mapping_file, db = shape
    filled = mapped(mapping_file)
    cat = catalogue.load(config.queries_dir())
    with store.open_read_only(db) as con:
        cover = coverage.read(con)
        first, last = cover.data_period()
        whole = filters.Filters(first, last)
        rows = {}
        for query in ("overview_customer_kpis", "overview_agent_kpis"):
            rows.update(catalogue.execute(con, cat.get(query), whole.as_params()).row(0, named=True))
    tiles = {t.kpi.id: t for t in kpis.tiles(rows, {}, {}, whole.days, cover,
                                             ((first, last), (first, last)), 30)}
    for kpi in kpis.KPIS.values():
        tile = tiles[kpi.id]
        if any(lacks(need, filled) for need in kpi.needs):
            assert rows[kpi.id] is None, (name, kpi.id, "computed from an input the mapping lacks")
            assert tile.value is None and tile.no_data
            assert any(words in tile.no_data for words in ("not imported", "is empty", "by the mapping"))
            assert tile.meets_target is None and tile.delta is None
        else:
            assert tile.no_data is None or tile.no_data.endswith("in this period"), (name, kpi.id, tile.no_data)
            assert tile.no_data is None, (name, kpi.id, "supplied input, yet no figure over the whole data")
            assert tile.n and tile.n > 0
