"""`python -m dashboard bench`: how fast every page is, at several store sizes, measured the ways a
reader meets it.

For each size it builds a demo store in --db-dir (in a child process, for its build time and peak
memory) or reuses the one built there before (demo-<size>.duckdb), then for every page of the
registry (dashboard/layout.py) and two sets of filters (the defaults, and one team for one month):

- cold_ms: the page's queries and figures as the app makes them for filters it has not seen (its
  result cache empty for them; the store's connection, coverage and choices already open, as they
  are after the first page). Figures are serialised as Streamlit sends them (plotly JSON, Arrow).
- warm_ms: the same again with the results cached, as on a rerun (figures are rebuilt every run).
- duckdb_ms: DuckDB alone running the same SQL with the same bound values, one after the other.
- browser_open_ms, browser_filter_ms: the page in Chromium, opened from a link, then the team
  filter changed (to a team not asked for before, so the server computes it afresh), against a
  "baseline" row: the SQL lab with no query typed, a page that runs no page query.
- peak_rss_mb: the server's peak resident memory (itself and its children) while serving the page.

plus the store's build time, size and peak memory, and "the pandas way" for the overview
(dashboard/bench_pandas.py): the tables loaded into pandas, then the customer KPIs computed there;
its KPIs are checked against the overview's own (kpis_equal_sql in the JSON).

Timings are wall-clock on a shared machine: compare rows of one run. Nothing here asserts a time."""

from __future__ import annotations

import argparse
import calendar
import contextlib
import dataclasses
import datetime as dt
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import plotly.io as pio
import polars as pl

from dashboard import catalogue, config, coverage, filters, layout, nodata, pages, serving, store
from dashboard.canvas import PageData
from dashboard.snapshot import HtmlCanvas

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_DIR = Path("data/bench")
BASELINE = "baseline"            # the browser's no-query page: the SQL lab with nothing typed
BASELINE_PATH = "sql-lab"
PANDAS_PAGE = "overview (pandas)"
PANDAS_OF = "overview"
FIELDS = ("kind", "page", "interactions", "filter", "filter_text", "cold_ms", "warm_ms", "duckdb_ms",
          "browser_open_ms", "browser_filter_ms", "peak_rss_mb", "queries", "figures", "slowest_query",
          "slowest_query_ms", "errors", "build_s", "size_mb", "build_peak_mb", "reused", "load_ms",
          "kpis", "kpis_equal_sql", "kpi_mismatches", "skipped")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
BROWSER_TIMEOUT_MS = 120_000
# Whether the rerun a team pick started has finished drawing: the page's first caption (the filters in
# force, "01 Oct 2025 to 31 Dec 2025 · Aurora") names the team, or the app was seen running since the
# pick; and the app is idle. The caption is needed because a rerun fast enough (the SQL lab's) may go
# from running to idle within one render, so the browser never shows the running state to watch for.
RERUN_DRAWN_JS = """team => {
    const app = document.querySelector("[data-testid='stApp']");
    const caption = document.querySelector("[data-testid='stMain'] [data-testid='stCaptionContainer']");
    const named = !!caption && caption.innerText.split(" · ").some(
        part => part === team || part.startsWith(team + ". "));
    return (window.__benchReran || named) && app.getAttribute('data-test-script-state') === 'notRunning';
}"""
SERVER_STARTUP_S = 90


class BenchError(Exception):
    """Something the bench cannot go on without (a store it cannot build or read, no browser): the
    message says what and where."""


def row(kind: str, page: str | None, interactions: int, filter_label: str | None = None, **values) -> dict:
    """One JSON row: every field present, None where not measured."""
    out = dict.fromkeys(FIELDS)
    out.update(kind=kind, page=page, interactions=interactions, filter=filter_label, **values)
    return out


# ---------------------------------------------------------------- stores

def store_file(db_dir: Path, interactions: int) -> Path:
    return db_dir / f"demo-{interactions}.duckdb"


def _build_record(path: Path) -> Path:
    return path.with_name(path.name + ".build.json")


def ensure_store(db_dir: Path, interactions: int, seed: int) -> dict:
    """The store row: the demo store of that size, built now in a child process (its wall time and
    peak memory from the kernel's accounting of that child) or reused from an earlier run, whose
    build figures were recorded beside it."""
    path = store_file(db_dir, interactions)
    record = _build_record(path)
    if path.exists():
        with contextlib.suppress(store.StoreUnreadable, OSError, ValueError):
            with contextlib.closing(store.open_read_only(path)) as con:
                if not store.schema_problems(con):
                    built = json.loads(record.read_text()) if record.exists() else {}
                    return row("store", None, interactions, build_s=built.get("build_s"),
                               build_peak_mb=built.get("build_peak_mb"), size_mb=_size_mb(path), reused=True)
    db_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "dashboard", "demo", "--interactions", str(interactions),
               "--seed", str(seed), "--db", str(path)]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(command, cwd=ROOT, env=_child_env(), stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        build_s = time.perf_counter() - started
        if child.returncode != 0:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-1500:]
            raise BenchError(f"building the demo store {path} ({interactions:,} contacts) failed: {tail.strip()}")
    built = {"build_s": round(build_s, 2), "build_peak_mb": round(usage.ru_maxrss / 1024, 1)}   # kB on Linux
    record.write_text(json.dumps(built))
    return row("store", None, interactions, **built, size_mb=_size_mb(path), reused=False)


LAB_STORE = "lab-store"


def derive_lab_store(db: Path, interactions: int) -> dict:
    """The whole company's SQL-lab file (scopes.store_for), derived before the server starts, in a
    child process for its time and peak memory: the first visit to the lab derives it otherwise,
    and at 100M contacts that takes minutes (the baseline page would time out in Chromium). Kept
    beside the store like any derived file: a later run finds it and its row says reused."""
    code = "import sys; from dashboard import scopes; print(scopes.store_for(sys.argv[1], scopes.Scope(), 'lab'))"
    started_at, started = time.time(), time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen([sys.executable, "-c", code, str(db)], cwd=ROOT, env=_child_env(), stdout=out,
                                 stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        said = out.read().decode(errors="replace").strip().splitlines() or [""]
    if os.waitstatus_to_exitcode(status) != 0:
        return row(LAB_STORE, None, interactions, errors=[f"the lab's file: {said[-1]}"])
    derived = Path(said[-1])
    return row(LAB_STORE, None, interactions, build_s=round(seconds, 2), size_mb=round(os.path.getsize(derived) / 1e6, 1),
               build_peak_mb=round(usage.ru_maxrss / 1024, 1), reused=derived.stat().st_mtime < started_at)


def _size_mb(path: Path) -> float:
    return round(os.path.getsize(store.version(path)[0]) / 1e6, 1)


def _child_env(**extra: str) -> dict:
    """This worktree's package first on the path, whatever the caller's folder."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **extra}


# ---------------------------------------------------------------- filters

@dataclasses.dataclass(frozen=True)
class Scope:
    label: str
    chosen: filters.Filters

    def link(self, team: str | None = None) -> dict[str, str]:
        """The URL query parameters that select these filters (filters.URL_KEYS)."""
        chosen = self.chosen if team is None else dataclasses.replace(self.chosen, team=team)
        params = {"from": chosen.date_from.isoformat(), "to": chosen.date_to.isoformat()}
        params.update({key: getattr(chosen, key) for key in ("site", "team", "channel", "touchpoint")
                       if getattr(chosen, key)})
        return params


def scopes_of(choices: filters.Choices) -> list[Scope]:
    """The default filters, and a narrow one: the first team, the first month of the default period."""
    default = choices.defaults()
    narrow = filters.Filters(*_month_of(default.date_from, default.date_to), team=choices.teams_at(None)[0])
    return [Scope("default", default), Scope("narrow", narrow)]


def warm_up_scope(choices: filters.Choices) -> Scope:
    """Filters no timed row uses (the last team, the default period's last month), drawn once, untimed,
    before the timings: a process's first drawing of a page pays for imports and first-use set-up
    that the app pays once, not on each new filter."""
    default = choices.defaults()
    start = default.date_to.replace(day=1)
    return Scope("warm-up", filters.Filters(*_month_of(max(start, default.date_from), default.date_to),
                                            team=choices.teams_at(None)[-1]))


def _month_of(start: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """From start to the end of its month, or to last if sooner."""
    return start, min(dt.date(start.year, start.month, calendar.monthrange(start.year, start.month)[1]), last)


# ---------------------------------------------------------------- in-process page timings

class BenchCanvas(HtmlCanvas):
    """The snapshot's canvas, but each chart and table serialised as the live app sends it to the
    browser (st.plotly_chart: plotly JSON; st.dataframe: Arrow), not as HTML."""

    def __init__(self, data: PageData, link=None):
        super().__init__(data, link or {})
        self.drawn = {"figures": 0}   # shared with its columns and expanders
        self.errors: list[str] = []

    def notice(self, level: str, text: str) -> None:
        if level == "error":
            self.errors.append(text)
        super().notice(level, text)

    def chart(self, key: str, figure, *, drill: bool = False, data: pl.DataFrame | None = None,
              csv_name: str | None = None) -> None:
        self.drawn["figures"] += 1
        pio.to_json(figure, validate=False)
        if data is not None:
            self.table(f"data_{key}", data)

    def table(self, key: str, frame: pl.DataFrame, *, csv_name: str | None = None, height: int | None = None) -> None:
        self.drawn["figures"] += 1
        frame.to_arrow()   # st.dataframe sends Arrow IPC; the conversion is the part that grows with rows

    def columns(self, spec):
        inner = super().columns(spec)
        return [self._share(column) for column in inner]

    def expander(self, title: str):
        return self._share(super().expander(title))

    def _share(self, inner: HtmlCanvas) -> BenchCanvas:
        shared = BenchCanvas(inner.data, inner.link)
        shared.parts, shared.used_controls, shared.reported = inner.parts, inner.used_controls, inner.reported
        shared.errors, shared.drawn = self.errors, self.drawn
        return shared


@dataclasses.dataclass
class Drawn:
    ms: float
    executed: list[tuple[catalogue.Query, dict]]
    query_ms: dict[str, float]
    figures: int
    errors: list[str]


class PageBench:
    """Draws pages the way the live app does, on one open store, with a result cache of the app's
    shape (store, SQL text, bound values) that the caller empties to make filters new."""

    def __init__(self, db: Path):
        self.con = store.open_read_only(db)
        self.held = coverage.read(self.con)
        self.choices = filters.read_choices(self.con)
        self.cache: dict[tuple, pl.DataFrame] = {}

    def close(self) -> None:
        self.con.close()

    def draw(self, path: str, chosen: filters.Filters) -> Drawn:
        executed: list[tuple[catalogue.Query, dict]] = []
        query_ms: dict[str, float] = {}

        def run(query: catalogue.Query, values: dict) -> pl.DataFrame:
            bound, key = query.bind(values), catalogue.run_key(query, values)
            if key not in self.cache:
                started = time.perf_counter()
                self.cache[key] = catalogue.execute(self.con, query, values)
                query_ms[query.name] = query_ms.get(query.name, 0.0) + (time.perf_counter() - started) * 1000
            executed.append((query, bound))
            return nodata.blank(query, self.cache[key], self.held)   # as ui.run: outside the cache

        started = time.perf_counter()
        data = PageData(page=path, chosen=chosen, choices=self.choices, coverage=self.held,
                        catalogue=catalogue.load(config.queries_dir()), runner=run,   # read every run, as ui does
                        prefetcher=lambda planned: catalogue.run_together(planned, run, config.query_workers()))
        canvas = BenchCanvas(data)
        layout.draw(canvas)
        ms = (time.perf_counter() - started) * 1000
        return Drawn(ms, executed, query_ms, canvas.drawn["figures"], canvas.errors)

    def duckdb_ms(self, executed: list[tuple[catalogue.Query, dict]]) -> float:
        """The same SQL with the same bound values, each distinct one once, DuckDB alone, read as the
        app reads rows (store.rows), one query after another."""
        distinct = {(query.sql, tuple(sorted(bound.items()))): (query.sql, bound) for query, bound in executed}
        started = time.perf_counter()
        for sql, bound in distinct.values():
            cursor = self.con.cursor()
            try:
                store.rows(cursor, sql, bound or None)
            finally:
                cursor.close()
        return (time.perf_counter() - started) * 1000


def measure_pages(db: Path, interactions: int, page_paths: list[str], repeat: int) -> tuple[list[dict], dict]:
    """The in-process rows of every page and scope; and the overview's KPI values per scope (for the
    pandas check)."""
    bench = PageBench(db)
    rows, kpi_values = [], {}
    try:
        scopes = scopes_of(bench.choices)
        warm_up = warm_up_scope(bench.choices).chosen
        for path in page_paths:
            bench.draw(path, warm_up)
        for path in page_paths:
            for scope in scopes:
                bench.cache.clear()   # filters the app has not seen: every query runs
                cold = bench.draw(path, scope.chosen)
                warm = [bench.draw(path, scope.chosen).ms for _ in range(repeat)]
                engine = [bench.duckdb_ms(cold.executed) for _ in range(repeat)]
                slowest = max(cold.query_ms.items(), key=lambda item: item[1], default=(None, None))
                rows.append(row("page", path, interactions, scope.label, filter_text=scope.chosen.describe(),
                                cold_ms=_ms(cold.ms), warm_ms=_ms(statistics.median(warm)),
                                duckdb_ms=_ms(statistics.median(engine)),
                                queries=len({(q.sql, tuple(sorted(b.items()))) for q, b in cold.executed}),
                                figures=cold.figures, slowest_query=slowest[0], slowest_query_ms=_ms(slowest[1]),
                                errors=cold.errors))
        for scope in scopes:
            kpi_values[scope.label] = overview_kpis(bench, scope.chosen)
    finally:
        bench.close()
    return rows, kpi_values


CHECK_TIMEOUT_S = 600.0


def overview_kpis(bench: PageBench, chosen: filters.Filters) -> dict:
    """The overview's KPI tiles' values for the filters, from its own query files (whichever they are).
    A check, not a page: no page time limit (a busy machine at 100M contacts passed 5 s and the whole
    run stopped)."""
    values: dict = {}
    for query in catalogue.load(config.queries_dir()).for_page(PANDAS_OF):
        if query.spec.kind == "kpi":
            frame = nodata.blank(query, catalogue.execute(bench.con, query, chosen.as_params(),
                                                          timeout_s=CHECK_TIMEOUT_S), bench.held)
            if frame.height:
                values.update(frame.row(0, named=True))
    return values


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ---------------------------------------------------------------- the pandas way

# What the pandas way holds per contact once loaded (4.3 GB at 10M contacts, measured): a store whose
# tables would not fit in half the memory free now is not loaded, so the bench cannot push the machine
# into swapping or the out-of-memory killer; its row says why instead.
PANDAS_BYTES_PER_CONTACT = 450


def available_bytes() -> int:
    """MemAvailable from /proc/meminfo (bytes); the whole machine where that is unreadable."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def measure_pandas(db: Path, interactions: int, scopes: list[Scope], sql_kpis: dict, repeat: int) -> list[dict]:
    """The overview's customer KPIs the pandas way, in a child process (its own peak memory)."""
    needed = interactions * PANDAS_BYTES_PER_CONTACT
    if needed > available_bytes() / 2:
        why = (f"not run: the pandas way would hold about {needed / 1e9:.0f} GB, more than half the "
               f"{available_bytes() / 1e9:.0f} GB free")
        return [row("pandas", PANDAS_PAGE, interactions, scope.label, filter_text=scope.chosen.describe(),
                    skipped=why) for scope in scopes]
    wanted = {scope.label: {k: (v.isoformat() if isinstance(v, dt.date) else v)
                            for k, v in scope.chosen.as_params().items()} for scope in scopes}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(wanted, f)
    try:
        done = subprocess.run([sys.executable, "-m", "dashboard.bench_pandas", store.version(db)[0], f.name,
                               str(repeat)], cwd=ROOT, env=_child_env(), capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    if done.returncode != 0:
        raise BenchError(f"the pandas way failed on {db}: {done.stderr.strip()[-1500:]}")
    result = json.loads(done.stdout)
    rows = []
    for scope in scopes:
        measured = result["filters"][scope.label]
        mismatches = kpi_mismatches(measured["kpis"], sql_kpis.get(scope.label, {}))
        rows.append(row("pandas", PANDAS_PAGE, interactions, scope.label, filter_text=scope.chosen.describe(),
                        cold_ms=_ms(result["load_ms"] + measured["first_ms"]), warm_ms=_ms(measured["median_ms"]),
                        load_ms=_ms(result["load_ms"]), peak_rss_mb=round(result["peak_mb"], 1),
                        kpis=measured["kpis"], kpis_equal_sql=not mismatches, kpi_mismatches=mismatches))
    return rows


def kpi_mismatches(from_pandas: dict, from_sql: dict) -> list[str]:
    """Each KPI (and n) the pandas way computed whose value differs from the page's, in words."""
    out = []
    for name, value in from_pandas.items():
        if name not in from_sql:
            out.append(f"{name}: no overview KPI query returns it")
            continue
        theirs = from_sql[name]
        if value is None or theirs is None:
            if value is not theirs and not (value is None and theirs is None):
                out.append(f"{name}: pandas {value}, SQL {theirs}")
        elif not math.isclose(float(value), float(theirs), rel_tol=1e-9, abs_tol=1e-9):
            out.append(f"{name}: pandas {value}, SQL {theirs}")
    return out


# ---------------------------------------------------------------- the browser

@contextlib.contextmanager
def streamlit_server(db: Path) -> Iterator[tuple[str, int]]:
    """`streamlit run dashboard/app.py` on a free local port, pointed at db; yields (base URL, pid)."""
    port = serving.free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=_child_env(DASHBOARD_DB=str(db)), stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            if not serving.wait_until_healthy(base, proc, SERVER_STARTUP_S):
                log.seek(0)
                raise BenchError(f"streamlit did not start on {db} (exit code {proc.poll()}): "
                                 f"{log.read().decode(errors='replace')[-1500:]}")
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _process_tree(pid: int) -> list[int]:
    """pid and every process descended from it (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parent = int(stat[stat.rindex(")") + 2:].split()[1])
                parents.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident memory (VmHWM) of the process and its children, summed, in MB."""
    total = 0
    for each in _process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1) if total else None


def reset_peak(pid: int) -> None:
    """Starts the peak anew (Linux: 5 written to clear_refs resets VmHWM), so each page's peak is its own."""
    for each in _process_tree(pid):
        with contextlib.suppress(OSError):
            Path(f"/proc/{each}/clear_refs").write_text("5")


class BrowserBench:
    """One Chromium on one server: opens a page from a link and changes its team filter, timed."""

    def __init__(self, base: str):
        from playwright.sync_api import sync_playwright

        self.base = base
        self._pw = sync_playwright().start()
        try:
            self.chromium = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:
            self._pw.stop()
            raise BenchError(f"Chromium did not start from {CHROMIUM}: {exc}") from None

    def close(self) -> None:
        self.chromium.close()
        self._pw.stop()

    def open(self, path: str, link: dict[str, str]):
        """A fresh tab opening the page from the link; returns (tab, milliseconds until drawn)."""
        context = self.chromium.new_context(viewport={"width": 1600, "height": 1000})
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        tab = context.new_page()
        started = time.perf_counter()
        tab.goto(f"{self.base}/{path}?{urllib.parse.urlencode(link)}")
        self._drawn(tab, pages.get(path).page_title)
        return tab, (time.perf_counter() - started) * 1000

    @staticmethod
    def _drawn(tab, title: str) -> None:
        tab.get_by_role("heading", name=title, level=1).wait_for()
        tab.wait_for_selector(APP_IDLE)

    @staticmethod
    def change_team(tab, team: str) -> float:
        """Milliseconds from picking `team` in the sidebar until the rerun it starts has drawn the page
        (RERUN_DRAWN_JS)."""
        box = tab.get_by_role("combobox", name="Team", exact=True)
        box.click()
        box.fill(team)
        option = tab.get_by_role("option", name=team, exact=True)
        option.wait_for()
        tab.evaluate("""() => {
            const app = document.querySelector("[data-testid='stApp']");
            window.__benchReran = false;
            new MutationObserver(() => { window.__benchReran = true; })
                .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
        }""")
        started = time.perf_counter()
        option.click()
        tab.wait_for_function(RERUN_DRAWN_JS, arg=team)
        return (time.perf_counter() - started) * 1000

    def measure(self, path: str, scope: Scope, teams: list[str], repeat: int) -> tuple[float, float]:
        """Median over `repeat` fresh tabs of opening the page and of changing its team to a team
        not asked for before."""
        opens, changes = [], []
        for attempt in range(repeat):
            tab, opened = self.open(path, scope.link())
            try:
                opens.append(opened)
                changes.append(self.change_team(tab, teams[attempt % len(teams)]))
            finally:
                tab.context.close()
        return statistics.median(opens), statistics.median(changes)


def measure_browser(db: Path, interactions: int, page_paths: list[str], choices: filters.Choices,
                    repeat: int) -> list[dict]:
    """Browser rows: each page and scope, and the baseline, on one server for this store."""
    rows, scopes, teams = [], scopes_of(choices), choices.teams_at(None)
    with streamlit_server(db) as (base, pid):
        browser = BrowserBench(base)
        try:
            # untimed, each page once: the server's first run of a page imports and sets up what it
            # keeps; the lab derives its own store (its schema browser reads it) on its first visit
            warm_up = warm_up_scope(choices)
            failed: dict[str, str] = {}
            for path in [BASELINE_PATH, *page_paths]:
                try:
                    tab, _ = browser.open(path, warm_up.link())
                    tab.context.close()
                except Exception as exc:   # a page that never finishes is a row's error, not the run's end
                    failed[path] = _browser_error(exc)
            for label, path in [(BASELINE, BASELINE_PATH), *((p, p) for p in page_paths)]:
                for scope in scopes:
                    # the results are cached per query and values: each change is to a team this page
                    # has not been asked for with these dates
                    others = [t for t in teams if t != scope.chosen.team]
                    reset_peak(pid)
                    opened = changed = None
                    errors = [failed[path]] if path in failed else []
                    if not errors:
                        try:
                            opened, changed = browser.measure(path, scope, others, repeat)
                        except Exception as exc:
                            errors.append(_browser_error(exc))
                    rows.append(row("baseline" if label == BASELINE else "browser", label, interactions, scope.label,
                                    filter_text=scope.chosen.describe(), browser_open_ms=_ms(opened),
                                    browser_filter_ms=_ms(changed), peak_rss_mb=peak_rss_mb(pid), errors=errors))
        finally:
            browser.close()
    return rows


def _browser_error(exc: Exception) -> str:
    """The first line of what Chromium or playwright said (say, a page still running after 120 s)."""
    return f"browser: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"


def merge_browser(rows: list[dict], browser_rows: list[dict]) -> list[dict]:
    """The browser's figures into the page rows of the same page and filter; the baseline rows added."""
    by_key = {(r["page"], r["filter"]): r for r in rows if r["kind"] == "page"}
    out = list(rows)
    for measured in browser_rows:
        target = by_key.get((measured["page"], measured["filter"]))
        if target is None:
            out.append(measured)
            continue
        for key in ("browser_open_ms", "browser_filter_ms", "peak_rss_mb"):
            target[key] = measured[key]
        target["errors"] = [*(target.get("errors") or []), *(measured.get("errors") or [])]
    return out


# ---------------------------------------------------------------- the run

def run(sizes: list[int], db_dir: Path, page_paths: list[str], browser: bool, repeat: int, seed: int,
        say: Callable[[str], None] = lambda text: None) -> list[dict]:
    rows: list[dict] = []
    for size in sizes:
        say(f"{size:,} contacts: store")
        stored = ensure_store(db_dir, size, seed)
        rows.append(stored)
        db = store_file(db_dir, size)
        say(f"{size:,} contacts: pages in-process")
        page_rows, sql_kpis = measure_pages(db, size, page_paths, repeat)
        with contextlib.closing(store.open_read_only(db)) as con:
            choices = filters.read_choices(con)
        scopes = scopes_of(choices)
        say(f"{size:,} contacts: the pandas way")
        page_rows += measure_pandas(db, size, scopes, sql_kpis, repeat)
        if browser:
            say(f"{size:,} contacts: the SQL lab's own file")
            page_rows.append(derive_lab_store(db, size))
            say(f"{size:,} contacts: Chromium")
            page_rows = merge_browser(page_rows, measure_browser(db, size, page_paths, choices, repeat))
        rows += page_rows
    return rows


COLUMNS = (("page", 20), ("interactions", 12), ("filter", 7), ("cold_ms", 8), ("warm_ms", 8), ("duckdb_ms", 9),
           ("browser_open_ms", 15), ("browser_filter_ms", 17), ("peak_rss_mb", 11))


def table(rows: list[dict]) -> str:
    """The rows as a readable table: store rows first, then pages; then the pandas check."""
    out = io.StringIO()
    stores = [r for r in rows if r["kind"] in ("store", LAB_STORE)]
    out.write(f"{'store':<20} {'build_s':>8} {'size_mb':>8} {'build_peak_mb':>13}  reused\n")
    for r in stores:
        named = f"{r['interactions']:,}" + (" (lab's file)" if r["kind"] == LAB_STORE else "")
        out.write(f"{named:<20} {_cell(r['build_s']):>8} {_cell(r['size_mb']):>8} "
                  f"{_cell(r['build_peak_mb']):>13}  {'yes' if r['reused'] else 'no'}\n")
    out.write("\n" + " ".join(f"{name:>{width}}" if i else f"{name:<{width}}"
                              for i, (name, width) in enumerate(COLUMNS)) + "\n")
    for r in rows:
        if r["kind"] in ("store", LAB_STORE):
            continue
        out.write(" ".join((f"{_cell(r[name]):>{width}}" if i else f"{_cell(r[name]):<{width}}")
                           for i, (name, width) in enumerate(COLUMNS)) + "\n")
    for r in rows:
        if r["kind"] == "pandas":
            verdict = r["skipped"] or ("equal" if r["kpis_equal_sql"] else "DIFFER: " + "; ".join(r["kpi_mismatches"]))
            out.write(f"\npandas KPIs vs the overview's ({r['interactions']:,}, {r['filter']}): {verdict}")
        if r["errors"]:
            out.write(f"\n{r['page'] or r['kind']} ({r['interactions']:,}, {r['filter']}) showed errors: {'; '.join(r['errors'])}")
    return out.getvalue().rstrip() + "\n"


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


# ---------------------------------------------------------------- command line

def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.strip().replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--interactions takes whole numbers separated by commas "
                                         f"(1000000,10000000), not {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--interactions needs at least one size of 1 or more, not {text!r}")
    return sizes


def _page_list(text: str) -> list[str]:
    chosen = [part.strip().strip("/") for part in text.split(",") if part.strip()]
    unknown = [p for p in chosen if p not in layout.drawable_paths()]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"--pages: {', '.join(unknown) or 'none given'} is not a page; "
                                         f"choose from {', '.join(layout.drawable_paths())}")
    return chosen


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--repeat takes a whole number of 1 or more, not {text!r}")
    return value


def add_parser(subparsers) -> None:
    """Adds `bench` to cli.py's subparsers."""
    parser = subparsers.add_parser(
        "bench", help="time every page at several store sizes (queries, figures, DuckDB, Chromium, pandas)",
        description="Builds (or reuses) demo stores of each size in --db-dir and times every page's queries and "
                    "figures cold and warm, DuckDB alone, the page in Chromium, the server's peak memory, and the "
                    "overview the pandas way. Compare rows of one run: the machine may be shared.")
    parser.add_argument("--interactions", type=_sizes, default=[1_000_000], metavar="N[,N...]",
                        help="store sizes in contacts, comma-separated (default 1000000)")
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR, metavar="DIR",
                        help=f"where the stores are built and reused, as demo-<N>.duckdb (default {DEFAULT_DB_DIR})")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the rows to FILE as JSON")
    parser.add_argument("--pages", type=_page_list, default=None, metavar="PAGE[,PAGE...]",
                        help=f"only these pages (default every page: {', '.join(layout.drawable_paths())})")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium (its columns stay empty)")
    parser.add_argument("--repeat", type=_positive, default=3, metavar="N",
                        help="warm, DuckDB and browser timings are the median of N (default 3)")
    parser.add_argument("--seed", type=int, default=42, help="the demo's random seed (default 42)")


def main(args: argparse.Namespace) -> int:
    """The `bench` command: 0 measured; 1 a store, server or browser that failed; 2 bad arguments."""
    if args.json is not None and args.json.is_dir():
        print(f"--json {args.json} is a folder; name a file", file=sys.stderr)
        return 2
    try:
        rows = run(args.interactions, args.db_dir, args.pages or list(layout.drawable_paths()),
                   browser=not args.no_browser, repeat=args.repeat, seed=args.seed,
                   say=lambda text: print(text, file=sys.stderr, flush=True))
    except (BenchError, store.StoreUnreadable) as exc:
        print(" ".join(str(exc).split()), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{exc.filename or args.db_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(rows, indent=1, default=str) + "\n")
        except OSError as exc:
            print(f"Cannot write {args.json}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    print(table(rows))
    return 0
