"""Where the server may listen: with no sign-in configured, on this machine only. Plain Python,
read by the launcher (`python -m dashboard serve`) before Streamlit starts and by the app shell
(dashboard/signin.py) on every run, so a server started by hand on another address draws nothing."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
import tomllib
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from dashboard import config

# Streamlit reads secrets from these unless told otherwise (--secrets.files)
DEFAULT_SECRETS = (Path.home() / ".streamlit" / "secrets.toml", config.ROOT / ".streamlit" / "secrets.toml")

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the system picks it): where the bench and the
    browser tests start their own servers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base: str) -> bool:
    """Whether the Streamlit server at base (http://host:port) answers its health check with "ok"."""
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def wait_until_healthy(base: str, server: subprocess.Popen, seconds: float) -> bool:
    """Polls the server at base until it is healthy (True), or its process has ended or `seconds` have
    passed (False)."""
    deadline = time.monotonic() + seconds
    while not healthy(base):
        if server.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def add_parser(subparsers) -> None:
    """Adds `serve` to cli.py's subparsers."""
    parser = subparsers.add_parser(
        "serve", help="serve the app (on this machine only unless sign-in is configured)",
        description="Starts the Streamlit server. With no [auth] section in the secrets it listens on 127.0.0.1 "
                    "only, and refuses any other address.")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument("--db", type=Path, default=None, help="store file (default $DASHBOARD_DB or data/store.duckdb)")
    parser.add_argument("--secrets", type=Path, default=None, metavar="FILE",
                        help="the secrets.toml holding [auth] (default: Streamlit's own places)")


def main(args) -> int:
    """The `serve` command: replaces this process with the Streamlit server, or exits 2 saying why not."""
    import os
    import sys

    files = (args.secrets,) if args.secrets else DEFAULT_SECRETS
    if args.secrets and not args.secrets.is_file():
        print(f"--secrets {args.secrets}: no such file", file=sys.stderr)
        return 2
    if why := refusal(args.address, has_auth(files)):
        print(why, file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "streamlit", "run", str(config.ROOT / "dashboard" / "app.py"),
               "--server.address", args.address, "--server.port", str(args.port)]
    if args.secrets:
        command += ["--secrets.files", str(args.secrets.resolve())]
    env = {**os.environ, **({"DASHBOARD_DB": str(args.db.resolve())} if args.db else {})}
    os.chdir(config.ROOT)   # Streamlit reads .streamlit/config.toml from where it starts
    os.execve(sys.executable, command, env)
    return 0   # not reached
