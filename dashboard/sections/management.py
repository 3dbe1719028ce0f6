"""The management page's Python section: agent surveys by tenure milestone, whose t intervals come
from scipy (dashboard.ranking), and the response counts behind them."""

from __future__ import annotations

import polars as pl

from dashboard import figures, ranking
from dashboard.canvas import Canvas, reads


@reads("management_survey_items", "management_survey_responses")
def milestone_surveys(canvas: Canvas) -> None:
    """Mean item scores by tenure milestone with their intervals, then answers, agents due and
    response rate per milestone. Both rest on agent_surveys: without it, one "no data" says why."""
    data = canvas.data
    items_query = data.query("management_survey_items")
    responses_query = data.query("management_survey_responses")
    canvas.heading(items_query.title)
    canvas.caption(items_query.description)
    if missing := data.missing(items_query):
        canvas.no_data(missing)
        return
    items = data.frame(items_query.name)
    if items.is_empty():
        canvas.notice("info", "No milestone survey answers for these filters (quarterly pulse answers are "
                              "counted below).")
    elif hidden := data.all_hidden(items_query, items, ["mean_score"]):
        canvas.notice("info", hidden)
    else:
        # bars of groups hidden for too few respondents are left out; their rows stay in the data
        canvas.chart("chart_survey_items",
                     ranking.milestone_figure(figures.chart_safe(items.filter(pl.col("mean_score").is_not_null()))),
                     data=items, csv_name=items_query.name)
    for absent in data.absent_notes(items_query):
        canvas.notice("info", absent)
    canvas.heading(responses_query.title)
    canvas.caption(responses_query.description)
    responses = data.frame(responses_query.name)
    if responses.is_empty():
        canvas.notice("info", "No agent survey answers for these filters.")
        return
    canvas.table("table_survey_responses", responses, csv_name=responses_query.name)
    for absent in data.absent_notes(responses_query):
        canvas.notice("info", absent)
