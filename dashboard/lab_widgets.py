"""The SQL lab page's Streamlit pieces: the guarded run (cached per store version), the schema
browser, the quick chart and "Save as chart". The logic they call is in lab.py and guard.py."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import (
    catalogue,
    config,
    figures,
    filters,
    guard,
    lab,
    pages,
    safe_text,
    sandbox,
    scopes,
    signin,
    store,
    ui,
)

TABLE = "table"
PAGES = pages.pageable_paths()   # the pages "Save as chart" may put a chart on


def time_limit() -> float:
    """The lab's time limit; a malformed setting falls back to the default, with a notice."""
    try:
        return guard.timeout_from_env()
    except ValueError as exc:
        ui.notice(st.warning, f"{exc}; using {guard.DEFAULT_TIMEOUT_S} s.")
        return float(guard.DEFAULT_TIMEOUT_S)


def limits() -> sandbox.Limits:
    """The worker's limits; a malformed setting falls back to the defaults, with a notice."""
    timeout = time_limit()
    try:
        return sandbox.Limits.from_env(timeout)
    except ValueError as exc:
        ui.notice(st.warning, f"{exc}; using the defaults.")
        return sandbox.Limits(timeout)


@st.cache_resource(show_spinner=False)
def _results(max_bytes: int) -> lab.ResultCache:
    return lab.ResultCache(max_bytes)


def _cache() -> lab.ResultCache:
    try:
        return _results(lab.cache_bytes_from_env())
    except ValueError as exc:
        ui.notice(st.warning, f"{exc}; keeping {lab.DEFAULT_CACHE_MB} MB of results.")
        return _results(lab.DEFAULT_CACHE_MB * 2**20)


def lab_store(scope: scopes.Scope = scopes.EVERYTHING):
    """The store the lab reads for a person with `scope`: only the scope's rows, agent surveys only
    as groups of enough respondents (scopes.store_for, purpose "lab")."""
    return scopes.store_for(config.store_path(), scope, "lab")


def run(sql: str, chosen: filters.Filters, chosen_limits: sandbox.Limits,
        scope: scopes.Scope = scopes.EVERYTHING) -> guard.Outcome:
    """The lab's one way to run SQL: in a worker process (sandbox.run) on the scope's lab store,
    with the global filters on offer as $parameters; kept for reruns in a cache bounded in bytes."""
    params = filters.bound_values(chosen)
    path = lab_store(scope)
    version = store.version(path)   # the lab store's own file: it changes with the store and the scope
    key = (version, sql, tuple(sorted(params.items())), chosen_limits)
    return _cache().get(key, lambda: sandbox.run(version[0], sql, params, chosen_limits))


def show_outcome(outcome: guard.Outcome) -> None:
    if not outcome.ok:
        icon = {"refused": ":material/block:", "timeout": ":material/timer_off:",
                "busy": ":material/hourglass_top:"}.get(outcome.kind, ":material/error:")
        ui.notice(st.error, outcome.message, icon=icon)   # a database message may quote the data
        return
    st.caption(safe_text.markdown(f"{outcome.message} · {outcome.seconds:.2f} s"))
    st.dataframe(outcome.frame, hide_index=True, width="stretch", height=320)
    st.download_button("Download CSV", safe_text.to_csv(outcome.frame), file_name="lab_result.csv", mime="text/csv",
                       key="lab_csv")


def chart_picker(frame: pl.DataFrame) -> tuple[str, str | None, list[str], str | None]:
    """Kind, x, y and colour chosen over the result's columns; draws the chart unless 'table'."""
    columns = frame.columns
    numeric = [c for c, t in frame.schema.items() if t.is_numeric()] or columns
    kind_col, x_col, y_col, color_col = st.columns(4)
    kind = kind_col.selectbox("Chart", [TABLE, *lab.QUICK_CHARTS], key="lab_kind")
    if kind == TABLE:
        return kind, None, [], None
    x = x_col.selectbox("x", columns, key="lab_x")
    y = y_col.multiselect("y", numeric, default=[c for c in numeric if c != x][:1], key="lab_y")
    color = color_col.selectbox("Colour", ["(none)", *[c for c in columns if c not in (x, *y)]], key="lab_color")
    color = None if color == "(none)" else color
    if not y:
        st.info("Pick at least one column for y.")
        return kind, x, y, color
    try:
        st.plotly_chart(figures.build(lab.quick_chart(kind, x, y, color), frame), key="lab_chart", width="stretch")
    except Exception as exc:  # say, a text column on a numeric axis: plotly's words, no traceback
        ui.notice(st.warning, f"Cannot draw this {kind} chart: {exc}")
    return kind, x, y, color


def save_as_chart(sql: str, kind: str, x: str | None, y: list[str], color: str | None) -> None:
    title = st.text_input("Title", key="lab_title", placeholder="Contacts per team")
    description = st.text_area("Description", key="lab_description", height=68,
                               placeholder="What the chart shows, which filters apply, what n means.")
    page_col, tags_col, name_col = st.columns(3)
    page = page_col.selectbox("Page", ["(query catalogue)", *PAGES], key="lab_page",
                              help="No page: the chart appears on the Query catalogue page, under its first tag.")
    tags = [t.strip() for t in tags_col.text_input("Tags", key="lab_tags", placeholder="volume, surveys").split(",")
            if t.strip()]
    name = name_col.text_input("File name", key="lab_name", placeholder=lab.slug(title),
                               help="Saved as NAME.sql; blank: from the title") or lab.slug(title)
    try:
        text = lab.query_file_text(sql, title, description, kind, x=x, y=y, color=color,
                                   page=None if page.startswith("(") else page, tags=tags)
    except catalogue.QueryFileError as err:
        ui.notice(st.error, f"This would not load as a query file: line {err.line}: {err.message}")
        return
    st.code(text, language="sql")
    download, write = st.columns(2)
    download.download_button("Download query file", text, file_name=f"{name}.sql", mime="text/plain",
                             key="lab_download", icon=":material/download:")
    if not signin.current_person().may_save_queries():
        write.caption("Drop the file into queries/, or ask an admin to: saving on the server is for admins.")
    elif not lab.can_save():
        write.caption(f"Drop the file into queries/. (Saving it on the server for review is off; a server turns "
                      f"it on with {lab.SAVE_ENV}=1.)")
    elif write.button("Save for review", key="lab_save", icon=":material/save:"):
        try:
            folder = config.review_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = lab.save(text, folder, name)
        except (ValueError, OSError) as exc:
            ui.notice(st.error, str(exc))
        else:
            # the folder comes from the server's settings, not from a user: plain text all the same
            ui.notice(st.success, f"Saved {path.name} in {folder}, which no page reads. It reaches viewers once "
                      "someone has checked it with python -m dashboard check and moved it into queries/.")


@st.cache_data(show_spinner=False, max_entries=4)
def _schema(version: tuple) -> tuple[pl.DataFrame, pl.DataFrame]:
    return lab.schema(ui.connection(version))


def schema_browser(scope: scopes.Scope = scopes.EVERYTHING) -> None:
    tables, columns = _schema(store.version(lab_store(scope)))
    st.markdown("**Tables**")
    for table, rows in tables.iter_rows():
        with st.expander(safe_text.markdown(f"{table} · {rows:,} rows")):
            st.dataframe(columns.filter(pl.col("table") == table).drop("table"), hide_index=True, width="stretch")
    st.markdown("**Parameters**")
    st.dataframe(pl.DataFrame({"name": [f"${n}" for n in catalogue.KNOWN_PARAMS],
                               "meaning": list(catalogue.KNOWN_PARAMS.values())}), hide_index=True, width="stretch")
    # in code spans, so "$date_from ... $team" is not read as LaTeX
    st.caption("Macros: `filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint)`, "
               "`filtered_agents($site, $team)`, `team_month_attrition(...)`, `wilson_lower(k, n)`, "
               "`wilson_upper(k, n)`.")
