"""Customer vs agent: both sides month by month, their relationship per team-month (pooled and
within team, with a lag), and a mirrored table of the two sides for the filtered scope."""

import streamlit as st

from dashboard import figures, filters, live, relations, ui

live.render("customer-vs-agent")
queries = ui.query_catalogue()  # read once: ui.frame re-reads every query file on each call


def frame(name: str):
    return ui.run(queries.get(name), filters.bound_values(ui.current_filters()))


st.subheader("Does the customer's satisfaction move with the agents'?")
query = queries.get("customer_vs_agent_team_months")
missing = ui.missing_data(query)
if missing:
    ui.no_data(missing)
else:
    st.caption("One point per team and month: agent satisfaction (share of agent survey answers of 4-5) "
               "against the customer score of the same team's contacts. Point size shows agent answers; "
               "hover for both n; click a point to narrow every page to its team. Channel and touchpoint "
               "filters narrow the customer side only. "
               + relations.CAUTION)
    left, middle, right, least_col = st.columns([1, 1, 2, 1])
    measure = ui.control("cva_measure", left.radio, horizontal=True)
    view = ui.control("cva_view", middle.radio, horizontal=True, help="Within team: each team's values minus its "
                      "own mean over the period, on both axes, so differences between teams cannot make the "
                      "correlation.")
    lag = ui.control("cva_lag", right.selectbox, help="Pairs a team's agent satisfaction in one month with the same "
                     "team's customer score that many months later (or earlier); months without a partner drop out.")
    least = ui.control("cva_min_answers", least_col.number_input, step=1,
                       help="Leave out team-months with fewer agent answers than this.")
    result = relations.relationship(frame(query.name), measure, lag, int(least))
    within = view == "within"
    pooled_col, within_col = st.columns(2)
    for column, label, fit, pairs in ((pooled_col, "Pooled r", result.pooled, result.pairs),
                                      (within_col, "Within-team r", result.within, result.within_pairs)):
        value, caption = relations.metric_text(fit, pairs.height)
        column.metric(label, value, border=True)
        column.caption(caption)
    shown, fit = (result.within_pairs, result.within) if within else (result.pairs, result.pooled)
    if fit is None:
        st.info(relations.small_n_message(shown.height), icon=":material/info:")
    if shown.height:
        figure = relations.scatter_figure(figures.chart_safe(shown), fit, measure, within)
        event = st.plotly_chart(figure, key="cva_scatter", width="stretch", on_select="rerun", selection_mode="points")
        team = figures.selected_team(event.selection.points if event else [], ui.choices().teams)
        if team and team != ui.current_filters().team:
            ui.drill_to(team)
    note = relations.sample_note(shown.height)
    if note and fit is not None:
        st.caption(note)
    if within:
        st.caption("Teams with a single team-month are left out of the within-team view; the interval treats "
                   "the demeaned points as independent, so it is slightly too narrow.")
    ui.absent_notes(query)

st.subheader("Customer and agent, side by side")
st.caption("The same scope seen from each side. Channel and touchpoint filters apply to the customer column "
           "only. " + relations.CAUTION)
mirror = frame("customer_vs_agent_mirror").row(0, named=True)
customer_kpis = frame("overview_customer_kpis").row(0, named=True)
agent_kpis = frame("overview_agent_kpis").row(0, named=True)
table = relations.mirror_table(relations.mirror_figures(mirror, customer_kpis, agent_kpis), ui.store_coverage().absent)
st.dataframe(table, hide_index=True, width="stretch")
with st.expander("Definitions"):
    st.markdown(relations.mirror_definitions())
