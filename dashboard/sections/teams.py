"""The teams page's Python sections: teams or agents ranked by the Wilson lower bound of CSAT, and
the funnel plot of CSAT against answers. Statistics and the funnel figure: dashboard.ranking."""

from __future__ import annotations

import polars as pl

from dashboard import figures, ranking
from dashboard.canvas import Canvas, reads

RANKING_CAPTION = (
    "Ranked by the lower bound of the 95 % Wilson interval of CSAT (answers of 4-5 / all answers), so 1 satisfied "
    "answer of 1 does not outrank 95 of 100. AHT = handle time / answered contacts; FCR = resolved with no repeat "
    "within 7 days / answered; escalation rate = escalated / answered. Agent satisfaction (teams only: an agent's own "
    "survey answers are never shown): the team's agent-survey answers of 4-5, left blank for a team with fewer "
    "respondents than the confidentiality threshold; it follows site, team and period only. Click a column "
    "header to sort.")
FUNNEL_CAPTION = (
    "Each point is {unit}: its CSAT against its number of survey answers. The centre line is the overall CSAT of "
    "the scope; the curves are binomial control limits (p ± z·√(p(1-p)/n), 95 % and 99.8 %), which narrow as "
    "answers grow. A point outside them differs by more than chance alone would explain. {next}")
TABLE_ROW_PX, TABLE_HEADER_PX, TABLE_MAX_PX = 35, 38, 560


@reads("teams_team_table")   # the default ranking; by agent, it reads teams_agent_table itself
def ranking_table(canvas: Canvas) -> None:
    """Teams (or, with the control, agents) ranked by CSAT's lower bound, with volume, AHT, FCR,
    escalation rate and agent satisfaction."""
    data = canvas.data
    team_query, agent_query = data.query("teams_team_table"), data.query("teams_agent_table")
    canvas.heading("Teams and agents ranked by CSAT")
    canvas.caption(RANKING_CAPTION)
    level = canvas.control("rank", "segmented") or "team"
    query = agent_query if level == "agent" else team_query
    table = ranking.ranked_table(data.frame(query.name), level)
    if table.is_empty():
        canvas.notice("info", "No answered contacts for these filters.")
    else:
        canvas.table("table_teams_ranking", table, csv_name=query.name,
                     height=min(TABLE_HEADER_PX + TABLE_ROW_PX * table.height, TABLE_MAX_PX))
    for absent in data.absent_notes(query):
        canvas.notice("info", absent)


def funnel(canvas: Canvas) -> None:
    """CSAT against answers per team (per agent of the filtered team), with binomial control
    limits; a click on a team narrows every page to it."""
    data = canvas.data
    team = data.chosen.team
    team_query = data.query("teams_team_table")
    canvas.heading(f"Funnel plot: CSAT against answers, per {'agent of ' + team if team else 'team'}")
    canvas.caption(FUNNEL_CAPTION.format(
        unit="an agent of the team" if team else "a team",
        next="Clear the team filter to compare teams." if team else "Click a team to see its agents."))
    if no_answers := data.absent_columns(team_query).get("survey_answers"):
        canvas.no_data(no_answers)
        return
    units = (data.frame("teams_agent_table").filter(pl.col("team_name") == team) if team
             else data.frame(team_query.name))
    if units.filter(pl.col("survey_answers") > 0).is_empty():
        canvas.notice("info", "No survey answers for these filters (customer_surveys joined to the contacts in scope).")
        return
    canvas.chart("chart_teams_funnel", ranking.funnel_figure(figures.chart_safe(units),
                                                             "agent_name" if team else "team_name"),
                 drill=True, data=units, csv_name="teams_funnel")


# a team's agents when a team is chosen, else the teams (canvas.reads, with the choice made above)
funnel.plan = lambda data: [(data.query("teams_agent_table" if data.chosen.team else "teams_team_table"),
                             data.bound())]
