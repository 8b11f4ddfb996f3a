"""Logging in and out, and the session's lifetime, for dashboard.py.

The session keeps only the account name and two times; the role is read from the accounts file on every
run, so a changed role or a removed account takes effect at the user's next click.
"""

from __future__ import annotations

import time

import streamlit as st

from analytics import actions
from analytics.access import User
from analytics.config import access_settings, users_path
from analytics.users import Throttle, UserStore, session_ended
from app_pages import common

SESSION_KEY = "auth"  # {"name", "since", "seen"}: set by log_in, checked by current_user
NOTICE_KEY = "auth_notice"  # why the login page is shown again (session over, account gone)
_ENDED = {"idle": "长时间未操作，已自动退出，请重新登录。", "expired": "登录已超过最长时间，请重新登录。"}


@st.cache_resource
def throttle() -> Throttle:
    """Failed logins, shared by every session of this server process."""
    return Throttle(access_settings())


def store() -> UserStore:
    return UserStore(users_path())


def current_user() -> User | None:
    """The logged-in user, or None (session over, account removed, never logged in)."""
    session = st.session_state.get(SESSION_KEY)
    if not session:
        return None
    now = time.time()
    account = store().get(session["name"])
    reason = session_ended(session["since"], session["seen"], now, access_settings())
    if reason or account is None:
        st.session_state.pop(SESSION_KEY)
        if reason:
            actions.logout(common.db_path(), account.user if account else User(session["name"], "—"), reason)
        st.session_state[NOTICE_KEY] = _ENDED[reason] if reason else "账户已被删除，请联系管理员。"
        return None
    session["seen"] = now
    return account.user


def log_in(name: str, password: str) -> str | None:
    """Check the password; on success start the session and return None, else the reason in Chinese."""
    who, why = actions.login(common.db_path(), store(), throttle(), name, password)
    if who is None:
        return why
    now = time.time()
    st.session_state[SESSION_KEY] = {"name": who.name, "since": now, "seen": now}
    st.session_state.pop(NOTICE_KEY, None)
    return None


def log_out(user: User) -> None:
    actions.logout(common.db_path(), user)
    st.session_state.clear()  # filters, uploads, generated files: nothing survives for the next person
