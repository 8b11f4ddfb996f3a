"""Logins and logouts, throttled and recorded."""


from __future__ import annotations

import math
from pathlib import Path

from analytics import (
    audit,
    config,
)
from analytics.access import (
    User,
)
from analytics.users import (
    BUSY,
    CHECKING,
    EXPIRED,
    IDLE,
    OWN_PASSWORD,
    PASSWORD_RESET,
    REMOVED,
    ROLE_CHANGED,
    WAITING,
    Refused,
    Throttle,
    UserStore,
    loggable_name,
)

__all__ = ["login", "logout"]




# Throttle.attempt's refusals: (the audit trail's outcome, what the person is told)
_REFUSED = {CHECKING: ("同一账户正在验证中被拒绝", "该账户正在验证密码，请稍后再试"),
            BUSY: ("系统繁忙被拒绝", "系统繁忙，请稍后再试")}


def _refusal(refused: Refused, failures: str = "登录失败") -> tuple[str, str]:
    if refused.why == WAITING:
        return "等待中被拒绝", f"{failures}次数过多，请 {math.ceil(refused.wait)} 秒后再试"
    return _REFUSED[refused.why]


def login(db: Path, store: UserStore, throttle: Throttle, name: str, password: str,
          address: str | None = None) -> tuple[User | None, str]:
    """(the user, "") when the password is right; (None, why not) otherwise. Every attempt is recorded, with the
    client's address where it is known (``address``: it keeps an attacker's failures to their own address).

    The name is attacker-chosen: one longer than any account's can be (NAME_MAX) is cut, with a marker, before it
    is checked, counted or logged, so that the audit trail and the throttle keep a short string. The password is
    checked only through throttle.attempt: one check per account at a time, a few at once in the process.
    """
    name = loggable_name(name.strip())
    who = User(name, "—")
    try:
        with throttle.attempt(name, address) as attempt:
            account = store.verify(name, password)
            if account is None:
                wait = attempt.failed()
            else:
                attempt.succeeded()
    except Refused as refused:
        outcome, why = _refusal(refused)
        audit.record(db, who, "login_failed", outcome, address=address)
        return None, why
    if account is None:
        audit.record(db, who, "login_failed", "用户名或密码错误", address=address)
        return None, "用户名或密码错误" + (f"，请 {math.ceil(wait)} 秒后再试" if wait else "")
    if account.demo and not config.is_demo_database(db):  # a well-known password: never on real data
        audit.record(db, account.user, "login_failed", "演示账号不能登录正式数据库", address=address)
        return None, "演示账号只能登录演示数据库；正式数据库请用管理员新建的账号登录（python -m analytics users add …）"
    audit.record(db, account.user, "login", address=address)
    return account.user, ""


# why a session ended (users.session_over), as the audit trail records it
_SESSION_ENDED = {IDLE: "长时间未操作", EXPIRED: "超过会话最长时间", REMOVED: "账户已被删除",
                  PASSWORD_RESET: "管理员重置了密码", ROLE_CHANGED: "管理员变更了角色",
                  OWN_PASSWORD: "本人在其他会话中修改了密码"}


def logout(db: Path, user: User, reason: str | None = None) -> None:
    """退出登录, or the session's end for ``reason`` (users.session_over: idle, expired, account changed …)."""
    if reason:
        audit.record(db, user, "session_ended", _SESSION_ENDED[reason])
    else:
        audit.record(db, user, "logout")
