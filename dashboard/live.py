"""The live renderer: a page's sections (dashboard/layout.py) drawn with Streamlit through
LiveCanvas, the Canvas of dashboard/canvas.py. The one place, with ui.py and app.py, that knows
Streamlit. Texts go through safe_text: data and URL values are never read as markdown."""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence

import polars as pl
import streamlit as st

from dashboard import (
    audit,
    figures,
    filters,
    kpis,
    layout,
    nodata,
    pages,
    present,
    safe_text,
    signin,
    snapshot,
    ui,
)
from dashboard.canvas import PageData

NOTICE_ICONS = {"info": ":material/info:", "warning": ":material/warning:", "error": ":material/error:"}
WIDGETS = {"radio": "radio", "segmented": "segmented_control", "select": "selectbox", "number": "number_input",
           "slider": "slider"}


def page_data(path: str) -> PageData:
    """The live app's PageData: the sidebar's filters, the cached choices, coverage and runner."""
    return PageData(page=path, chosen=ui.current_filters(), choices=ui.choices(), coverage=ui.store_coverage(),
                    catalogue=ui.query_catalogue(), runner=ui.run, prefetcher=ui.prefetch)


def render(path: str) -> None:
    """The page at `path`: its title, the filters in force, then each of its sections in order.
    A section whose query file is missing, broken or stopped shows why, and the next one draws."""
    data = page_data(path)
    chosen = data.chosen
    _record_page_open(path)
    st.title(pages.get(path).page_title)
    # one row that stays a row on a phone (columns would stack, pushing the first chart down)
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    ui.caption(chosen.describe(), ui.scope_values(chosen), where=row)
    if chosen.team and row.button("Back to all teams", icon=":material/arrow_back:", key="drill_back"):
        ui.drill_to(filters.ALL)
    # the two buttons wrap as one: on a phone they share the line under the period, not a line each
    share = row.container(horizontal=True, width="content", gap="small", vertical_alignment="center")
    draw = LiveCanvas(data)
    layout.draw(draw)
    # last, into the row at the top: the page's controls have written their values into the URL by now
    _share(path, share)


def link(path: str) -> str:
    """The address of this view: the app's URL, the page's path and every filter and control."""
    address = urllib.parse.urlsplit(st.context.url or "")
    folders = [part for part in address.path.split("/") if part]
    if folders and folders[-1] in pages.paths():   # st.context.url keeps the page's own path
        folders.pop()
    base = urllib.parse.urlunsplit((address.scheme, address.netloc, "/".join(["", *folders]), "", ""))
    query = _link_query()
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if query else "")


def _link_values() -> dict[str, list[str]]:
    """The address bar's parameters, every value of each (a key may repeat)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _link_query() -> str:
    """The address bar's query string, every value of each key."""
    return urllib.parse.urlencode(_link_values(), doseq=True)


def _share(path: str, where) -> None:
    """Copy link (the address of the whole view, in a box with a copy button) and Snapshot."""
    with where.popover("Copy link", icon=":material/link:"):
        st.caption("Anyone who opens this link sees this page with these filters and settings.")
        st.code(link(path), language=None, wrap_lines=True)
    _snapshot_button(path, where)


def _record_page_open(path: str) -> None:
    """An audit line when this session opens a page or changes its link (not on every rerun)."""
    query = _link_query()
    if st.session_state.get("_audited_view") != (path, query):
        signin.record("page", path=path, query=query)
        st.session_state["_audited_view"] = (path, query)


def audited(event: str, make, **fields):
    """A download's content, made when the reader asks for it, after an audit line says who took
    what; when the log cannot be written the file says so instead (a download has nowhere else to)."""
    person = signin.current_person()

    def content():
        try:
            audit.record(event, person.email or person.name, **fields)
        except audit.AuditUnavailable as exc:
            return f"Not downloaded: {exc}\n"
        return make()
    return content


def _snapshot_button(path: str, where) -> None:
    """The page as one HTML file for the link on screen, written only when asked for (a callable)."""
    values = _link_values()
    scope = signin.current_person().scope
    where.download_button("Snapshot", audited("snapshot", lambda: snapshot.render_or_explain(path, values, scope),
                                              page=path, query=_link_query()),
                          file_name=present.export_file_name(path, ui.current_filters(), "html"),
                          mime="text/html", icon=":material/download:", key="snapshot", on_click="ignore",
                          help="Download this page, as shown, as one HTML file that opens without the app "
                               "or a network: tiles, interactive charts, tables, filters and when it was taken.")


class LiveCanvas:
    """canvas.Canvas drawn with Streamlit into `where` (the page, a column or an expander)."""

    def __init__(self, data: PageData, where=st):
        self.data, self.where = data, where

    def heading(self, text: str, help: str | None = None) -> None:
        shown = safe_text.shorten_within(text, ui.scope_values(self.data.chosen))
        self.where.subheader(safe_text.markdown(shown),
                             help=safe_text.markdown(help or text) if help or shown != text else None)

    def group(self, text: str) -> None:
        self.where.header(safe_text.label(text), divider="gray", help=safe_text.hover(text))

    def caption(self, text: str) -> None:
        ui.caption(text, ui.scope_values(self.data.chosen), where=self.where)

    def strong(self, text: str) -> None:
        self.where.markdown(f"**{safe_text.markdown(text)}**")

    def notice(self, level: str, text: str) -> None:
        ui.notice(getattr(self.where, level), text, ui.scope_values(self.data.chosen), icon=NOTICE_ICONS[level])

    def no_data(self, reasons: Sequence[str]) -> None:
        self.where.info(safe_text.markdown(nodata.message(list(reasons))), icon=":material/database:")

    def tiles(self, title: str, caption: str, tiles: Sequence[kpis.Tile]) -> None:
        self.heading(title)
        self.where.caption(safe_text.markdown(caption))
        # a wrapping row of equal tiles: as many as fit side by side (six on a laptop, two on a phone),
        # where fixed columns would put one tile per row on a phone and cut labels on a laptop
        row = self.where.container(horizontal=True, gap="small")
        for tile in tiles:
            with row.container(width="stretch"):
                _tile(tile)

    def metrics(self, metrics: Sequence[dict]) -> None:
        for column, metric in zip(self.where.columns(len(metrics)), metrics):
            column.metric(**metric, border=True)

    def chart(self, key: str, figure, *, drill: bool = False, data: pl.DataFrame | None = None,
              csv_name: str | None = None) -> None:
        if drill:
            event = self.where.plotly_chart(figure, key=key, width="stretch", on_select="rerun",
                                            selection_mode="points")
            team = figures.selected_team(event.selection.points if event else [], self.data.choices.teams)
            if team and team != self.data.chosen.team:
                ui.drill_to(team)
        else:
            self.where.plotly_chart(figure, key=key, width="stretch")
        if data is not None:
            self.expander("Data").table(f"data_{key}", data, csv_name=csv_name)

    def table(self, key: str, frame: pl.DataFrame, *, csv_name: str | None = None, height: int | None = None) -> None:
        self.where.dataframe(frame, hide_index=True, width="stretch", height=height or "auto", key=key)
        if csv_name:
            name = present.export_file_name(csv_name, self.data.chosen)
            self.where.download_button("Download CSV", audited("download", lambda: safe_text.to_csv(frame),
                                                               page=self.data.page, file=name),
                                       file_name=name, mime="text/csv", key=f"csv_{key}", on_click="ignore")

    def columns(self, spec: int | Sequence[float]) -> list[LiveCanvas]:
        return [LiveCanvas(self.data, column) for column in self.where.columns(spec)]

    def expander(self, title: str) -> LiveCanvas:
        return LiveCanvas(self.data, self.where.expander(safe_text.markdown(title)))

    def control(self, key: str, widget: str, *, high: float | None = None, **hints) -> object:
        if widget == "radio":
            hints.setdefault("horizontal", True)
        value = ui.control(key, getattr(self.where, WIDGETS[widget]), high=high, **hints)
        self.data.controls[key] = value
        return value


def _tile(tile: kpis.Tile) -> None:
    """One KPI: the figure, its n, the change (or why there is none) and the target (or why the
    figure is missing). Texts from data go through st.caption as plain strings."""
    st.metric(
        tile.kpi.tile_label, tile.value_text(),
        delta=None if tile.delta is None else tile.kpi.format_delta(tile.delta),
        delta_color="off" if tile.delta_is_zero else ("normal" if tile.kpi.higher_is_better else "inverse"),
        help=f"{tile.kpi.label}: {tile.kpi.formula}. Previous period: {tile.kpi.format(tile.previous)}.",
        border=True,
    )
    if tile.hidden:
        st.caption(f"{tile.hidden.capitalize()}.")
        return
    if tile.no_data:
        st.caption(f"No data: {tile.no_data}.")
        return
    mark = {True: ":green[●] ", False: ":red[●] ", None: ""}[tile.meets_target]
    # the target and the n on lines of their own: run together they wrapped mid-phrase ("n =" / "50,616")
    st.caption(f"{mark}{tile.target_text()}  \n{tile.n_text()}")
    if tile.no_comparison:
        st.caption(f"No comparison: {tile.no_comparison}.")
