"""Where the server may listen: with no sign-in configured, on this machine only. Plain Python,
read by the launcher (`python -m dashboard serve`) before Streamlit starts and by the app shell
(dashboard/signin.py) on every run, so a server started by hand on another address draws nothing."""

from __future__ import annotations

import ipaddress
import socket
import tomllib
from collections.abc import Iterable
from pathlib import Path

from dashboard import config

# Streamlit reads secrets from these unless told otherwise (--secrets.files)
DEFAULT_SECRETS = (Path.home() / ".streamlit" / "secrets.toml", Path(".streamlit") / "secrets.toml")

EXPOSED_WITHOUT_SIGN_IN = (
    "Refusing to serve on {address} without sign-in: anyone who reaches that address would read agents' "
    "names, the SQL lab and every team's figures. Either serve on this machine only (leave --address out, "
    "or use 127.0.0.1), or configure sign-in: an [auth] section in .streamlit/secrets.toml (redirect_uri, "
    "cookie_secret, client_id, client_secret, server_metadata_url of your OpenID Connect provider) and an "
    "access file ({access}) saying who has which role and scope. See the README, People and permissions.")


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine reaches: localhost, 127.0.0.0/8, ::1. An empty address
    means every interface to Streamlit, so it is not loopback."""
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:   # a host name: loopback only if every address it names is
        try:
            infos = socket.getaddrinfo(address, None)
        except OSError:
            return False
        return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def has_auth(files: Iterable[Path]) -> bool:
    """True when one of these secrets files holds an [auth] section (st.login's configuration)."""
    for path in files:
        try:
            with Path(path).open("rb") as handle:
                if isinstance(tomllib.load(handle).get("auth"), dict):
                    return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def refusal(address: str | None, signed_in: bool) -> str | None:
    """Why the server must not serve on `address`, or None when it may."""
    if signed_in or is_loopback(address):
        return None
    return EXPOSED_WITHOUT_SIGN_IN.format(address=address or "every interface", access=config.access_path())
