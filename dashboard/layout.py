"""Each page's declaration: its sections, in order. A section is a plain function drawing on a
Canvas (dashboard/canvas.py); present.query_files draws the query files whose header names the
page. The live app (dashboard/live.py) and the snapshot (dashboard/snapshot.py) both draw a page
from here, so they cannot differ."""

from __future__ import annotations

from dashboard import catalogue, pages, present
from dashboard.canvas import Canvas, PageData, Section, SectionProblem
from dashboard.sections import (
    attrition,
    customer_vs_agent,
    escalations,
    management,
    teams,
    wait_times,
)

# the overview's first screen: the customer tiles (order 10), then one mirror line
_OVERVIEW_TILES, _OVERVIEW_REST = present.query_files_split(10)

BLOCKS: dict[str, tuple[Section, ...]] = {
    "overview": (_OVERVIEW_TILES, customer_vs_agent.mirror_line, _OVERVIEW_REST),
    "customer-vs-agent": (customer_vs_agent.mirror_panel, present.query_files, customer_vs_agent.relationship,
                          customer_vs_agent.side_by_side),
    "wait-times": (present.query_files, wait_times.by_hour, wait_times.staffing_what_if),
    "escalations": (present.query_files, escalations.authority_what_if),
    "attrition": (present.query_files, attrition.retention_by_tenure),
    "management": (present.query_files, management.milestone_surveys),
    "teams": (present.query_files, teams.ranking_table, teams.funnel),
    "queries": (present.catalogue_files,),
}
# the SQL lab is a workbench, not a view: its result is downloaded as CSV, its query shared by link


def drawable_paths() -> tuple[str, ...]:
    """The pages a snapshot can draw: every page declared here, in the registry's order."""
    return tuple(path for path in pages.paths() if path in BLOCKS)


def sections(path: str) -> tuple[Section, ...]:
    """The sections of the page at `path` (a registry path, pages.py)."""
    pages.get(path)   # an unknown path is an error naming the known ones
    return BLOCKS[path]


def draw(canvas: Canvas) -> None:
    """The page's sections in order, after running together the queries they will read (planned); a
    section whose query file is missing, broken or stopped shows why, and the next one draws."""
    canvas.data.prefetch(planned(canvas.data))
    for section in sections(canvas.data.page):
        try:
            section(canvas)
        except SectionProblem as problem:
            canvas.notice("error", str(problem))


def planned(data: PageData) -> list[tuple[catalogue.Query, dict]]:
    """The queries the page's sections will read with the filters alone, each once, from each
    section's plan (canvas.reads; present.query_files). Left out: a query bound to a page control,
    whose value is known only once the control is drawn; one whose inputs the store lacks, which its
    section does not run (it says why there is no data); and a missing or broken file, which its
    section reports. Settings (catalogue.SETTING_PARAMS) are known before anything is drawn, so a
    query binding them is planned (the mirror's levers, the slowest query of two pages)."""
    known_before_drawing = set(data.chosen.as_params()) | set(catalogue.SETTING_PARAMS)
    planned: dict[tuple, tuple[catalogue.Query, dict]] = {}
    for section in sections(data.page):
        try:
            pairs = section.plan(data) if hasattr(section, "plan") else []
        except SectionProblem:
            continue
        for query, values in pairs:
            if set(query.params) <= known_before_drawing and not data.missing(query):
                planned.setdefault(catalogue.run_key(query, values), (query, values))
    return list(planned.values())
