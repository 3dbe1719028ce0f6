"""safe_text: names and URL values reach markdown, plotly and CSV as plain text."""

from __future__ import annotations

import csv
import io
import json
import re

import polars as pl
import pytest

from dashboard import pages, safe_text

# CommonMark: a backslash before ASCII punctuation is that character, literally.
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def rendered_text(markdown: str) -> str:
    """What a CommonMark renderer shows for text whose specials are all escaped."""
    return _UNESCAPE.sub(r"\1", markdown).replace(safe_text.WORD_JOINER, "")


def unescaped_specials(markdown: str, chars: str) -> list[str]:
    """Special characters left without a backslash (each would keep its markdown meaning)."""
    return [m.group(0) for m in re.finditer(r"(?<!\\)(?:\\\\)*([" + re.escape(chars) + "])", markdown)]


HOSTILE = [   # (name, text, the characters that must all be escaped)
    ("link", "[Sign in again](https://evil.example/login)", "[]"),
    ("image", "![i](http://127.0.0.1:9/beacon.png)", "[]"),
    ("latex", "$x^2$ and $$y$$", "$"),
    ("colour directive", ":red[ALERT] :blue-background[x]", "[]"),
    ("html tag", "<img src=x onerror=alert(1)><b>bold</b>", "<>"),
    ("backticks", "`code` ```block```", "`"),
    ("bold and heading", "# **Session expired**", "#*"),
    ("emphasis", "_slanted_ and ~~struck~~", "_~"),
    ("autolink", "<https://evil.example>", "<>"),
    ("entity", "&lt;b&gt;", "&"),
    ("e-mail autolink", "support@evil.example", "@"),
    ("list", "- item", "-"),
    ("numbered list", "1) item", ")"),
    ("ordered list", "1. item", "."),
    ("quote", "> quoted", ">"),
]


@pytest.mark.parametrize("name, text, specials", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_markdown_specials_are_escaped_and_read_as_written(name, text, specials):
    escaped = safe_text.markdown(text)
    assert unescaped_specials(escaped, specials) == []
    assert rendered_text(escaped) == text


# a backslash before the colon did not stop Streamlit's GFM autolink (Chromium showed a link):
# a word joiner breaks the pattern itself
@pytest.mark.parametrize("text, fragment", [("see https://evil.example", "https:\u2060//"),
                                            ("see http://evil.example", "http:\u2060//"),
                                            ("www.evil.example", "www\u2060."),
                                            ("mail x@evil.example", "\\@\u2060")])
def test_bare_urls_cannot_autolink(text, fragment):
    assert fragment in safe_text.markdown(text)
    assert rendered_text(safe_text.markdown(text)) == text


def test_an_emoji_shortcode_is_broken_so_it_shows_as_typed():
    escaped = safe_text.markdown("Team :smile: at :+1:")
    text_node = _UNESCAPE.sub(r"\1", escaped)   # what the emoji plugin sees after parsing
    assert not re.search(r":[\w+-]+:", text_node)
    assert rendered_text(escaped) == "Team :smile: at :+1:"   # the joiner is invisible


@pytest.mark.parametrize("name", ["Team_A", "north_east_team", "10:30 shift", "A-B (2)", "2025-13-45"])
def test_ordinary_names_stay_readable(name):
    assert rendered_text(safe_text.markdown(name)) == name
    assert safe_text.WORD_JOINER not in safe_text.markdown(name)


@pytest.mark.parametrize("text", ["2025-13-45", "A-B (2)", "Team 2 + 3 = 5", "it's \"quoted\"", "Hello!",
                                  "overview_zz_broken.sql:8: Binder Error", "10:30 a.m."])
def test_text_without_inline_meaning_is_left_as_is(text):
    assert safe_text.markdown(text) == text


def test_a_newline_cannot_start_a_block():
    assert "\n" not in safe_text.markdown("a\n# heading\n- item")


def test_long_values_are_shortened_with_the_full_text_on_hover():
    name = "x" * 200
    shown = safe_text.label(name)
    assert shown == "x" * (safe_text.LIMIT - 1) + safe_text.ELLIPSIS
    assert rendered_text(safe_text.hover(name)) == name
    assert safe_text.hover("short") is None and safe_text.label("short") == "short"


def test_shorten_within_cuts_only_the_long_values_of_a_message():
    long = "T" * 500
    message = f"No team is called '{long}'; showing all teams at Site."
    assert safe_text.shorten_within(message, [long, "Site"]) == \
        f"No team is called '{'T' * (safe_text.LIMIT - 1)}{safe_text.ELLIPSIS}'; showing all teams at Site."


def test_chart_text_escapes_plotlys_html():
    assert safe_text.chart('<a href="http://x">y</a> & co') == '&lt;a href="http://x"&gt;y&lt;/a&gt; &amp; co'


def read_back(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_formula_cells_get_a_leading_quote():
    formulas = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1", "-2+3", "\tcmd", "\rcmd"]
    frame = pl.DataFrame({"name": [*formulas, "Team_A", None], "n": range(len(formulas) + 2)})
    rows = read_back(safe_text.to_csv(frame))
    assert [r["name"] for r in rows] == [*("'" + f for f in formulas), "Team_A", ""]


def test_negative_numbers_in_numeric_columns_stay_numbers():
    frame = pl.DataFrame({"delta": [-1.5, 2.0], "count": [-3, 4], "label": ["-3", "ok"]})
    rows = read_back(safe_text.to_csv(frame))
    assert [float(r["delta"]) for r in rows] == [-1.5, 2.0]
    assert [int(r["count"]) for r in rows] == [-3, 4]
    assert [r["label"] for r in rows] == ["'-3", "ok"]


def test_categorical_text_is_neutralised_too():
    frame = pl.DataFrame({"team": ["=1+1", "B"]}).with_columns(pl.col("team").cast(pl.Categorical))
    assert [r["team"] for r in read_back(safe_text.to_csv(frame))] == ["'=1+1", "B"]


def test_nested_values_are_written_as_json_text():
    frame = pl.DataFrame({"ids": [[1, 2], [], None], "pair": [{"a": 1, "b": "x"}, {"a": 2, "b": None}, None]})
    rows = read_back(safe_text.to_csv(frame))
    assert [r["ids"] for r in rows] == [json.dumps([1, 2]), "[]", ""]
    assert json.loads(rows[0]["pair"]) == {"a": 1, "b": "x"} and json.loads(rows[1]["pair"]) == {"a": 2, "b": None}


def test_a_formula_header_is_neutralised():
    assert read_back(safe_text.to_csv(pl.DataFrame({"=cmd": [1]})))[0] == {"'=cmd": "1"}


def test_the_cli_csv_format_neutralises_formulas_and_writes_nested_values(store_path, capsys):
    import argparse

    from dashboard import sqlcli

    parser = argparse.ArgumentParser(prog="python -m dashboard")
    sqlcli.add_parser(parser.add_subparsers(dest="command", required=True))
    query = ("select '=HYPERLINK(\"http://x\",\"y\")' as name, -1 as n, [1, 2] as ids, "
             "{'a': 1} as pair")
    code = sqlcli.main(parser.parse_args(["sql", query, "--db", str(store_path), "--format", "csv"]))
    out, err = capsys.readouterr()
    assert code == 0, err
    [row] = read_back(out)
    assert row == {"name": "'=HYPERLINK(\"http://x\",\"y\")", "n": "-1", "ids": "[1, 2]", "pair": '{"a": 1}'}


# --- the app: a store whose names and a URL carry markdown -------------------------------------

SESSION_EXPIRED = "**Session expired** [Sign in again](https://evil.example/login)"


def hostile_names(port: int) -> dict[str, str]:
    """Names an import can carry; port: where a fetched image would land."""
    return {
        "link": SESSION_EXPIRED,
        "image": f"![i](http://127.0.0.1:{port}/beacon.png) $x^2$ :red[alert] :smile:",
        "html": f'<img src="http://127.0.0.1:{port}/html.png"> <a href="https://evil.example">x</a>',
        "long": "L" * 10_000,
    }


def hostile_store(folder, port: int = 9):
    """A store imported through a mapping (as a user would) whose team and touchpoint names are
    the hostile ones, one agent and two contacts each."""
    from conftest import BARE_MAPPING, import_text

    mapping = (BARE_MAPPING.replace("team_name: {constant: Desk}", "team_name: team")
               .replace("touchpoint_name: {constant: Calls}", "touchpoint_name: touchpoint"))
    assert mapping.count("team_name: team") == 3 and mapping.count("touchpoint_name: touchpoint") == 2
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "date", "time", "answered", "agent", "team", "touchpoint"])
    for n, (key, name) in enumerate(hostile_names(port).items()):
        for day in (3, 4):
            writer.writerow([f"{n}{day}", f"2025-03-0{day}", "09:00:00", "Y", f"Agent {key}", name,
                             '=HYPERLINK("http://x","y")' if key == "link" else name])
    return import_text(folder, "hostile", out.getvalue(), mapping)


@pytest.fixture(scope="module")
def hostile_store_path(tmp_path_factory):
    return hostile_store(tmp_path_factory.mktemp("hostile"))


MARKDOWN_ELEMENTS = ("title", "header", "subheader", "caption", "markdown", "warning", "info", "error", "success")


def rendered_bodies(at) -> list[str]:
    """Every string the app handed to Streamlit's markdown: bodies, and help tooltips."""
    bodies = [e.value for kind in MARKDOWN_ELEMENTS for e in getattr(at, kind)]
    for kind in ("caption", "markdown", "metric", "selectbox", "subheader"):
        bodies += [e.proto.help for e in getattr(at, kind) if getattr(e.proto, "help", "")]
    return bodies


def assert_plain(bodies: list[str]) -> None:
    """Each body that quotes a hostile name has all its markdown specials escaped."""
    quoting = [b for b in bodies if "Session expired" in b or "beacon" in b or "evil.example" in b]
    for body in quoting:
        assert unescaped_specials(body, "[]$<>*`") == [], body
        assert not re.search(r":[\w+-]+:", _UNESCAPE.sub(r"\1", body)), body   # no emoji shortcode


VIEWS = [page.view for page in pages.PAGES]


@pytest.mark.parametrize("page", VIEWS)
def test_names_and_url_values_render_as_plain_text(hostile_store_path, monkeypatch, page):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(hostile_store_path))
    bodies = []
    for params in ({"team": SESSION_EXPIRED}, {"team": "![i](http://127.0.0.1:9/beacon.png)",
                                               "touchpoint": SESSION_EXPIRED + " (no such)"}):
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
        for key, value in params.items():
            at.query_params[key] = value
        bodies += rendered_bodies(at.run())       # the URL's notices are shown where it lands
        at.switch_page(f"views/{page}").run()
        assert not at.exception, [e.value for e in at.exception]
        bodies += rendered_bodies(at)
    assert any("Session expired" in b for b in bodies)   # the name is shown: as text
    assert any("beacon" in b for b in bodies)        # the URL value's notice, as text
    assert_plain(bodies)


def test_a_long_team_name_is_shortened_with_the_whole_name_on_hover(hostile_store_path, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(hostile_store_path))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.query_params["team"] = "L" * 10_000
    at.run()
    assert not at.exception
    [scope] = [c for c in at.caption if "L" * 20 in c.value]
    assert len(scope.value) < 200 and safe_text.ELLIPSIS in scope.value
    assert "L" * 10_000 in scope.proto.help


def test_chart_text_from_data_is_escaped_and_a_click_reads_the_real_name_back():
    from dashboard import figures, lab

    name = '<a href="https://evil.example">Sign in</a> & co'
    frame = pl.DataFrame({"team_name": [name, "Team_A"], "contacts": [3, 4]})
    fig = figures.build(lab.quick_chart("bar", "team_name", ["contacts"], None), frame)
    assert list(fig.data[0].x) == ['&lt;a href="https://evil.example"&gt;Sign in&lt;/a&gt; &amp; co', "Team_A"]
    assert "<a" not in fig.to_json()
    assert figures.selected_team([{"x": fig.data[0].x[0]}], {name: "HQ", "Team_A": "HQ"}) == name


def test_event_titles_on_a_chart_are_escaped_and_shortened():
    import datetime as dt

    import plotly.graph_objects as go

    from dashboard import figures

    title = "<b>" + "E" * 100
    events = pl.DataFrame({"starts_on": [dt.date(2025, 3, 1)], "ends_on": [dt.date(2025, 3, 9)], "title": [title]})
    fig = figures.add_events(go.Figure(), events)
    [text] = [a.text for a in fig.layout.annotations]
    assert text.startswith("&lt;b&gt;EEE") and text.endswith(safe_text.ELLIPSIS) and len(text) < 60
