"""Who may use the app, with which role and which scope: one readable file (access.yaml).

    people:
      - email: ceo@example.com          # or  group: cc-analysts  (a value of the sign-in's groups claim)
        role: executive                 # executive | manager | analyst | admin
        scope: all                      # or  {teams: [Aurora, Borealis]}  or  {sites: [Leeds]}

The first entry naming a person's e-mail decides; without one, the first entry naming one of their
groups. Nobody else has access. What each role may do is decided here and nowhere else; which rows a
scope may read is enforced by the session's store (dashboard/scopes.py), not by a page.
Plain Python: the app shell (dashboard/signin.py) passes the sign-in's claims in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from dashboard import scopes
from dashboard.catalogue import ShallowSafeLoader

ROLES = ("executive", "manager", "analyst", "admin")
LAB_ROLES = ("analyst", "admin")      # the SQL lab: analysts and admins
SAVE_ROLES = ("admin",)               # saving a query file from the lab
MAX_FILE_BYTES = 256 * 1024           # a few hundred people fit in a few KB
ENTRY_KEYS = {"email", "group", "role", "scope", "name"}


LAB_PAGES = ("sql-lab",)              # pages only the lab's roles see


def may_open(person: Person, path: str) -> bool:
    """Whether the navigation offers `person` the page at `path` (a pages.py path)."""
    return path not in LAB_PAGES or person.may_use_lab()


class AccessFileError(ValueError):
    """A problem in the access file, named by entry and key, so whoever keeps it can mend it."""

    def __init__(self, path: Path, where: str, message: str):
        self.path, self.where, self.message = Path(path), where, message
        super().__init__(f"{self.path}: {where + ': ' if where else ''}{message}")


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: str
    scope: scopes.Scope

    def may_use_lab(self) -> bool:
        return self.role in LAB_ROLES

    def may_save_queries(self) -> bool:
        return self.role in SAVE_ROLES

    def describe(self) -> str:
        """Who is signed in, as the sidebar says it: "ceo@example.com · executive · the whole company"."""
        return f"{self.email or self.name} · {self.role} · {self.scope.describe()}"


# With no sign-in configured the server listens on this machine only (signin.py), so whoever uses it
# is the person running it: an admin of everything.
OPEN_MODE = Person(email="", name="open mode", role="admin", scope=scopes.EVERYTHING)


@dataclass(frozen=True)
class Entry:
    email: str | None
    group: str | None
    role: str
    scope: scopes.Scope


@dataclass(frozen=True)
class Access:
    entries: tuple[Entry, ...]

    def person_for(self, claims: dict) -> Person | None:
        """The person these sign-in claims name (email, name, groups), or None: no access."""
        email = str(claims.get("email") or "").strip().lower()
        groups = claims.get("groups") or []
        groups = {str(g) for g in (groups if isinstance(groups, (list, tuple)) else [groups])}
        entry = (next((e for e in self.entries if email and e.email == email), None)
                 or next((e for e in self.entries if e.group is not None and e.group in groups), None))
        if entry is None:
            return None
        return Person(email=email, name=str(claims.get("name") or email), role=entry.role, scope=entry.scope)


def load(path: Path) -> Access:
    """The access file, every entry checked; raises AccessFileError naming the entry and key. Read
    again only when it changes (every page run asks): the key holds its mtime and size."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _load(path, 0, -1)   # missing or unreadable: _load says which
    return _load(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> Access:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise AccessFileError(path, "", "no such file: nobody has access until it exists") from None
    except OSError as exc:
        raise AccessFileError(path, "", f"cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise AccessFileError(path, "", f"larger than {MAX_FILE_BYTES // 1024} KB; an access file is a short list")
    try:
        raw = yaml.load(data.decode("utf-8"), Loader=ShallowSafeLoader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError:
        raise AccessFileError(path, "", "not UTF-8 text") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else ""
        raise AccessFileError(path, where, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise AccessFileError(path, "", f"not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, dict) or set(raw) != {"people"} or not isinstance(raw["people"], list):
        raise AccessFileError(path, "", "must hold one key, people: a list of entries (email or group, role, scope)")
    return Access(tuple(_entry(path, f"people[{i}]", item) for i, item in enumerate(raw["people"])))


def _entry(path: Path, where: str, item) -> Entry:
    if not isinstance(item, dict):
        raise AccessFileError(path, where, "must be a map with email or group, role and scope")
    if unknown := set(item) - ENTRY_KEYS:
        raise AccessFileError(path, where, f"unknown key(s) {sorted(map(str, unknown))}; known: {sorted(ENTRY_KEYS)}")
    email, group = item.get("email"), item.get("group")
    if (email is None) == (group is None):
        raise AccessFileError(path, where, "needs exactly one of email or group")
    for key, value in (("email", email), ("group", group)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise AccessFileError(path, f"{where}.{key}", "must be a non-empty text")
    if email is not None and "@" not in email:
        raise AccessFileError(path, f"{where}.email", f"'{email}' is not an e-mail address")
    role = item.get("role")
    if role not in ROLES:
        raise AccessFileError(path, f"{where}.role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    return Entry(email=email.strip().lower() if email else None, group=group.strip() if group else None,
                 role=role, scope=_scope(path, f"{where}.scope", item.get("scope")))


def _scope(path: Path, where: str, value) -> scopes.Scope:
    if value == "all":
        return scopes.EVERYTHING
    if not isinstance(value, dict) or not value or set(value) - {"teams", "sites"}:
        raise AccessFileError(path, where, "must be all, {teams: [names]} or {sites: [names]}")
    names = {}
    for key, listed in value.items():
        if not isinstance(listed, list) or not listed or not all(isinstance(n, str) and n.strip() for n in listed):
            raise AccessFileError(path, f"{where}.{key}", "must be a list of names")
        names[key] = frozenset(n.strip() for n in listed)
    return scopes.Scope(teams=names.get("teams"), sites=names.get("sites"))
