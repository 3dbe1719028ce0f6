"""Wait-times sections: the hour-by-weekday heatmap under a measure picker, and the Erlang C
staffing what-if with Erlang A beside it (dashboard/erlang.py), seeded from the filtered data. Plain
code on a Canvas."""

from __future__ import annotations

from dashboard import erlang, filters, present
from dashboard.canvas import Canvas, reads

# measure (a column of wait_times_by_hour) -> lower is better: the red-to-green scale is then turned
# round so that green always means good
LOWER_IS_BETTER = {"service_level": False, "asa": True, "abandon_rate": True}
HOURS_QUERY = "wait_times_by_hour"
INPUTS_QUERY = "wait_times_staffing_inputs"
PATIENCE_WORDS = (
    "Erlang C assumes nobody hangs up; when callers abandon, it overstates waits and the agents needed. Erlang A "
    "lets each waiting caller hang up after an exponential patience. Mean patience comes from the filtered "
    "contacts as all time waited (abandoned and answered waits) / abandoned contacts: the maximum-likelihood "
    "estimate of an exponential patience, in which an answered caller's wait counts as a patience cut short by "
    "the answer (censored), not as a hang-up. Abandoned waits alone would understate it, since the patient "
    "callers are the ones who get answered. Service level is answered within the target / all arrivals; the "
    "table also gives it over answered contacts. ASA is the mean wait over all arrivals, abandoned callers' "
    "waits included.")


@reads(HOURS_QUERY)
def by_hour(canvas: Canvas) -> None:
    """wait_times_by_hour drawn as a heatmap of the chosen measure, with "no data" and why when the
    store lacks that measure's input; green always means good."""
    canvas.heading("By hour of day and weekday")
    measure = canvas.control("measure", "segmented") or filters.CONTROL["measure"].default
    data = canvas.data
    query = data.query(HOURS_QUERY)
    # the same query file, another view of its rows
    view = query.spec.but(kind="heatmap", z=measure, lower_is_better=LOWER_IS_BETTER[measure])
    canvas.caption(f"{query.description} Green is good.")
    if missing := data.missing(query) or data.absent_columns(query).get(measure):
        canvas.no_data(missing)
        return
    cells = data.run(query, data.bound())
    if cells.is_empty():
        canvas.notice("info", "No hour of the week has 10 or more contacts for these filters.")
        return
    if daily_reports_only(cells, data.coverage):
        canvas.no_data([DAILY_REPORTS])
        return
    present.chart(canvas, query, cells, spec=view, key="chart_heatmap", csv_name=f"{HOURS_QUERY}_{measure}")


# An interval report's row counts at its interval's start: a daily report puts every contact at hour 0.
DAILY_REPORTS = ("the hours of the day need intervals of an hour or less; every interval of this store's "
                 "interval reports starts at midnight (daily totals), so the hour contacts came in is unknown")


def daily_reports_only(cells, held) -> bool:
    """A store of interval reports (no contacts) whose cells all lie in hour 0: daily, not hourly, rows."""
    return held.rows("interactions") == 0 and bool(cells["hour"].eq(0).all())


@reads(INPUTS_QUERY)
def staffing_what_if(canvas: Canvas) -> None:
    """The agents one interval needs for a service-level target, and what losing some does."""
    canvas.heading("Staffing what-if (Erlang C)")
    canvas.caption("The agents one interval needs to meet a service-level target, and what losing agents to "
                   "attrition does. Erlang C treats the filtered contacts as one queue of interchangeable agents "
                   "who are always on it (no breaks, no abandonment): filter to one channel for a truer picture, "
                   "and add shrinkage before rostering. Grey values come from the filtered data; type over them "
                   "to try others.")
    found = _busiest_hour(canvas)
    calls, aht, interval_min, sl_pct, sl_s, patience = _inputs(canvas, found)
    if not calls or not aht:
        canvas.notice("info", "The what-if takes its defaults from the filtered contacts and their handle times, "
                              "and has none here: enter contacts per interval and AHT above.")
        return
    if found:
        canvas.caption(f"From the data: the busiest hour of the week, {found['busiest_weekday']}s "
                       f"{found['busiest_hour']:02d}:00, averaged {found['contacts_per_hour']:.1f} contacts an "
                       f"hour; answered contacts took {found['aht_s']:.0f} s on average.")
    plan = _plans(canvas, calls, aht, interval_min, sl_pct, sl_s)
    _with_abandonment(canvas, plan, calls, aht, interval_min, sl_pct, sl_s, patience, found)


def _busiest_hour(canvas: Canvas) -> dict | None:
    """The filtered data's busiest hour of the week and AHT (the what-if's defaults), or None."""
    data = canvas.data
    query = data.query(INPUTS_QUERY)
    inputs = data.run(query, data.bound())
    for note in data.absent_notes(query):
        canvas.notice("info", note)
    return inputs.row(0, named=True) if inputs.height and inputs["aht_s"][0] else None


def _inputs(canvas: Canvas, found: dict | None) -> tuple:
    """The what-if's six boxes in a row; an empty contacts, AHT or patience box takes the data's value."""
    interval_box, calls_box, aht_box, target_box, within_box, patience_box = canvas.columns(6)
    interval_min = interval_box.control("interval", "select")
    default_calls = max(0.1, round(found["contacts_per_hour"] * interval_min / 60, 1)) if found else None
    default_aht = round(found["aht_s"]) if found else None
    calls = calls_box.control("calls", "number", value=None, step=1.0, format="%.1f",
                              placeholder=str(default_calls or "")) or default_calls
    aht = aht_box.control("aht", "number", value=None, placeholder=str(default_aht or "")) or default_aht
    # patience 0 (every wait zero seconds) would be no queue at all: the box's least value instead
    default_patience = max(1, round(found["patience_s"])) if found and found["patience_s"] is not None else None
    sl_pct, sl_s = target_box.control("sl_target", "number"), within_box.control("sl_within", "number")
    patience = patience_box.control("patience", "number", value=None,
                                    placeholder=str(default_patience or "")) or default_patience
    return calls, aht, interval_min, sl_pct, sl_s, patience


def _plans(canvas: Canvas, calls: float, aht: float, interval_min: int, sl_pct: int, sl_s: int) -> erlang.Staffing:
    """The head count the target takes, the same with agents lost, and the table around it; returns
    the plan that meets the target."""
    interval_s = interval_min * 60
    needed = erlang.agents_needed(calls, aht, sl_s, sl_pct / 100, interval_s)
    plan = erlang.staffing(calls, aht, needed, sl_s, interval_s)
    canvas.strong(f"{calls:g} contacts per {interval_min} min at {aht} s AHT is {plan.traffic_erlangs:.1f} erlangs "
                  f"of work. Answering {sl_pct} % within {sl_s} s takes {needed} agents:")
    canvas.metrics(erlang.tiles(plan, sl_s))
    lost = canvas.control("lost", "slider", high=min(5, needed - 1)) if needed > 1 else 0
    short = erlang.staffing(calls, aht, needed - lost, sl_s, interval_s)
    if lost:
        canvas.strong(f"With {short.agents} agents ({lost} fewer):")
        canvas.metrics(erlang.tiles(short, sl_s, baseline=plan))
    if not short.stable:
        canvas.notice("warning", f"{short.agents} agents for {plan.traffic_erlangs:.1f} erlangs of work (agents <= "
                                 "traffic): the queue grows without bound, every contact waits and waits get "
                                 "longer and longer.")
    table = erlang.staffing_table(calls, aht, sl_s, interval_s, up_to_agents=needed + 5)
    canvas.expander(f"Service level and ASA from {table['Agents'][0]} to {needed + 5} agents").table(
        "table_staffing", table)
    return plan


def _with_abandonment(canvas: Canvas, plan: erlang.Staffing, calls: float, aht: float, interval_min: int,
                      sl_pct: int, sl_s: int, patience: int | None, found: dict | None) -> None:
    """Erlang A beside Erlang C's plan: the agents the same target takes when callers hang up after
    the mean patience (typed, or estimated from the filtered contacts), and both plans' measures."""
    canvas.heading("With abandonment (Erlang A)")
    canvas.caption(PATIENCE_WORDS)
    if found and found["patience_s"] is not None:
        canvas.caption(f"From the data: mean patience {found['patience_s']:.0f} s, from "
                       f"{found['patience_waits']:,} waits of which {found['patience_abandoned']:,} were abandoned.")
    elif found and found["patience_waits"]:
        canvas.notice("info", f"None of the {found['patience_waits']:,} contacts with a recorded wait was abandoned, "
                              "so patience cannot be estimated from these filters (it may be anything longer than "
                              "the waits seen): only Erlang C is shown. Type a mean patience above to try Erlang A.")
    else:
        canvas.notice("info", "The filtered contacts have no recorded waits to estimate patience from: only Erlang C "
                              "is shown. Type a mean patience above to try Erlang A.")
    if not patience:
        return
    interval_s = interval_min * 60
    needed = erlang.agents_needed_a(calls, aht, patience, sl_s, sl_pct / 100, interval_s)
    canvas.strong(f"With a mean patience of {patience} s, answering {sl_pct} % of all contacts within {sl_s} s takes "
                  f"{needed} agents under Erlang A, against {plan.agents} under Erlang C:")
    canvas.table("table_erlang_a", erlang.comparison_table(
        plan, erlang.erlang_a(calls, aht, patience, needed, sl_s, interval_s), sl_s))
