"""Wait times: the charts whose query files say `page: wait-times`, hour-by-weekday heatmaps under a
measure picker, and an Erlang C staffing what-if (dashboard/erlang.py) seeded from the filtered data."""

import streamlit as st

from dashboard import erlang, live, ui

# measure (a column of wait_times_by_hour) -> lower is better: the red-to-green scale is then turned
# round so that green always means good
LOWER_IS_BETTER = {"service_level": False, "asa": True, "abandon_rate": True}

live.render("wait-times")

st.subheader("By hour of day and weekday")
column = ui.control("measure", st.segmented_control) or "service_level"
ui.heatmap("wait_times_by_hour", column, LOWER_IS_BETTER[column],
           "No hour of the week has 10 or more contacts for these filters.")

st.subheader("Staffing what-if (Erlang C)")
st.caption("The agents one interval needs to meet a service-level target, and what losing agents to attrition "
           "does. Erlang C treats the filtered contacts as one queue of interchangeable agents who are always on "
           "it (no breaks, no abandonment): filter to one channel for a truer picture, and add shrinkage before "
           "rostering. Grey values come from the filtered data; type over them to try others.")
staffing_query = ui.query("wait_times_staffing_inputs")
inputs = ui.frame(staffing_query.name)
found = inputs.row(0, named=True) if inputs.height and inputs["aht_s"][0] else None
ui.absent_notes(staffing_query)
cols = st.columns(5)
interval_min = ui.control("interval", cols[0].selectbox)
default_calls = max(0.1, round(found["contacts_per_hour"] * interval_min / 60, 1)) if found else None
default_aht = round(found["aht_s"]) if found else None
calls = ui.control("calls", cols[1].number_input, value=None, step=1.0, format="%.1f",
                   placeholder=str(default_calls or "")) or default_calls
aht = ui.control("aht", cols[2].number_input, value=None, placeholder=str(default_aht or "")) or default_aht
sl_pct = ui.control("sl_target", cols[3].number_input)
sl_s = ui.control("sl_within", cols[4].number_input)
if not calls or not aht:
    st.info("The what-if takes its defaults from the filtered contacts and their handle times, and has none "
            "here: enter contacts per interval and AHT above.", icon=":material/database:")
else:
    if found:
        st.caption(f"From the data: the busiest hour of the week, {found['busiest_weekday']}s "
                   f"{found['busiest_hour']:02d}:00, averaged {found['contacts_per_hour']:.1f} contacts an hour; "
                   f"answered contacts took {found['aht_s']:.0f} s on average.")
    interval_s = interval_min * 60
    needed = erlang.agents_needed(calls, aht, sl_s, sl_pct / 100, interval_s)
    plan = erlang.staffing(calls, aht, needed, sl_s, interval_s)
    st.markdown(f"**{calls:g} contacts per {interval_min} min at {aht} s AHT is {plan.traffic_erlangs:.1f} erlangs "
                f"of work. Answering {sl_pct} % within {sl_s} s takes {needed} agents:**")
    for column, tile in zip(st.columns(5), erlang.tiles(plan, sl_s)):
        column.metric(**tile, border=True)
    lost = ui.control("lost", st.slider, high=min(5, needed - 1)) if needed > 1 else 0
    short = erlang.staffing(calls, aht, needed - lost, sl_s, interval_s)
    if lost:
        st.markdown(f"**With {short.agents} agents ({lost} fewer):**")
        for column, tile in zip(st.columns(5), erlang.tiles(short, sl_s, baseline=plan)):
            column.metric(**tile, border=True)
    if not short.stable:
        st.warning(f"{short.agents} agents for {plan.traffic_erlangs:.1f} erlangs of work (agents <= traffic): "
                   "the queue grows without bound, every contact waits and waits get longer and longer.")
    table = erlang.staffing_table(calls, aht, sl_s, interval_s, up_to_agents=needed + 5)
    with st.expander(f"Service level and ASA from {table['Agents'][0]} to {needed + 5} agents"):
        st.dataframe(table, hide_index=True, width="stretch")
