"""The page registry: every page of the app, in navigation order. The one place a page's URL path,
title and view file are spelled; navigation (app.py), the page headings (live.render), the SQL
lab's "Save as chart" choices, `check` (a query header's `page:`) and the tests all read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# not "pages/": beside app.py that name switches on Streamlit's legacy multipage mode, which runs a
# page alone (without app.py) when its path is a fresh server's first request
VIEWS = Path(__file__).parent / "views"


@dataclass(frozen=True)
class Page:
    path: str                 # the URL path: /overview, /wait-times
    title: str                # in the navigation
    icon: str
    section: str              # the navigation's group
    view: str                 # the script in dashboard/views/
    pageable: bool = True     # a query file's header may name it with `page:`
    heading: str = ""         # the page's own title when longer than the navigation's

    @property
    def page_title(self) -> str:
        return self.heading or self.title

    @property
    def view_path(self) -> Path:
        return VIEWS / self.view


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", ":material/dashboard:", "Executive", "overview.py"),
    Page("customer-vs-agent", "Customer vs agent", ":material/compare_arrows:", "Analysis", "customer_vs_agent.py"),
    Page("wait-times", "Wait times", ":material/hourglass:", "Analysis", "wait_times.py"),
    Page("escalations", "Escalations", ":material/stairs:", "Analysis", "escalations.py",
         heading="Escalations and empowerment"),
    Page("attrition", "Attrition", ":material/logout:", "Analysis", "attrition.py",
         heading="Attrition on both sides"),
    Page("management", "Management", ":material/supervisor_account:", "Analysis", "management.py",
         heading="Management and touchpoints"),
    Page("teams", "Teams and agents", ":material/groups:", "Analysis", "teams.py"),
    # their content is not drawn from `page:` headers: the catalogue shows the files that name no page
    Page("queries", "Query catalogue", ":material/list:", "Analysts", "queries.py", pageable=False),
    Page("sql-lab", "SQL lab", ":material/terminal:", "Analysts", "sql_lab.py", pageable=False),
)

# the page served at "/" (Streamlit's default page); app.py also serves it at its own path
DEFAULT = PAGES[0]


def get(path: str) -> Page:
    for page in PAGES:
        if page.path == path:
            return page
    raise KeyError(f"no page '{path}' (known: {', '.join(paths())})")


def paths() -> tuple[str, ...]:
    return tuple(page.path for page in PAGES)


def pageable_paths() -> tuple[str, ...]:
    """The pages a query header's `page:` may name."""
    return tuple(page.path for page in PAGES if page.pageable)


def sections() -> dict[str, list[Page]]:
    """The pages by navigation section, both in registry order."""
    out: dict[str, list[Page]] = {}
    for page in PAGES:
        out.setdefault(page.section, []).append(page)
    return out
