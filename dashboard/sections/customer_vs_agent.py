"""The customer-vs-agent page's Python sections: the mirror in bands (agents grouped by each lever
against their customers' outcomes), the team-month relationship (pooled and within team, with a
lag), the mirrored table of both sides, and the overview's one mirror line. Statistics and figures:
dashboard.mirror and dashboard.relations; their readings in words: dashboard.readings."""

from __future__ import annotations

from dashboard import config, figures, filters, kpis, mirror, readings, relations
from dashboard.canvas import Canvas, reads

LEVERS_QUERY = "customer_vs_agent_levers"
MIRROR_CAPTION = ("Agents ranked by each lever and split into quarters (or met/missed for their manager's 72 h "
                  "answers), each band of at least {least} respondents (survey levers) or agents, against their "
                  "own customers' outcomes. Survey levers rank agents by the mean of their own answers in the "
                  "period and show only each band's pooled figure. Intervals: Wilson for shares, the variance of "
                  "a difference of shares for NPS, Student's t for AHT. One agent's customers are alike, so each "
                  "band's n counts for less: intervals use n divided by the design effect of clustering by agent "
                  "(the cluster-robust variance of the band's rate over its variance for independent answers). ")
FILTER_WORDS = ("Filters in force: {scope}. The period, channel and touchpoint select the contacts; site and "
                "team select the agents (by their current team) and their contacts. Survey answers, training "
                "and the manager's requests count inside the period; tenure is at the period's end.")


def _levers(canvas: Canvas) -> dict[str, mirror.LeverBands] | None:
    """The bands of every lever for the filters, or None (after saying why) without the data."""
    data = canvas.data
    query = data.query(LEVERS_QUERY)
    if missing := data.missing(query):
        canvas.no_data(missing)
        return None
    return mirror.lever_bands(data.frame(LEVERS_QUERY), config.min_respondents(), data.coverage.absent)


@reads(LEVERS_QUERY)
def mirror_panel(canvas: Canvas) -> None:
    """The mirror: each agent-side lever's bands against the chosen customer outcome, with 95 %
    intervals and n, a reading in words under each lever, and every outcome in a table below."""
    data = canvas.data
    canvas.heading("The mirror: how agents fare, and what their customers get")
    canvas.caption(MIRROR_CAPTION.format(least=config.min_respondents()) + relations.CAUTION)
    canvas.caption(FILTER_WORDS.format(scope=data.chosen.describe()))
    levers = _levers(canvas)
    if levers is None:
        return
    outcome = canvas.control("cva_outcome", "radio")
    if any(item.bands for item in levers.values()):
        canvas.chart("cva_mirror", mirror.figure(levers, outcome))
    for item in levers.values():
        if item.comparable and item.problem:
            canvas.caption(f"{item.lever.label}: {item.problem}")
        canvas.caption(readings.lever_reading(item, outcome))
    full = mirror.table(levers)
    if full.height:
        canvas.expander("Every band, every outcome (95 % intervals, n)").table(
            "table_cva_mirror_bands", full, csv_name="customer_vs_agent_mirror_bands")


@reads(LEVERS_QUERY)
def mirror_line(canvas: Canvas) -> None:
    """The overview's one mirror line: customers' CSAT for the most and least satisfied bands of
    agents; says "no data" and why when the bands cannot be formed."""
    data = canvas.data
    query = data.query(LEVERS_QUERY)
    if data.missing(query):
        canvas.caption("The mirror (customers' CSAT by their agents' satisfaction): no data: "
                       + "; ".join(data.missing(query)) + ".")
        return
    item = mirror.lever_bands(data.frame(LEVERS_QUERY), config.min_respondents(), data.coverage.absent)["satisfaction"]
    line = readings.headline(item)
    if line is None:
        canvas.caption("The mirror (customers' CSAT by their agents' satisfaction): no data: "
                       + (item.problem or "too little data.").removeprefix("Too little data: ").removeprefix("No data: "))
        return
    # the bands' rule (agents ranked by their own answers, bands of at least the respondent threshold)
    # is told on the Customer vs agent page: here one line, so a phone still sees the first chart soon
    canvas.strong(line)

SCATTER_CAPTION = ("One point per team and month: agent satisfaction (share of agent survey answers of 4-5) "
                   "against the customer score of the same team's contacts. Point size shows agent answers; "
                   "hover for both n; click a point to narrow every page to its team. Channel and touchpoint "
                   "filters narrow the customer side only. " + relations.CAUTION)
VIEW_HELP = ("Within team: each team's values minus its own mean over the period, on both axes, so differences "
             "between teams cannot make the correlation.")
LAG_HELP = ("Pairs a team's agent satisfaction in one month with the same team's customer score that many months "
            "later (or earlier); months without a partner drop out.")
WITHIN_CAPTION = ("Teams with a single team-month are left out of the within-team view; the interval treats the "
                  "demeaned points as independent, so it is slightly too narrow.")


@reads("customer_vs_agent_team_months")
def relationship(canvas: Canvas) -> None:
    """Does the customer's satisfaction move with the agents'? Both correlations, then the
    scatter of the chosen view; a click on a point narrows every page to its team."""
    data = canvas.data
    canvas.heading("Does the customer's satisfaction move with the agents'?")
    query = data.query("customer_vs_agent_team_months")
    if missing := data.missing(query):
        canvas.no_data(missing)
        return
    canvas.caption(SCATTER_CAPTION)
    left, middle, right, least_column = canvas.columns([1, 1, 2, 1])
    measure = left.control("cva_measure", "radio")
    view = middle.control("cva_view", "radio", help=VIEW_HELP)
    lag = right.control("cva_lag", "select", help=LAG_HELP)
    least = least_column.control("cva_min_answers", "number", step=1,
                                 help="Leave out team-months with fewer agent answers than this. It starts at "
                                      f"{filters.CONTROL['cva_min_answers'].initial()}: with fewer answers a team-month's share "
                                      "is mostly noise (0 % or 100 % by chance). Never below "
                                      f"{config.min_respondents()}: team-months with fewer respondents are always "
                                      "left out, their agent figures hidden to protect respondents.")
    result = relations.relationship(data.frame(query.name), measure, lag, int(least))
    within = view == "within"
    for column, label, fit, pairs in zip(canvas.columns(2), ("Pooled r", "Within-team r"),
                                         (result.pooled, result.within), (result.pairs, result.within_pairs)):
        value, caption = relations.metric_text(fit, pairs.height)
        column.metrics([{"label": label, "value": value}])
        column.caption(caption)
    shown, fit = (result.within_pairs, result.within) if within else (result.pairs, result.pooled)
    if fit is None:
        canvas.notice("info", relations.small_n_message(shown.height))
    if shown.height:
        canvas.chart("cva_scatter", relations.scatter_figure(figures.chart_safe(shown), fit, measure, within),
                     drill=True, data=shown, csv_name="customer_vs_agent_team_month_pairs")
    canvas.caption(readings.team_month_reading(result))
    note = relations.sample_note(shown.height)
    if note and fit is not None:
        canvas.caption(note)
    if within:
        canvas.caption(WITHIN_CAPTION)
    for absent in data.absent_notes(query):
        canvas.notice("info", absent)


@reads("customer_vs_agent_mirror", "overview_customer_kpis", "overview_agent_kpis")
def side_by_side(canvas: Canvas) -> None:
    """The same scope seen from each side, with each measure's definition on both sides."""
    data = canvas.data
    canvas.heading("Customer and agent, side by side")
    canvas.caption("The same scope seen from each side. Channel and touchpoint filters apply to the customer "
                   "column only. " + relations.CAUTION)
    mirror, customer, agent = (data.frame(name).row(0, named=True) for name in
                               ("customer_vs_agent_mirror", "overview_customer_kpis", "overview_agent_kpis"))
    hidden = kpis.hidden_reason(kpis.KPIS["agent_satisfaction"], agent, config.min_respondents())
    table = relations.mirror_table(relations.mirror_figures(mirror, customer, agent), data.coverage.absent, hidden)
    canvas.table("table_customer_vs_agent_mirror", table, csv_name="customer_vs_agent_mirror")
    definitions = canvas.expander("Definitions")
    for definition in relations.mirror_definitions().splitlines():
        definitions.caption(definition)
