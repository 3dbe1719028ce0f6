"""The pandas way, for the benchmark (dashboard/bench.py): what most Streamlit dashboards do, load the
tables a page needs into pandas once, then compute its figures in pandas on every filter change.
Here for the overview's customer KPIs, with the definitions of docs/design.md section 4 (the same as
queries/overview_customer_kpis.sql, written independently of it).

Run in a child process of its own so that its peak memory is its own:

    python -m dashboard.bench_pandas STORE FILTERS.json REPEAT

prints one JSON object: load_ms, load_peak_mb, and per filter its KPIs, the first computation's time
and the median of REPEAT more."""

from __future__ import annotations

import datetime as dt
import json
import resource
import statistics
import sys
import time

import duckdb
import pandas as pd

# what the overview reads, whole, as a dashboard loading "the data" would
TABLES = ("interactions", "customer_surveys", "customers", "teams", "touchpoints")
SCOPE_KEYS = ("site", "team", "channel", "touchpoint")


def load(db: str) -> dict[str, pd.DataFrame]:
    """The tables, and contacts joined once to their team and touchpoint names (the filters' words)
    and surveys joined once to their contact: what the filters select on."""
    with duckdb.connect(db, read_only=True) as con:
        frames = {table: con.sql(f"select * from {table}").df() for table in TABLES}
    contacts = (frames["interactions"]
                .merge(frames["teams"][["team_id", "team_name", "site"]], on="team_id")
                .merge(frames["touchpoints"][["touchpoint_id", "touchpoint_name"]], on="touchpoint_id"))
    contacts = contacts.rename(columns={"team_name": "team", "touchpoint_name": "touchpoint"})
    surveys = frames["customer_surveys"].merge(
        contacts[["interaction_id", "queued_at", *SCOPE_KEYS]], on="interaction_id")
    return {"contacts": contacts, "surveys": surveys, "customers": frames["customers"]}


def _in_scope(frame: pd.DataFrame, chosen: dict, date_from: dt.date | None) -> pd.Series:
    """Rows queued within [date_from, date_to] (no lower bound when date_from is None) in the scope."""
    upper = pd.Timestamp(chosen["date_to"]) + pd.Timedelta(days=1)
    mask = frame["queued_at"] < upper
    if date_from is not None:
        mask &= frame["queued_at"] >= pd.Timestamp(date_from)
    for key in SCOPE_KEYS:
        if chosen.get(key) is not None:
            mask &= frame[key] == chosen[key]
    return mask


def _ratio(numerator, denominator, scale: float = 1.0):
    return None if not denominator else scale * float(numerator) / float(denominator)


def customer_kpis(data: dict[str, pd.DataFrame], chosen: dict) -> dict:
    """The overview's customer KPIs and the n each rests on, for one set of filters."""
    date_from = dt.date.fromisoformat(chosen["date_from"])
    scoped = data["contacts"][_in_scope(data["contacts"], chosen, date_from)]
    abandoned = scoped["abandoned"].eq(True)
    answered = scoped[~abandoned]
    wait_known = answered["wait_s"].notna()
    judged = int(wait_known.sum()) + int((abandoned & (scoped["wait_s"] > 20)).sum())
    resolution_known = answered["resolved"].notna()
    depth_known = answered["escalation_depth"].notna()
    surveys = data["surveys"][_in_scope(data["surveys"], chosen, date_from)]
    csat, nps, ces = surveys["csat"].dropna(), surveys["nps"].dropna(), surveys["ces"].dropna()
    customers = data["customers"]
    start = pd.Timestamp(date_from)
    base = customers[(pd.to_datetime(customers["joined_on"]) < start)
                     & (customers["churned_on"].isna() | (pd.to_datetime(customers["churned_on"]) >= start))]
    if any(chosen.get(key) is not None for key in SCOPE_KEYS):   # customers the scope served, ever
        served = data["contacts"].loc[_in_scope(data["contacts"], chosen, None), "customer_id"]
        base = base[base["customer_id"].isin(served.dropna().unique())]
    churned = (pd.to_datetime(base["churned_on"]) <= pd.Timestamp(chosen["date_to"])).sum()
    return {
        "csat": _ratio((csat >= 4).sum(), len(csat), 100), "csat_n": len(csat),
        "nps": _ratio((nps >= 9).sum() - (nps <= 6).sum(), len(nps), 100), "nps_n": len(nps),
        "ces": float(ces.mean()) if len(ces) else None, "ces_n": len(ces),
        "asa": _ratio(answered.loc[wait_known, "wait_s"].sum(), wait_known.sum()), "asa_n": int(wait_known.sum()),
        "service_level": _ratio((answered["wait_s"] <= 20).sum(), judged, 100), "service_level_n": judged,
        "abandon_rate": _ratio(abandoned.sum(), len(scoped), 100), "abandon_rate_n": len(scoped),
        "aht": _ratio(answered["handle_s"].sum(), answered["handle_s"].notna().sum()),
        "aht_n": int(answered["handle_s"].notna().sum()),
        "fcr": _ratio((answered["resolved"].eq(True) & answered["repeat_within_7d"].eq(False)).sum(),
                      resolution_known.sum(), 100),
        "fcr_n": int(resolution_known.sum()),
        "escalation_rate": _ratio((answered.loc[depth_known, "escalation_depth"] > 0).sum(), depth_known.sum(), 100),
        "escalation_rate_n": int(depth_known.sum()),
        "customer_churn": _ratio(churned, len(base), 100), "customer_churn_n": len(base),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # kB on Linux


def main(db: str, filters: dict[str, dict], repeat: int) -> dict:
    started = time.perf_counter()
    data = load(db)
    out = {"load_ms": (time.perf_counter() - started) * 1000, "load_peak_mb": _peak_mb(), "filters": {}}
    for label, chosen in filters.items():
        started = time.perf_counter()
        kpis = customer_kpis(data, chosen)
        first_ms = (time.perf_counter() - started) * 1000
        again = []
        for _ in range(repeat):
            started = time.perf_counter()
            customer_kpis(data, chosen)
            again.append((time.perf_counter() - started) * 1000)
        out["filters"][label] = {"kpis": {k: (None if v is None else float(v)) for k, v in kpis.items()},
                                 "first_ms": first_ms, "median_ms": statistics.median(again)}
    out["peak_mb"] = _peak_mb()
    return out


if __name__ == "__main__":
    store_file, filters_file, times = sys.argv[1:4]
    with open(filters_file, encoding="utf-8") as f:
        chosen_filters = json.load(f)
    print(json.dumps(main(store_file, chosen_filters, int(times))))
