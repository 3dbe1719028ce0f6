"""Attrition on both sides: agent attrition and customer churn (query files with `page: attrition`),
then agents' retention curves by tenure computed in dashboard/survival.py."""

import streamlit as st

from dashboard import live, survival, ui

live.render("attrition")

st.subheader("Agent retention by tenure")
st.caption("Share of agents still employed after each month of tenure (Kaplan-Meier). A curve needs a long "
           "window, so it uses everything from the start of the store's record to the end of the period: "
           "agents hired before the record starts count only from then on (left truncation), and those still "
           "employed at the period's end are censored. Each curve stops where fewer than "
           f"{survival.MIN_AT_RISK} agents remain at risk. Site and team filters apply; channel and touchpoint "
           "do not. Association, not proof of cause.")
tenure = ui.query("attrition_agent_tenure")
missing = ui.missing_data(tenure)  # without leaving dates every curve would stay at 100 %
agents = None if missing else ui.frame(tenure.name)
SPLITS = (
    ("By agent satisfaction", "agent_surveys.satisfaction", "satisfaction_group", "satisfaction_order",
     "Satisfaction quartile",
     "Quartiles of each agent's mean survey satisfaction (1-5, all answers up to the period's end). Agents with "
     "no answer form their own group: they are mostly those who left before their first survey, so its curve "
     "falls fast by construction, and the quartiles hold only agents who stayed long enough to answer."),
    ("By manager response", "agent_requests.answered_at", "manager_group", "manager_order", "Manager",
     "A manager met the target when at least 80 % of the team's agent requests, from the start of the record "
     "to the period's end, were answered within 72 h (unanswered requests count as missed)."),
)
columns = st.columns(2)
for column, (heading, need, group, order, legend, note) in zip(columns, SPLITS):
    with column:
        st.markdown(f"**{heading}**")
        if reasons := missing or ui.store_coverage().reasons([need]):
            ui.no_data(reasons)
        elif agents.is_empty():
            st.info("No agents were employed in this scope and period.")
        elif (curves := survival.retention_curves(agents, group, order)).is_empty():
            st.info("No agent of this scope was observed for any time before the period's end.")
        else:
            st.plotly_chart(survival.retention_figure(curves, legend), key=f"retention_{group}", width="stretch")
            st.caption(note)
