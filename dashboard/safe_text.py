"""The one rule for strings from data or a URL on their way to a screen or a download.

Streamlit renders markdown (links, images that the viewer's browser fetches, `$...$` LaTeX,
`:red[...]` colour directives, `:smile:` emoji shortcodes) in captions, notices, headings,
widget labels and help tooltips; plotly renders a subset of HTML (`<a href>`, `<b>`) in chart
text; a spreadsheet runs a CSV cell that starts with `=`, `+`, `-` or `@`. Every name, value or
message that can hold such text goes through one of the functions below before it is shown.
"""

from __future__ import annotations

import html
import json
import re

import polars as pl

LIMIT = 80            # characters of a value shown in running text; the rest is on hover
ELLIPSIS = "…"

# Any ASCII punctuation may be backslash-escaped in CommonMark, and an escaped character is
# literal text. Inside a line, these are what start a link or image ([ ]), an autolink (<, and
# GFM's bare https:// www. and e-mail@), emphasis (* ~ and _ at a word's edge: an underscore
# inside a word, as in Team_A, is plain), code (`), HTML (<), an entity (&), LaTeX ($) or a
# Streamlit directive (:red[...] needs its [). Escaping only those keeps messages that quote file
# names, dates and times (overview_a.sql:8, 2025-13-45, 10:30) as they were. The text is one
# line, so block syntax (heading, list, quote) can only start it: only its opening is escaped.
_INLINE_SPECIAL = re.compile(r"[\\`*\[\]<>|$~&@]|(?<![^\W_])_|_(?![^\W_])|:(?=//)|(?<=[wW]{3})\.")
_BLOCK_START = re.compile(r"^(\d+(?=[.)])|)([#>+\-=.)])")   # "1)" starts a list as "1." does; "." is inline
# Streamlit turns :name: into an emoji or icon after parsing, even from escaped colons: a word
# joiner (invisible, zero width) after the opening colon stops the shortcode from matching. Only
# a colon that starts a word: "overview.sql:8: error" is a file and line, and stays as typed.
_SHORTCODE = re.compile(r"(?<!\w):(?=[\w+\-/]+:)")
# GFM's bare autolinks (https://..., www...., name@host) are found in the text after escapes are
# read, so a backslash does not stop them (seen in Chromium: "https\://evil.example" became a
# link): a word joiner inside "://", after "www" and after "@" does.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=[wW]{3})(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def shorten(text: object, limit: int = LIMIT) -> str:
    """The text, cut to limit characters with an ellipsis when longer."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def markdown(text: object) -> str:
    """Text that Streamlit's markdown shows exactly as written: no link, image, LaTeX, colour,
    emoji, heading, list or HTML. Newlines become spaces (a line break could start a block)."""
    flat = _SHORTCODE.sub(":" + WORD_JOINER, " ".join(str(text).splitlines()))
    flat = _AUTOLINK.sub(WORD_JOINER, flat)
    escaped = _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), flat.strip())
    return _BLOCK_START.sub(r"\1\\\2", escaped, count=1)


def label(text: object, limit: int = LIMIT) -> str:
    """A value for a caption, notice, heading or widget label: escaped, and shortened if long."""
    return markdown(shorten(text, limit))


def hover(text: object, limit: int = LIMIT) -> str | None:
    """The full text for a help tooltip (markdown too) when label() shortened it, else None."""
    return markdown(text) if len(str(text)) > limit else None


def shorten_within(message: str, values, limit: int = LIMIT) -> str:
    """The message with each long value in it shortened: for a sentence built elsewhere around
    a name or URL value (filters.parse_url's notices, Filters.describe)."""
    for value in sorted({str(v) for v in values if v is not None and len(str(v)) > limit}, key=len, reverse=True):
        message = message.replace(value, shorten(value, limit))
    return message


def chart(text: object, limit: int | None = None) -> str:
    """Text for plotly (titles, labels, category names, annotations): its HTML subset is escaped
    so a name shows as written and links nothing."""
    text = str(text) if limit is None else shorten(text, limit)
    return html.escape(text, quote=False)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _json(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, pl.Series):
        value = value.to_list()
    return json.dumps(value, default=str, ensure_ascii=False)


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as a spreadsheet may open it safely (OWASP CSV injection): a text cell starting
    with = + - @ tab or carriage return gets a leading single quote; numbers, dates and booleans
    stay as they are (a negative number is a number); nested values (lists, arrays, structs)
    become JSON text, which CSV cannot otherwise hold."""
    columns = []
    for name, dtype in frame.schema.items():
        column = frame.get_column(name)
        if dtype.is_nested():
            column = pl.Series(name, [_json(v) for v in column.to_list()], dtype=pl.String)
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum) or dtype == pl.Object:
            column = column.cast(pl.String) if dtype != pl.Object else pl.Series(name, [str(v) for v in column])
        else:
            columns.append(column)
            continue
        columns.append(pl.Series(name, [_cell_text(v) for v in column.to_list()], dtype=pl.String))
    safe = pl.DataFrame(columns) if columns else frame
    return safe.rename({name: _cell_text(name) for name in safe.columns})   # a header is a cell too


def to_csv(frame: pl.DataFrame) -> str:
    """The one way the app and the CLI write a result as CSV."""
    return csv_safe(frame).write_csv()
