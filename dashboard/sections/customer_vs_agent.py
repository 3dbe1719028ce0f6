"""The customer-vs-agent page's Python sections: the team-month relationship (pooled and within
team, with a lag) and the mirrored table of both sides. Statistics and figures: dashboard.relations."""

from __future__ import annotations

from dashboard import config, figures, kpis, relations
from dashboard.canvas import Canvas

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
    note = relations.sample_note(shown.height)
    if note and fit is not None:
        canvas.caption(note)
    if within:
        canvas.caption(WITHIN_CAPTION)
    for absent in data.absent_notes(query):
        canvas.notice("info", absent)


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
