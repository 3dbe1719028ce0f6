"""Who may use the app (access.yaml) and where the server may listen: table-driven, no Streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import access, config, scopes, serving

ROOT = Path(__file__).resolve().parent.parent

GOOD = """
people:
  - email: CEO@Example.com
    role: executive
    scope: all
  - email: lead@example.com
    role: manager
    scope: {teams: [Aurora, Birch]}
  - group: cc-analysts
    role: analyst
    scope: {sites: [Leeds]}
  - group: cc-admins
    role: admin
    scope: all
  - email: also.analyst@example.com
    role: manager
    scope: {teams: [Cedar]}
"""


@pytest.fixture
def rules(tmp_path) -> access.Access:
    path = tmp_path / "access.yaml"
    path.write_text(GOOD)
    return access.load(path)


@pytest.mark.parametrize("claims, expected", [
    ({"email": "ceo@example.com"}, ("executive", scopes.EVERYTHING)),
    ({"email": " CEO@EXAMPLE.COM "}, ("executive", scopes.EVERYTHING)),        # e-mail case and spaces
    ({"email": "lead@example.com"}, ("manager", scopes.Scope(teams=frozenset({"Aurora", "Birch"})))),
    ({"email": "x@example.com", "groups": ["cc-analysts"]}, ("analyst", scopes.Scope(sites=frozenset({"Leeds"})))),
    ({"email": "x@example.com", "groups": "cc-admins"}, ("admin", scopes.EVERYTHING)),   # one group as text
    ({"email": "x@example.com", "groups": ["other", "cc-admins", "cc-analysts"]}, ("analyst", scopes.Scope(
        sites=frozenset({"Leeds"})))),                                          # the first matching entry
    ({"email": "also.analyst@example.com", "groups": ["cc-admins"]}, ("manager", scopes.Scope(
        teams=frozenset({"Cedar"})))),                                         # an e-mail entry beats a group
    ({"email": "stranger@example.com"}, None),
    ({"email": "stranger@example.com", "groups": ["cc-Analysts"]}, None),     # groups match exactly
    ({"sub": "no-email"}, None),
    ({}, None),
])
def test_who_has_which_role_and_scope(rules, claims, expected):
    person = rules.person_for(claims)
    assert (person.role, person.scope) == expected if expected else person is None


@pytest.mark.parametrize("role, lab, save", [
    ("executive", False, False), ("manager", False, False), ("analyst", True, False), ("admin", True, True),
])
def test_what_each_role_may_do(role, lab, save):
    person = access.Person("a@b.c", "A", role, scopes.EVERYTHING)
    assert (person.may_use_lab(), person.may_save_queries()) == (lab, save)
    assert access.may_open(person, "sql-lab") == lab
    assert access.may_open(person, "overview") and access.may_open(person, "queries")


@pytest.mark.parametrize("text, where, words", [
    ("people: []\nextra: 1\n", "", "must hold one key, people"),
    ("- email: a@b.c\n", "", "must hold one key, people"),
    ("people:\n  - just text\n", "people[0]", "must be a map"),
    ("people:\n  - {email: a@b.c, role: executive, scope: all, colour: red}\n", "people[0]", "unknown key(s) ['colour']"),
    ("people:\n  - {role: executive, scope: all}\n", "people[0]", "exactly one of email or group"),
    ("people:\n  - {email: a@b.c, group: g, role: executive, scope: all}\n", "people[0]", "exactly one of email or group"),
    ("people:\n  - {email: not-an-address, role: executive, scope: all}\n", "people[0].email", "is not an e-mail"),
    ("people:\n  - {email: '', role: executive, scope: all}\n", "people[0].email", "non-empty text"),
    ("people:\n  - {group: [a], role: executive, scope: all}\n", "people[0].group", "non-empty text"),
    ("people:\n  - {email: a@b.c, role: boss, scope: all}\n", "people[0].role", "must be one of executive"),
    ("people:\n  - {email: a@b.c, role: manager}\n", "people[0].scope", "must be all, {teams"),
    ("people:\n  - {email: a@b.c, role: manager, scope: everything}\n", "people[0].scope", "must be all, {teams"),
    ("people:\n  - {email: a@b.c, role: manager, scope: {teams: Aurora}}\n", "people[0].scope.teams", "list of names"),
    ("people:\n  - {email: a@b.c, role: manager, scope: {teams: []}}\n", "people[0].scope.teams", "list of names"),
    ("people:\n  - {email: a@b.c, role: manager, scope: {floors: [1]}}\n", "people[0].scope", "must be all, {teams"),
    ("people:\n  - {email: a@b.c, role: manager, scope: all}\n  - {email: d@e.f, role: x, scope: all}\n",
     "people[1].role", "must be one of"),
    ("people: [\n", "line 2", "not valid YAML"),
    ("a: &a [x, x]\nb: [*a, *a]\n", "line 2", "aliases (*name) are not allowed"),
    ("people: " + "[" * 50 + "]" * 50 + "\n", "line 1", "nest deeper than"),
])
def test_a_malformed_access_file_is_refused_naming_the_entry_and_key(tmp_path, text, where, words):
    path = tmp_path / "access.yaml"
    path.write_text(text)
    with pytest.raises(access.AccessFileError) as refused:
        access.load(path)
    assert refused.value.where == where and words in refused.value.message, str(refused.value)


def test_a_missing_huge_or_binary_access_file_is_refused(tmp_path):
    with pytest.raises(access.AccessFileError, match="no such file: nobody has access"):
        access.load(tmp_path / "absent.yaml")
    huge = tmp_path / "huge.yaml"
    huge.write_text("people:\n" + "  - {email: a@b.c, role: executive, scope: all}\n" * 8000)
    with pytest.raises(access.AccessFileError, match="larger than 256 KB"):
        access.load(huge)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00people")
    with pytest.raises(access.AccessFileError, match="not UTF-8"):
        access.load(binary)


def test_the_shipped_example_loads():
    rules = access.load(ROOT / "access.example.yaml")
    assert rules.person_for({"email": "lead.aurora@example.com"}).scope == scopes.Scope(teams=frozenset({"Aurora"}))


# -- where the server may listen ------------------------------------------------------------------

@pytest.mark.parametrize("address, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("", False), (None, False), ("::", False), ("192.168.1.20", False),
    ("10.0.0.1", False), ("no-such-host.invalid", False),
])
def test_which_addresses_are_this_machine_only(address, loopback):
    assert serving.is_loopback(address) is loopback
    assert (serving.refusal(address, signed_in=False) is None) is loopback
    assert serving.refusal(address, signed_in=True) is None


def test_auth_is_found_only_in_an_auth_section(tmp_path):
    with_auth, without, broken = tmp_path / "a.toml", tmp_path / "b.toml", tmp_path / "c.toml"
    with_auth.write_text('[auth]\nclient_id = "x"\n')
    without.write_text('[other]\nauth = "x"\n')
    broken.write_text("[auth\n")
    assert serving.has_auth([without, with_auth])
    assert not serving.has_auth([without, broken, tmp_path / "absent.toml"])


def serve(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "serve", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=False, env={**__import__("os").environ, **env})


def test_serving_on_every_interface_without_sign_in_exits_with_how_to_configure_it(tmp_path):
    refused = serve("--address", "0.0.0.0", "--port", "8599")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "Refusing to serve on 0.0.0.0 without sign-in" in refused.stderr
    assert "[auth] section in .streamlit/secrets.toml" in refused.stderr and str(config.access_path()) in refused.stderr
    missing = serve("--address", "0.0.0.0", "--secrets", str(tmp_path / "none.toml"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
