"""A person scoped to one team or one site sees no other team's rows on any page: every page drawn
by the snapshot renderer (the same sections the live app draws) from their scope's store."""

from __future__ import annotations

import re

import pytest

from dashboard import layout, scopes, snapshot, store

PLOTLY_JS = re.compile(r"<script>.{1000000,}?</script>", flags=re.S)   # the library itself names months "Ember"


def names_shown(document: str, names: list[str]) -> set[str]:
    """Which of `names` the snapshot shows: in text, table cells or a chart's data."""
    text = PLOTLY_JS.sub("", document)
    return {name for name in names if re.search(rf'[>"]{re.escape(name)}[<"\\]', text)}


@pytest.fixture(scope="module")
def teams(store_path) -> dict[str, str]:
    with store.open_read_only(store_path) as con:   # as the suite opens it (one configuration per file)
        return dict(con.execute("select team_name, site from teams").fetchall())


@pytest.mark.parametrize("path", layout.drawable_paths())
def test_a_team_scope_shows_that_team_only_on_every_page(store_path, teams, path):
    mine = sorted(teams)[3]
    document = snapshot.render(path, "", store_path, scope=scopes.Scope(teams=frozenset({mine})))
    assert names_shown(document, sorted(teams)) <= {mine}
    everyone = snapshot.render(path, "", store_path)
    if path in ("teams", "escalations", "attrition"):   # pages that name teams: the check can fail
        assert len(names_shown(everyone, sorted(teams))) > 1


def test_a_site_scope_shows_that_sites_teams_only(store_path, teams):
    site = sorted(set(teams.values()))[0]
    document = snapshot.render("teams", "", store_path, scope=scopes.Scope(sites=frozenset({site})))
    shown = names_shown(document, sorted(teams))
    assert shown and shown <= {team for team, at in teams.items() if at == site}


def test_a_link_to_a_team_outside_the_scope_says_so_and_shows_the_scope(store_path, teams):
    mine, other = sorted(teams)[:2]
    document = snapshot.render("overview", f"team={other}", store_path, scope=scopes.Scope(teams=frozenset({mine})))
    assert f"&#x27;{other}&#x27; is not a team you may see (your scope: team {mine})" in document
