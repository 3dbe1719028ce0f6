"""KPI tiles: targets file, period scaling of churn, direction of 'better', formatting."""

from __future__ import annotations

import pytest

from dashboard import config, kpis


def test_shipped_targets_cover_every_kpi_and_are_valid():
    targets, problems = kpis.load_targets(config.targets_path())
    assert problems == []
    assert set(targets) == set(kpis.KPIS)


def test_bad_target_entries_are_reported_not_fatal(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("csat: 85\nnps: lots\nbogus: 3\n")
    targets, problems = kpis.load_targets(path)
    assert targets == {"csat": 85.0}
    assert any("'nps'" in p for p in problems) and any("'bogus'" in p for p in problems)
    path.write_text("csat: [\n")
    assert kpis.load_targets(path)[0] == {} and "not valid YAML" in kpis.load_targets(path)[1][0]


def test_churn_target_is_scaled_to_the_period_other_targets_are_not():
    churn, csat = kpis.KPIS["customer_churn"], kpis.KPIS["csat"]
    assert kpis.period_target(churn, 8.0, 365) == pytest.approx(8.0, abs=0.01)
    quarter = kpis.period_target(churn, 8.0, 92)
    assert quarter == pytest.approx(100 * (1 - 0.92 ** (92 / 365.25)))
    assert 2.0 < quarter < 2.2
    assert kpis.period_target(csat, 80.0, 92) == 80.0


@pytest.mark.parametrize("kpi_id, value, target, met", [
    ("csat", 81.0, 80.0, True), ("csat", 79.0, 80.0, False),
    ("asa", 19.0, 20.0, True), ("asa", 25.0, 20.0, False),     # lower is better
    ("ces", 2.1, 2.0, False), ("abandon_rate", 4.0, 5.0, True),
])
def test_meeting_a_target_respects_which_way_is_better(kpi_id, value, target, met):
    tile = kpis.Tile(kpis.KPIS[kpi_id], value, None, target)
    assert tile.meets_target is met


def test_tiles_follow_the_query_columns_and_compute_deltas():
    from test_honest_tiles import QUARTERS, full_coverage

    tiles = kpis.tiles({"csat": 80.0, "csat_n": 400, "asa": float("nan"), "asa_n": 0},
                       {"csat": 75.5, "csat_n": 380}, {"csat": 85}, 30, full_coverage(), QUARTERS, 30)
    assert [t.kpi.id for t in tiles] == ["csat", "asa"]
    assert tiles[0].delta == pytest.approx(4.5) and tiles[0].meets_target is False
    assert tiles[0].n_text() == "n = 400 answers"
    assert tiles[1].value is None and tiles[1].delta is None
    assert tiles[1].no_data == "no answered contacts in this period"


@pytest.mark.parametrize("kpi_id, value, text", [
    ("csat", 79.44, "79.4 %"), ("asa", 18.4, "18 s"), ("aht", 372.0, "6.2 min"), ("aht", 2701.0, "45 min"),
    ("asa", 42770.0, "11.9 h"),
    ("nps", 15.6, "+16"), ("ces", 2.057, "2.06"), ("csat", None, "no data"),
])
def test_formatting(kpi_id, value, text):
    assert kpis.KPIS[kpi_id].format(value) == text
