"""Logging in and out, and the session's lifetime, for dashboard.py.

The session keeps only the account name and three times; the account is read from the accounts file on every
run, so a removed account, or a password or role changed by an administrator, ends the session at once
(users.session_over). While a page is open, watch_session checks the same every few seconds without counting as
activity, so an expired session stops showing data without waiting for a click.
"""

from __future__ import annotations

import ipaddress
import time

import streamlit as st

from analytics import actions
from analytics.access import User
from analytics.config import access_settings, users_path
from analytics.users import (
    EXPIRED,
    IDLE,
    OWN_PASSWORD,
    PASSWORD_RESET,
    REMOVED,
    ROLE_CHANGED,
    Account,
    Throttle,
    UserStore,
    session_over,
)
from app_pages import common

# {"name", "since", "seen"} and, once its user changed their password in it, "valid_from" (else "since"):
# set by log_in, checked by current_user and watch_session
SESSION_KEY = "auth"
NOTICE_KEY = "auth_notice"  # why the login page is shown again (session over, account changed or gone)
WATCH_KEY = "session_watch"  # watch_session's fragment
_ENDED = {IDLE: "长时间未操作，已自动退出，请重新登录。", EXPIRED: "登录已超过最长时间，请重新登录。",
          REMOVED: "账户已被删除，请联系管理员。",
          PASSWORD_RESET: "账户的密码已由管理员重置，请用新密码重新登录。",
          ROLE_CHANGED: "账户的角色已由管理员变更，请重新登录。",
          OWN_PASSWORD: "账户密码已在其他会话中修改，请用新密码重新登录。"}


@st.cache_resource
def throttle() -> Throttle:
    """Failed logins and password checks, shared by every session of this server process."""
    return Throttle(access_settings())


def store() -> UserStore:
    return UserStore(users_path())


def client_address() -> str | None:
    """The browser's address, where Streamlit knows it: None on localhost (and in tests).

    Behind the README's reverse proxy on this machine it is the browser's, from X-Forwarded-For (uvicorn trusts
    that header from 127.0.0.1 only); it keys the throttle, so that an attacker's failures slow their address down.
    """
    address = st.context.ip_address
    try:  # an address, nothing else, is logged and kept (a local client can send any X-Forwarded-For)
        return str(ipaddress.ip_address(address)) if isinstance(address, str) else None
    except ValueError:
        return None


def _over(session: dict) -> tuple[str | None, Account | None]:
    """(why the session is over or None, its account as read now)."""
    account = store().get(session["name"])
    return session_over(account, session.get("valid_from", session["since"]), session["since"], session["seen"],
                        time.time(), access_settings()), account


def current_user() -> User | None:
    """The logged-in user, or None (session over, account changed or removed, never logged in). Counts as activity."""
    session = st.session_state.get(SESSION_KEY)
    if not session:
        return None
    reason, account = _over(session)
    if reason:
        st.session_state.pop(SESSION_KEY)
        actions.logout(common.db_path(), account.user if account else User(session["name"], "—"), reason)
        st.session_state[NOTICE_KEY] = _ENDED[reason]
        return None
    session["seen"] = time.time()
    return account.user


def _check_session() -> None:
    # the timer's runs leave "seen" alone: only the app's own runs (a click) are activity
    session = st.session_state.get(SESSION_KEY)
    if not session or _over(session)[0]:
        st.rerun(scope="app")  # current_user ends it and the login page replaces the page


def watch_session() -> None:
    """While a page is open, check every expiry_check_seconds whether its session is over (idle, expired, account
    changed) and if so replace the page by the login page, without waiting for a click."""
    st.fragment(_check_session, run_every=access_settings().expiry_check_seconds, key=WATCH_KEY)()


def log_in(name: str, password: str) -> str | None:
    """Check the password; on success start the session and return None, else the reason in Chinese."""
    who, why = actions.login(common.db_path(), store(), throttle(), name, password, client_address())
    if who is None:
        return why
    now = time.time()
    st.session_state[SESSION_KEY] = {"name": who.name, "since": now, "seen": now}
    st.session_state.pop(NOTICE_KEY, None)
    return None


def change_password(user: User, old: str, new: str) -> None:
    """Change one's own password (actions.change_own_password); the account's other sessions end, this one goes on."""
    account = actions.change_own_password(common.db_path(), store(), throttle(), user, old, new, client_address())
    st.session_state[SESSION_KEY]["valid_from"] = account.sessions_after


def log_out(user: User) -> None:
    actions.logout(common.db_path(), user)
    st.session_state.clear()  # filters, uploads, generated files: nothing survives for the next person
