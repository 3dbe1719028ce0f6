"""The query catalogue and `python -m dashboard check`."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import textwrap

import pytest
from polars.testing import assert_frame_equal
from conftest import ROOT

from dashboard import catalogue, check, config, filters, pages, store


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


GOOD = """
    -- title: Contacts by channel
    -- description: How many contacts each channel took.
    -- page: wait-times
    -- chart: bar
    -- x: channel
    -- y: contacts
    -- params: [date_from, date_to, team]
    select i.channel, count(*) as contacts
    from interactions as i join teams as t using (team_id)
    where i.queued_at between $date_from and $date_to and ($team is null or t.team_name = $team)
    group by 1
"""


def test_shipped_queries_pass_check(store_path):
    checked, problems = check.problems_in(config.queries_dir(), store_path)
    assert checked >= 4
    assert problems == [], [str(p) for p in problems]


def test_header_is_read(tmp_path):
    query = catalogue.parse_query_file(write(tmp_path, "by_channel.sql", GOOD))
    assert (query.name, query.title, query.page, query.spec.kind) == ("by_channel", "Contacts by channel", "wait-times", "bar")
    assert query.spec.x == "channel" and query.spec.y == ("contacts",)
    assert query.params == ("date_from", "date_to", "team")


def test_values_are_bound_as_parameters_not_spliced(tmp_path, con):
    query = catalogue.parse_query_file(write(tmp_path, "by_channel.sql", GOOD))
    values = filters.Filters(*filters.read_choices(con).default_period(), team="x' or 1=1 --").as_params()
    assert set(query.bind(values)) == {"date_from", "date_to", "team"}
    assert catalogue.execute(con, query, values).is_empty()  # a hostile name matches no team
    values["team"] = filters.read_choices(con).teams_at(None)[0]
    assert catalogue.execute(con, query, values).height == 3


BROKEN = {
    "no_header.sql": ("select 1", 1, "no header"),
    "no_title.sql": ("-- description: d\n-- chart: table\nselect 1", 1, "lacks 'title'"),
    "bad_chart.sql": ("-- title: t\n-- description: d\n-- chart: pie\nselect 1", 3, "chart 'pie'"),
    "no_axes.sql": ("-- title: t\n-- description: d\n-- chart: line\nselect 1", 3, "needs 'x'"),
    "unknown_param.sql": ("-- title: t\n-- description: d\n-- chart: table\n-- params: [agent]\nselect $agent", 4,
                          "unknown parameter 'agent'"),
    "undeclared.sql": ("-- title: t\n-- description: d\n-- chart: table\n-- params: [team]\nselect $team,\n $site", 6,
                       "$site is used but not declared"),
    "unused.sql": ("-- title: t\n-- description: d\n-- chart: table\n-- params: [team, site]\nselect $team", 4,
                   "'site' is declared but"),
    "two_statements.sql": ("-- title: t\n-- description: d\n-- chart: table\nselect 1;\nselect 2", 4,
                           "expected one SQL statement"),
    "a_write.sql": ("-- title: t\n-- description: d\n-- chart: table\ndelete from teams", 4, "needs a select query"),
    "bad_yaml.sql": ("-- title: t\n-- description: [unclosed\n-- chart: table\nselect 1", 3, "not valid YAML"),
    "syntax.sql": ("-- title: t\n-- description: d\n-- chart: table\nselect 1,\n  from where", 5, "syntax error"),
    "no_table.sql": ("-- title: t\n-- description: d\n-- chart: table\nselect 1\nfrom teamz", 5, "teamz"),
    "missing_column.sql": ("-- title: t\n-- description: d\n-- chart: bar\n-- x: a\n-- y: b\nselect 1 as a", 5,
                           "y 'b' is not a column"),
    "kpi_unknown.sql": ("-- title: t\n-- description: d\n-- chart: kpi\nselect 1 as happiness", 4,
                        "'happiness' is not a known KPI"),
    "kpi_without_n.sql": ("-- title: t\n-- description: d\n-- chart: kpi\nselect 80.0 as csat", 4,
                          "needs 'csat_n' beside it"),
    "column_needs_typo.sql": ("-- title: t\n-- description: d\n-- chart: table\n"
                              "-- column_needs: {fcr_pct: interactions.resolved}\nselect 1 as fcr", 4,
                              "column_needs 'fcr_pct' is not a column"),
    "n_typo.sql": ("-- title: t\n-- description: d\n-- chart: bar\n-- x: a\n-- y: b\n-- n: answer\n"
                   "select 1 as a, 2 as b, 3 as answers", 6, "n 'answer' is not a column"),
    "needs_typo.sql": ("-- title: t\n-- description: d\n-- chart: table\n-- needs: [interactions.wiat_s]\n"
                       "select 1 as a", 4, "wiat_s"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_check_names_the_file_and_line_of_each_problem(tmp_path, store_path, name):
    text, line, words = BROKEN[name]
    (tmp_path / name).write_text(text + "\n")
    write(tmp_path, "fine.sql", GOOD)
    checked, problems = check.problems_in(tmp_path, store_path)
    assert checked == 2
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].path.name == name and problems[0].line == line
    assert words in problems[0].message


def test_a_broken_file_does_not_hide_the_others(tmp_path):
    write(tmp_path, "a_good.sql", GOOD)
    (tmp_path / "b_bad.sql").write_text("-- title: t\n-- description: d\n-- chart: pie\nselect 1\n")
    cat = catalogue.load(tmp_path)
    assert [q.name for q in cat.queries] == ["a_good"]
    assert [e.path.name for e in cat.errors] == ["b_bad.sql"]


def test_a_header_naming_an_unknown_page_fails_check_naming_file_line_and_the_known_pages(tmp_path, store_path):
    """Once, `page: team` loaded fine and drew the chart on no page at all."""
    typo = GOOD.replace("-- page: wait-times", "-- page: team")
    write(tmp_path, "typo.sql", typo)
    write(tmp_path, "fine.sql", GOOD)
    checked, problems = check.problems_in(tmp_path, store_path)
    assert checked == 2 and [(p.path.name, p.line) for p in problems] == [("typo.sql", 3)]
    message = problems[0].message
    assert "'team'" in message
    for path in ("overview", "customer-vs-agent", "wait-times", "escalations", "attrition", "management", "teams"):
        assert path in message
    assert "sql-lab" not in message   # the lab and the catalogue draw no `page:` charts


@pytest.mark.parametrize("path", [p.path for p in pages.PAGES if not p.pageable])
def test_the_analysts_pages_cannot_be_named_by_a_header(tmp_path, path):
    write(tmp_path, "x.sql", GOOD.replace("-- page: wait-times", f"-- page: {path}"))
    cat = catalogue.load(tmp_path)
    assert not cat.queries and [(e.path.name, e.line) for e in cat.errors] == [("x.sql", 3)]


def test_a_file_naming_an_unknown_page_shows_its_error_on_the_queries_page(tmp_path):
    write(tmp_path, "typo.sql", GOOD.replace("-- page: wait-times", "-- page: team"))
    cat = catalogue.load(tmp_path)
    assert [e.path.name for e in cat.errors_without_page()] == ["typo.sql"]
    assert all(not cat.errors_for_page(p.path) for p in pages.PAGES)


def test_every_shipped_query_names_a_page_of_the_registry_or_none():
    cat = catalogue.load(config.queries_dir())
    assert not cat.errors
    named = {q.page for q in cat.queries} - {None}
    assert named == set(pages.pageable_paths())   # and every page that takes charts has some


def cli(*args):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_check_command_passes_on_shipped_queries_and_fails_naming_a_broken_one(tmp_path):
    ok = cli("check")
    assert ok.returncode == 0, ok.stderr
    assert "0 with errors" in ok.stdout
    for path in config.queries_dir().glob("*.sql"):
        shutil.copy(path, tmp_path)
    (tmp_path / "broken_chart.sql").write_text(
        "-- title: Broken\n-- description: d\n-- chart: line\n-- x: a\n-- y: b\nselect 1 as a,\n  nosuch as b\n")
    bad = cli("check", "--queries", str(tmp_path))
    assert bad.returncode == 1
    assert "broken_chart.sql:7:" in bad.stderr and "nosuch" in bad.stderr
    (tmp_path / "broken_chart.sql").unlink()
    shutil.copy(config.queries_dir() / "overview_customer_trend.sql", tmp_path / "on_no_page.sql")
    text = (tmp_path / "on_no_page.sql").read_text()
    line = text.splitlines().index("-- page: overview") + 1
    (tmp_path / "on_no_page.sql").write_text(text.replace("-- page: overview", "-- page: team"))
    typo = cli("check", "--queries", str(tmp_path))
    assert typo.returncode == 1
    assert f"on_no_page.sql:{line}: page 'team'" in typo.stderr, typo.stderr


RELATION_CHECK_FILTERS = [
    filters.Filters(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    filters.Filters(dt.date(2025, 4, 10), dt.date(2025, 5, 20), team="Aurora"),
    filters.Filters(dt.date(2025, 3, 1), dt.date(2025, 5, 31), site="Lisbon", channel="chat"),
]


@pytest.mark.parametrize("chosen", RELATION_CHECK_FILTERS, ids=["year", "partial months, one team", "site and channel"])
def test_page_queries_return_what_a_relation_returns(con, sparse_store_path, chosen):
    """catalogue.execute reads rows from execute() (store.rows), planned once, not from a relation (planned twice):
    every shipped query's frame, column types included, is the one DuckDB's relation gives, on the
    demo and on a store lacking inputs (empty results keep their columns and types)."""
    sparse = store.open_read_only(sparse_store_path)
    try:
        for connection in (con, sparse):
            for query in catalogue.load(config.queries_dir()).queries:
                values = query.bind(filters.bound_values(chosen))
                cursor = connection.cursor()
                try:
                    expected = cursor.sql(query.sql, params=values or None).pl()
                finally:
                    cursor.close()
                got = catalogue.execute(connection, query, filters.bound_values(chosen))
                # any row order and float rounding: rows tied on a query's order by, and sums of
                # doubles taken by parallel threads, vary from one run to the next on either path
                try:
                    assert_frame_equal(got, expected, check_row_order=False, rel_tol=1e-9)
                except AssertionError as err:
                    pytest.fail(f"{query.name}: {err}")
    finally:
        sparse.close()
