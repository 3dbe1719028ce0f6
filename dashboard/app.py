"""Entry point: page config, global filters, navigation. Nothing else lives here."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run dashboard/app.py` from anywhere

import streamlit as st  # noqa: E402

import duckdb  # noqa: E402

from dashboard import config, store, ui  # noqa: E402

st.set_page_config(page_title="Contact centre mirror", page_icon=":material/balance:", layout="wide")

try:
    outdated = ui.schema_problems()
except store.StoreMissing:
    st.error(f"No store at {config.store_path()}. Run `make run` (it builds the demo) or "
             "`python -m dashboard demo`, or point DASHBOARD_DB at a store.")
    st.stop()
except store.StoreUnreadable as unreadable:   # truncated, garbage, a folder, a folder we may not enter
    st.error(str(unreadable), icon=":material/error:")
    st.stop()
if outdated:
    st.error(f"The store at {config.store_path()} was built by an older version and lacks {', '.join(outdated)}. "
             "Rebuild it with `make demo` (or re-import your data).")
    st.stop()

# not "pages/": beside the main script that name switches on Streamlit's legacy multipage mode, which
# runs a page alone (without this file) when its path is a fresh server's first request
PAGES = Path(__file__).parent / "views"
navigation = st.navigation({
    "Executive": [
        st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
    ],
    "Analysis": [
        st.Page(PAGES / "customer_vs_agent.py", title="Customer vs agent", icon=":material/compare_arrows:",
                url_path="customer-vs-agent"),
        st.Page(PAGES / "wait_times.py", title="Wait times", icon=":material/hourglass:", url_path="wait-times"),
        st.Page(PAGES / "escalations.py", title="Escalations", icon=":material/stairs:", url_path="escalations"),
        st.Page(PAGES / "attrition.py", title="Attrition", icon=":material/logout:", url_path="attrition"),
        st.Page(PAGES / "management.py", title="Management", icon=":material/supervisor_account:",
                url_path="management"),
        st.Page(PAGES / "teams.py", title="Teams and agents", icon=":material/groups:", url_path="teams"),
    ],
    "Analysts": [
        st.Page(PAGES / "queries.py", title="Query catalogue", icon=":material/list:", url_path="queries"),
        st.Page(PAGES / "sql_lab.py", title="SQL lab", icon=":material/terminal:", url_path="sql-lab"),
    ],
})
try:
    ui.sidebar_filters()
    navigation.run()
except duckdb.IOException as exc:   # the store opened but a block of it cannot be read (cut short on disk)
    st.error(str(store.unreadable(config.store_path(), exc)), icon=":material/error:")
