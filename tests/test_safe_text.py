"""safe_text: names and URL values reach markdown, plotly and CSV as plain text."""

from __future__ import annotations

import csv
import io
import json
import re

import polars as pl
import pytest

from dashboard import safe_text

# CommonMark: a backslash before ASCII punctuation is that character, literally.
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def rendered_text(markdown: str) -> str:
    """What a CommonMark renderer shows for text whose specials are all escaped."""
    return _UNESCAPE.sub(r"\1", markdown).replace(safe_text.WORD_JOINER, "")


def unescaped_specials(markdown: str, chars: str) -> list[str]:
    """Special characters left without a backslash (each would keep its markdown meaning)."""
    return [m.group(0) for m in re.finditer(r"(?<!\\)(?:\\\\)*([" + re.escape(chars) + "])", markdown)]


HOSTILE = [
    ("link", "[Sign in again](https://evil.example/login)", "[]()"),
    ("image", "![i](http://127.0.0.1:9/beacon.png)", "![]()"),
    ("latex", "$x^2$ and $$y$$", "$"),
    ("colour directive", ":red[ALERT] :material/warning:", ":[]"),
    ("html tag", "<img src=x onerror=alert(1)><b>bold</b>", "<>"),
    ("backticks", "`code` ```block```", "`"),
    ("bold and heading", "# **Session expired**", "#*"),
    ("autolink", "<https://evil.example>", "<>"),
    ("entity", "&lt;b&gt;", "&"),
]


@pytest.mark.parametrize("name, text, specials", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_markdown_specials_are_escaped_and_read_as_written(name, text, specials):
    escaped = safe_text.markdown(text)
    assert unescaped_specials(escaped, specials) == []
    assert rendered_text(escaped) == text


def test_an_emoji_shortcode_is_broken_so_it_shows_as_typed():
    escaped = safe_text.markdown("Team :smile: at :+1:")
    text_node = _UNESCAPE.sub(r"\1", escaped)   # what the emoji plugin sees after parsing
    assert not re.search(r":[\w+-]+:", text_node)
    assert rendered_text(escaped) == "Team :smile: at :+1:"   # the joiner is invisible


@pytest.mark.parametrize("name", ["Team_A", "north_east_team", "10:30 shift", "A-B (2)"])
def test_ordinary_names_stay_readable(name):
    assert rendered_text(safe_text.markdown(name)) == name
    assert safe_text.WORD_JOINER not in safe_text.markdown(name)


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
