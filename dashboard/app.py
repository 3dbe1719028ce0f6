"""Entry point: page config, global filters, navigation. Nothing else lives here."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run dashboard/app.py` from anywhere

import streamlit as st  # noqa: E402

import duckdb  # noqa: E402

from dashboard import access, config, pages, signin, store, ui  # noqa: E402

st.set_page_config(page_title="Contact centre mirror", page_icon=":material/balance:", layout="wide")
person = signin.gate()   # stops here for a server exposed without sign-in, a stranger, or nobody signed in

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

# the default page's reserved url_path: never served (Streamlit serves that page at "/"), so never linked
ROOT_URL_PATH = "root"


def streamlit_pages() -> dict[str, list[st.Page]]:
    """st.navigation's sections, from the page registry (pages.py), in its order.

    Streamlit serves its default page at "/" only: the page's own url_path is reserved but answers
    "Page not found". So the default page is registered twice, both running the same view: visibly
    as the default (at "/", named by ROOT_URL_PATH, which no link uses) and hidden at its registry
    path, so that /overview?team=... opens the overview directly, with no redirect to lose the
    query string. Both are plain st.Page features (one file under two url_paths, visibility)."""
    sections: dict[str, list[st.Page]] = {}
    for page in pages.PAGES:
        if not access.may_open(person, page.path):
            continue
        is_default = page is pages.DEFAULT
        sections.setdefault(page.section, []).append(
            st.Page(page.view_path, title=page.title, icon=page.icon,
                    url_path=ROOT_URL_PATH if is_default else page.path, default=is_default))
    home = pages.DEFAULT
    sections[home.section].append(st.Page(home.view_path, title=home.title, icon=home.icon, url_path=home.path,
                                          visibility="hidden"))
    return sections


navigation = st.navigation(streamlit_pages())
try:
    ui.sidebar_filters()
    navigation.run()
except duckdb.IOException as exc:   # the store opened but a block of it cannot be read (cut short on disk)
    st.error(str(store.unreadable(config.store_path(), exc)), icon=":material/error:")
