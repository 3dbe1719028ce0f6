"""`python -m dashboard sql`: the guarded path from a terminal (dashboard/sqlcli.py), driven through
sqlcli.main with an argparse like cli.py's, stdout and stderr captured."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
from collections import Counter

import polars as pl
import pytest

from dashboard import config, sqlcli

BY_TEAM = ("select team_name, count(*) as contacts "
           "from filtered_interactions($date_from, $date_to, $site, $team, $channel, $touchpoint) "
           "group by team_name order by team_name")


def sql(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard")
    commands = parser.add_subparsers(dest="command", required=True)
    sqlcli.add_parser(commands)
    return sqlcli.main(parser.parse_args(["sql", *argv]))


def contacts_by_team(raw, start: dt.date, end: dt.date) -> dict[str, int]:
    names = {t["team_id"]: t["team_name"] for t in raw.teams}
    return dict(Counter(names[i["team_id"]] for i in raw.interactions if start <= i["queued_at"].date() <= end))


def test_csv_parses_back_to_the_right_numbers(store_path, raw, capsys):
    code = sql(BY_TEAM, "--db", str(store_path), "--from", "2025-03-01", "--to", "2025-05-31", "--format", "csv")
    out, err = capsys.readouterr()
    assert code == 0, err
    frame = pl.read_csv(io.StringIO(out))
    assert frame.columns == ["team_name", "contacts"]
    assert dict(frame.iter_rows()) == contacts_by_team(raw, dt.date(2025, 3, 1), dt.date(2025, 5, 31))
    assert err.startswith(f"{frame.height} rows in ")


def test_json_parses_back_with_the_filters_bound(store_path, raw, capsys):
    team = sorted(t["team_name"] for t in raw.teams)[0]
    code = sql(BY_TEAM, "--db", str(store_path), "--team", team, "--format", "json")
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = json.loads(out)
    whole_store = (min(i["queued_at"] for i in raw.interactions).date(),
                   max(i["queued_at"] for i in raw.interactions).date())
    assert rows == [{"team_name": team, "contacts": contacts_by_team(raw, *whole_store)[team]}]

    code = sql("select $date_from as f, $date_to as t, $grant_limit as g", "--db", str(store_path),
               "--from", "2025-02-01", "--to", "2025-02-28", "--param", "grant_limit=500", "--format", "json")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == [{"f": "2025-02-01", "t": "2025-02-28", "g": 500.0}]


def test_table_shows_every_column_and_the_store_comes_from_the_environment(store_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_DB", str(store_path))
    code = sql("select * from teams order by team_id")
    out, err = capsys.readouterr()
    assert code == 0, err
    for column in ("team_id", "team_name", "site", "manager_name", "planned_seats"):
        assert column in out
    assert "…" not in out  # nothing elided


def test_row_cap_and_total(store_path, raw, capsys):
    code = sql("select * from interactions order by interaction_id", "--db", str(store_path),
               "--max-rows", "5", "--format", "csv")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert pl.read_csv(io.StringIO(out)).height == 5
    assert err.startswith(f"first 5 rows of {len(raw.interactions):,}")


def test_query_from_stdin(store_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("select 41 + 1 as answer\n"))
    assert sql("-", "--db", str(store_path), "--format", "csv") == 0
    assert capsys.readouterr().out == "answer\n42\n"


@pytest.mark.parametrize("query, expected", [
    ("drop table teams", "Refused: this is a DROP statement"),
    ("select * from read_csv('/etc/passwd')", "Refused: read_csv() reads files"),
    ("select 1; select 2", "Only one statement at a time: this text has 2."),
    ("select nope from teams", "Binder Error: Referenced column \"nope\" not found"),
    ("select $nope", "Unknown parameter $nope. Available: $channel, $date_from, $date_to"),
], ids=["drop", "file", "two_statements", "bad_column", "unknown_parameter"])
def test_refusals_and_errors_go_to_stderr_with_nothing_on_stdout(store_path, capsys, query, expected):
    code = sql(query, "--db", str(store_path))
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.startswith(expected)
    assert "Traceback" not in err


def test_time_limit(store_path, capsys):
    code = sql("select count(*) from interactions a, interactions b, interactions c", "--db", str(store_path),
               "--timeout", "1")
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("Stopped after 1 s (the time limit)")


def test_missing_store_names_the_path(tmp_path, capsys):
    missing = tmp_path / "nowhere.duckdb"
    code = sql("select 1", "--db", str(missing))
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert str(missing) in err


@pytest.mark.parametrize("argv, expected", [
    (["--team", "Nobody"], "--team 'Nobody' names nothing in the store"),
    (["--from", "March"], "--from 'March' is not a date"),
    (["--from", "2025-05-01", "--to", "2025-04-01"], "--from (2025-05-01) is after --to (2025-04-01)"),
    (["--param", "team=Aurora"], "--param 'team=Aurora': expected NAME=VALUE with NAME one of: grant_limit"),
    (["--param", "grant_limit=lots"], "--param grant_limit: 'lots' is not a number"),
    (["--timeout", "0"], "--timeout must be a positive number"),
    (["--max-rows", "0"], "--max-rows must be at least 1"),
], ids=["unknown_team", "bad_date", "reversed_period", "filter_as_param", "bad_number", "zero_timeout", "zero_rows"])
def test_bad_arguments_exit_2(store_path, capsys, argv, expected):
    code = sql("select 1", "--db", str(store_path), *argv)
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith(expected)


def test_unknown_format_is_an_argparse_error(store_path):
    with pytest.raises(SystemExit) as exit_:
        sql("select 1", "--db", str(store_path), "--format", "xml")
    assert exit_.value.code == 2


def test_the_cli_reads_the_lab_store_agent_surveys_only_as_groups(store_path, raw, capsys):
    """Like the SQL lab page: no raw agent survey answers, no leaving reasons; groups of enough
    respondents instead (dashboard/scopes.py, purpose "lab")."""
    for query, expected in (("select * from agent_surveys", "Refused: 'agent_surveys' is not a table of the store"),
                            ("select leave_reason from agents", 'Binder Error: Referenced column "leave_reason" not found')):
        code = sql(query, "--db", str(store_path))
        out, err = capsys.readouterr()
        assert (code, out) == (1, "") and err.startswith(expected), err
    code = sql("select min(respondents) as fewest, count(*) as groups from agent_survey_groups",
               "--db", str(store_path), "--format", "json")
    out, _ = capsys.readouterr()
    row = json.loads(out)[0]
    assert code == 0 and row["groups"] > 0 and row["fewest"] >= config.min_respondents()
    code = sql("select count(*) as n from agents", "--db", str(store_path), "--format", "json")
    assert code == 0 and json.loads(capsys.readouterr()[0])[0]["n"] == len(raw.agents)


def test_a_lab_store_that_cannot_be_written_is_a_plain_message(tmp_path, capsys):
    from dashboard import demo
    path = demo.build(tmp_path / "store.duckdb", interactions=1_000, seed=1, progress=False)
    (tmp_path / "store.duckdb.scopes").write_text("not a folder")
    code = sql("select 1", "--db", str(path))
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("The data for the whole company could not be prepared in ") and "Traceback" not in err
