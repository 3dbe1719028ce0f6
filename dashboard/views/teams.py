"""Teams and agents: CSAT by team (header-drawn, click to drill), ranked tables of teams and agents
by the Wilson lower bound of CSAT, and a funnel plot of CSAT against answers. Statistics and the
funnel figure live in dashboard.ranking."""

import streamlit as st

from dashboard import figures, live, ranking, safe_text, ui

live.render("teams")
chosen = ui.current_filters()
team_query, agent_query = ui.query("teams_team_table"), ui.query("teams_agent_table")
teams = ui.frame(team_query.name)
agents = ui.frame(agent_query.name)

st.subheader("Teams and agents ranked by CSAT")
st.caption("Ranked by the lower bound of the 95 % Wilson interval of CSAT (answers of 4-5 / all answers), so "
           "1 satisfied answer of 1 does not outrank 95 of 100. AHT = handle time / answered contacts; FCR = "
           "resolved with no repeat within 7 days / answered; escalation rate = escalated / answered. Agent "
           "satisfaction: agent-survey answers of 4-5 (a team's agents, or the agent's own answers); it follows "
           "site, team and period only. Click a column header to sort.")
level = ui.control("rank", st.segmented_control) or "team"
table = ranking.ranked_table(agents if level == "agent" else teams, level)
if table.is_empty():
    st.info("No answered contacts for these filters.")
else:
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * table.height, 560))
ui.absent_notes(agent_query if level == "agent" else team_query)

unit = "agent_name" if chosen.team else "team_name"
st.subheader(f"Funnel plot: CSAT against answers, per "
             f"{'agent of ' + safe_text.label(chosen.team) if chosen.team else 'team'}",
             help=safe_text.hover(chosen.team) if chosen.team else None)
st.caption("Each point is " + ("an agent of the team" if chosen.team else "a team") + ": its CSAT against its "
           "number of survey answers. The centre line is the overall CSAT of the scope; the curves are binomial "
           "control limits (p ± z·√(p(1-p)/n), 95 % and 99.8 %), which narrow as answers grow. A point outside "
           "them differs by more than chance alone would explain. "
           + ("Clear the team filter to compare teams." if chosen.team else "Click a team to see its agents."))
units = agents.filter(agents["team_name"] == chosen.team) if chosen.team else teams
if no_answers := ui.absent_columns(team_query).get("survey_answers"):
    ui.no_data(no_answers)
elif units.filter(units["survey_answers"] > 0).is_empty():
    st.info("No survey answers for these filters (customer_surveys joined to the contacts in scope).")
else:
    event = st.plotly_chart(ranking.funnel_figure(figures.chart_safe(units), unit), key="chart_teams_funnel",
                            width="stretch", on_select="rerun", selection_mode="points")
    team = figures.selected_team(event.selection.points if event else [], ui.choices().teams)
    if team and team != chosen.team:
        ui.drill_to(team)
