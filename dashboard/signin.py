"""The app shell's door: who is using this session, with Streamlit's own OpenID Connect sign-in
(st.login / st.user, Authlib underneath). The rules live in plain modules: who has which role and
scope in access.py, where the server may listen in serving.py; this module only asks Streamlit.

- No [auth] in the secrets: open mode. The server must then listen on this machine only, and whoever
  uses it is the person running it (access.OPEN_MODE, an admin of everything).
- [auth] configured: a sign-in button until signed in; then the access file decides; anyone it does
  not name sees a plain "no access" page.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAuthError

from dashboard import access, audit, config, safe_text, serving

PERSON = "person"          # st.session_state key: the access.Person of this session
AUDITED = "signed_in_as"   # st.session_state key: whose sign-in this session has recorded
LOGIN_PROBLEM = "_login_problem"   # st.session_state key: why st.login could not start


def sign_in_configured() -> bool:
    """True when the secrets hold an [auth] section (Streamlit's st.login configuration)."""
    try:
        return "auth" in st.secrets
    except Exception:   # no secrets file at all, or one Streamlit cannot parse: not configured
        return False


def current_person() -> access.Person:
    """The person this session runs as (set by gate(), which app.py calls first). Fails closed:
    with sign-in configured and nobody recorded, nothing is drawn."""
    person = st.session_state.get(PERSON)
    if person is not None:
        return person
    if sign_in_configured():
        st.stop()
    return access.OPEN_MODE


def gate() -> access.Person:
    """Stops the script unless this session may see the app; returns who it is."""
    configured = sign_in_configured()
    if refusal := serving.refusal(st.get_option("server.address"), configured):
        st.error(refusal, icon=":material/lock:")
        st.stop()
    if not configured:
        st.session_state[PERSON] = access.OPEN_MODE
        st.sidebar.caption("Open mode, this machine only: no sign-in is configured, so the server listens on "
                           "127.0.0.1 and anyone using it is an admin. See the README, People and permissions.")
        return access.OPEN_MODE
    if not st.user.get("is_logged_in", False):   # the key exists only once Streamlit has read [auth]
        st.title("Contact centre mirror")
        st.write("Sign in to see the contact centre's figures.")
        if st.query_params or (st.context.url or "").rstrip("/").count("/") > 2:
            st.caption("Signing in opens the overview: open the link you were sent again afterwards to see its view.")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=_login)
        if problem := st.session_state.pop(LOGIN_PROBLEM, None):
            st.error("Sign-in is configured but cannot start; whoever runs this server must mend the [auth] "
                     "section of the secrets (see the README, People and permissions):", icon=":material/error:")
            st.text(problem)
        st.stop()
    person = _person(st.user.to_dict())
    st.session_state[PERSON] = person
    _record_sign_in(person)
    st.sidebar.caption(safe_text.markdown(f"Signed in: {person.describe()}"))
    st.sidebar.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")
    return person


def _login() -> None:
    """st.login, its configuration errors kept for the page (an incomplete [auth] section raised a
    traceback at the reader)."""
    try:
        st.login()
    except StreamlitAuthError as problem:
        st.session_state[LOGIN_PROBLEM] = str(problem)


def _person(claims: dict) -> access.Person:
    """The access file's person for these claims; a "no access" page (and a stop) otherwise."""
    email = str(claims.get("email") or claims.get("sub") or "")
    try:
        person = access.load(config.access_path()).person_for(claims)
        problem = None
    except access.AccessFileError as exc:
        person, problem = None, str(exc)
    if person is not None:
        return person
    st.title("No access")
    st.text(f"You are signed in as {email or 'someone without an e-mail address'}, but you have no access "
            "to this app. Ask its administrator to add you to the access file.")
    if problem:
        st.text(f"The access file cannot be read: {problem}")
    st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")
    st.stop()
    raise AssertionError("st.stop() returned")   # never reached: st.stop raises


def _record_sign_in(person: access.Person) -> None:
    """One audit line per session and person; an unwritable log refuses the session (unaudited use
    is not allowed)."""
    if st.session_state.get(AUDITED) == person.email:
        return
    record("sign_in", name=person.name, role=person.role, scope=person.scope.describe())
    st.session_state[AUDITED] = person.email


def record(event: str, **fields) -> None:
    """An audit line for this session's person; when the log cannot be written, the action is
    refused with the log's own message."""
    person = current_person()
    try:
        audit.record(event, person.email or person.name, **fields)
    except audit.AuditUnavailable as exc:
        st.error(f"Not done: {exc}", icon=":material/error:")
        st.stop()
