"""Management and touchpoints: managers' answers to agents, agent surveys by tenure milestone,
training against outcomes, and the touchpoint scorecard. The header-drawn charts come from the
query files that say `page: management`; the milestone survey section is drawn here because its
t intervals come from scipy (dashboard.ranking)."""

import streamlit as st

from dashboard import figures, live, ranking, safe_text, ui

live.render("management")

items_query = ui.query("management_survey_items")
responses_query = ui.query("management_survey_responses")
st.subheader(safe_text.markdown(items_query.title))
st.caption(safe_text.markdown(items_query.description))
missing = ui.missing_data(items_query)
if missing:
    ui.no_data(missing)
else:
    items = ui.frame(items_query.name)
    if items.is_empty():
        st.info("No milestone survey answers for these filters (quarterly pulse answers are counted below).")
    else:
        st.plotly_chart(ranking.milestone_figure(figures.chart_safe(items)), key="chart_survey_items", width="stretch")
    ui.absent_notes(items_query)
    st.subheader(safe_text.markdown(responses_query.title))
    st.caption(safe_text.markdown(responses_query.description))
    responses = ui.frame(responses_query.name)
    if responses.is_empty():
        st.info("No agent survey answers for these filters.")
    else:
        st.dataframe(responses, hide_index=True, width="stretch")
        ui.absent_notes(responses_query)
