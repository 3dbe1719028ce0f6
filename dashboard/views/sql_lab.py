"""SQL lab: try SQL on the store safely, chart the result, and save it as a query file."""

import streamlit as st

from dashboard import guard, lab, lab_widgets, pages, signin, ui

person = signin.current_person()
if not person.may_use_lab():   # the navigation does not offer it; a typed address gets this
    st.error("The SQL lab is for analysts and admins.")
    st.stop()
chosen = ui.current_filters()
limits = lab_widgets.limits()
st.title(pages.get("sql-lab").page_title)
ui.caption(f"{chosen.describe()}. One query at a time (a select), read-only, with no access to the server's files; "
           f"stopped after {limits.timeout_s:g} s or {guard.megabytes(limits.memory_bytes)} of memory; the first "
           f"{limits.max_rows:,} rows, up to {guard.megabytes(limits.max_bytes)}, are shown. "
           "The sidebar filters are on offer as $date_from, $date_to, $site, $team, $channel and $touchpoint.",
           ui.scope_values(chosen))

editor, browser = st.columns([3, 1])
with browser:
    lab_widgets.schema_browser(person.scope)
with editor:
    sql = st.text_area("SQL", key="sql", height=220, placeholder=lab.EXAMPLE, bind="query-params",
                       help="The query is part of the page's link: share the link to share it.")
    st.button("Run", type="primary", icon=":material/play_arrow:", key="lab_run")
    if not (sql or "").strip():
        st.info("Type a query and press Run. Try the example in the box, or start from a table on the right.")
        st.stop()
    outcome = lab_widgets.run(sql, chosen, limits, person.scope)
    if st.session_state.get("_audited_sql") != sql:   # once per query, not on every rerun of the page
        signin.record("sql", sql=sql, outcome=outcome.kind, rows=outcome.total_rows, message=outcome.message)
        st.session_state["_audited_sql"] = sql
    lab_widgets.show_outcome(outcome)

if outcome.ok and outcome.frame.width:
    st.subheader("Chart")
    kind, x, y, color = lab_widgets.chart_picker(outcome.frame)
    with st.expander("Save as chart", icon=":material/add_chart:"):
        lab_widgets.save_as_chart(sql, kind, x, y, color)
