"""Kaplan-Meier (dashboard/survival.py) against lifelines' KaplanMeierFitter with entry= (left truncation):
survival, at risk, leavers, Greenwood's standard error and the 95 % interval at every leaving tenure, on
random left-truncated groups with ties and on a demo store's agents.

lifelines (0.30.3, the registry's only version) needs pandas < 3 and the project pins pandas 3, so it
cannot be a dependency, even a dev one: it runs in a venv of its own, in two steps.

    python bench/km_against_lifelines.py cases [--db STORE] > cases.json          # the project's venv
    python -m venv /tmp/ll && /tmp/ll/bin/pip install lifelines==0.30.3
    /tmp/ll/bin/python bench/km_against_lifelines.py check < cases.json            # lifelines' venv

lifelines puts an agent who enters at t in the risk set at t; survival.py (as R's survival and
statsmodels) counts an agent at risk at t when entry < t <= exit. The check enters each agent a hair
(1e-6 day) later so both count the same agents; lifelines refuses a group whose curve reaches 0
before later entries (it says to use another estimator): those are counted and skipped."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cases(db: str | None) -> list[dict]:
    import datetime as dt

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from dashboard import catalogue, config, filters, store, survival

    rng = np.random.default_rng(7)
    groups = []
    for _ in range(200):
        n = int(rng.integers(5, 80))
        entry = (rng.integers(0, 20, n) * rng.integers(0, 2, n)).astype(float)
        groups.append((entry, entry + rng.integers(1, 40, n), rng.random(n) < 0.5))
    if db:
        con = store.open_read_only(Path(db))
        query = catalogue.load(config.queries_dir()).get("attrition_agent_tenure")
        for period in ((dt.date(2025, 10, 1), dt.date(2025, 12, 31)), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))):
            tenure = catalogue.execute(con, query, {**filters.Filters(*period).as_params(),
                                                    **catalogue.page_param_defaults()})
            tenure = tenure.filter(tenure["exit_days"] > tenure["entry_days"])
            for column in ("manager_group", "satisfaction_group"):
                for (_,), rows in tenure.group_by(column):
                    groups.append((rows["entry_days"].to_numpy().astype(float),
                                   rows["exit_days"].to_numpy().astype(float), rows["left_in_period"].to_numpy()))
    return [{"entry": e.tolist(), "exit": x.tolist(), "left": gone.tolist(),
             "km": survival.kaplan_meier(x, gone, e).to_dict(as_series=False)} for e, x, gone in groups]


def check(groups: list[dict]) -> str:
    import math

    import numpy as np
    from lifelines import KaplanMeierFitter

    worst = dict.fromkeys(("survival", "std_error", "low", "high"), 0.0)
    tenures = intervals = refused = 0
    for group in groups:
        entry, exit_, left, km = (np.array(group["entry"]), np.array(group["exit"]), np.array(group["left"]),
                                  group["km"])
        try:
            fit = KaplanMeierFitter().fit(exit_, left, entry=entry + 1e-6)
        except Exception:   # lifelines.exceptions.StatError: the curve reaches 0 before later entries
            refused += 1
            continue
        table, shares = fit.event_table, fit.survival_function_.iloc[:, 0]
        bounds = fit.confidence_interval_survival_function_
        for i, day in enumerate(km["days"][1:], start=1):
            tenures += 1
            assert int(table.loc[day, "at_risk"]) == km["at_risk"][i]
            assert int(table.loc[day, "observed"]) == km["leavers"][i]
            share = float(shares.loc[day])
            worst["survival"] = max(worst["survival"], abs(share - km["survival"][i]))
            if km["std_error"][i] is not None:   # lifelines keeps Greenwood's sum as _cumulative_sq_
                greenwood = share * math.sqrt(float(fit._cumulative_sq_.loc[day]))
                worst["std_error"] = max(worst["std_error"], abs(greenwood - km["std_error"][i]))
            if km["low"][i] is not None:
                intervals += 1
                low, high = sorted(float(v) for v in bounds.loc[day])
                worst["low"] = max(worst["low"], abs(low - km["low"][i]))
                worst["high"] = max(worst["high"], abs(high - km["high"][i]))
    return (f"{len(groups)} groups ({refused} refused by lifelines), {tenures} leaving tenures, {intervals} "
            f"intervals; at risk and leavers equal; largest differences: "
            + ", ".join(f"{name} {value:.1e}" for name, value in worst.items()))


if __name__ == "__main__":
    if sys.argv[1:2] == ["cases"]:
        db = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv else None
        json.dump(cases(db), sys.stdout)
    elif sys.argv[1:2] == ["check"]:
        print(check(json.load(sys.stdin)))
    else:
        sys.exit(__doc__)
