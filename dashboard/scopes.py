"""Data scopes: which rows a person may see (docs/design.md, security model). A scope names the
teams and sites whose rows a person's session may read; None for both is the whole company.
A scope is enforced by what the session's store holds, never by a WHERE clause a page adds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    teams: frozenset[str] | None = None   # team names; None: not limited by team
    sites: frozenset[str] | None = None   # site names; None: not limited by site

    @property
    def is_everything(self) -> bool:
        return self.teams is None and self.sites is None

    def describe(self) -> str:
        """The scope in words, for the sidebar and the scope message."""
        if self.is_everything:
            return "the whole company"
        parts = []
        if self.sites is not None:
            parts.append(f"site{'s' if len(self.sites) != 1 else ''} {', '.join(sorted(self.sites))}")
        if self.teams is not None:
            parts.append(f"team{'s' if len(self.teams) != 1 else ''} {', '.join(sorted(self.teams))}")
        return " and ".join(parts)


EVERYTHING = Scope()
