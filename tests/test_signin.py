"""The app shell's door, in AppTest: open mode, a server exposed without sign-in, and a sign-in
configuration that cannot start (no traceback reaches the reader)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def test_open_mode_says_so_in_the_sidebar(app_env):
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert any("Open mode, this machine only" in c.value for c in at.sidebar.caption)
    assert at.metric, "the overview is drawn"


def test_an_exposed_server_without_sign_in_draws_only_the_refusal(app_env):
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()   # the first run reads the config; the address then changes as a hand-started server's would
    from streamlit import config as streamlit_config   # as `streamlit run --server.address 0.0.0.0` sets it
    previous = streamlit_config.get_option("server.address")
    streamlit_config.set_option("server.address", "0.0.0.0", "command-line argument or environment variable")
    try:
        at.run()
    finally:
        streamlit_config.set_option("server.address", previous, "command-line argument or environment variable")
    assert not at.exception and not at.metric
    assert "Refusing to serve on 0.0.0.0 without sign-in" in at.error[0].value


def test_an_incomplete_auth_section_is_a_message_not_a_traceback(app_env):
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.run()
    assert not at.exception and not at.metric
    at.button[0].click().run()
    assert not at.exception
    assert "Sign-in is configured but cannot start" in at.error[0].value
