"""Accounts (用户管理, 修改本人密码) and the audit trail's reading and export."""


from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analytics import (
    audit,
)
from analytics.access import (
    User,
    require,
)
from analytics.actions.logins import _refusal
from analytics.errors import DashboardError
from analytics.users import (
    Account,
    Refused,
    Throttle,
    UserStore,
    check_password,
)

__all__ = [
    "add_user", "audit_export", "audit_log", "change_own_password", "change_role", "remove_user", "reset_password"
]



def add_user(db: Path, store: UserStore, actor: User, name: str, role: str, password: str,
             unit: str | None = None) -> None:
    require(actor, "users")
    store.add(name, role, password, unit)
    audit.record(db, actor, "user_add", account=name, new_role=role, new_unit=unit)


def reset_password(db: Path, store: UserStore, actor: User, name: str, password: str) -> None:
    """A new password set by the administrator; the account's open sessions end."""
    require(actor, "users")
    store.set_password(name, password)
    audit.record(db, actor, "user_password", account=name)


def change_role(db: Path, store: UserStore, actor: User, name: str, role: str, unit: str | None = None) -> None:
    """A new role set by the administrator; the account's open sessions end."""
    require(actor, "users")
    before = store.get(name)
    store.set_role(name, role, unit)
    audit.record(db, actor, "user_role", account=name, old_role=before.role if before else None,
                 old_unit=before.unit if before else None, new_role=role, new_unit=unit)


def remove_user(db: Path, store: UserStore, actor: User, name: str) -> None:
    """Remove an account; its open sessions end at their next run."""
    require(actor, "users")
    if name == actor.name:
        raise DashboardError("不能删除当前登录的账户")
    store.remove(name)
    audit.record(db, actor, "user_remove", account=name)


def change_own_password(db: Path, store: UserStore, throttle: Throttle, user: User, old: str, new: str,
                        address: str | None = None) -> Account:
    """Anyone may change their own password, given the current one; returns the changed account.

    Checked like a login (throttle.attempt: a wrong current password is a failed login of the account from this
    address) and recorded whatever the outcome; the account's other sessions end (OWN_PASSWORD).
    """
    def refuse(why: str) -> DashboardError:
        audit.record(db, user, "own_password", "失败", account=user.name, reason=why, address=address)
        return DashboardError(why)

    try:
        check_password(new, user.name)
        with throttle.attempt(user.name, address) as attempt:
            if store.verify(user.name, old) is None:
                wait, account = attempt.failed(), None
            else:
                attempt.succeeded()
                account = store.set_password(user.name, new, own=True)  # hashed while the check's slot is held
    except Refused as refused:
        raise refuse(_refusal(refused, "密码错误")[1]) from None
    except DashboardError as exc:  # a weak new password, an unreadable accounts file
        raise refuse(str(exc)) from None
    if account is None:
        raise refuse("当前密码不正确" + (f"，请 {math.ceil(wait)} 秒后再试" if wait else ""))
    audit.record(db, user, "own_password", account=user.name, address=address)
    return account


def audit_log(db: Path, user: User) -> pd.DataFrame:
    require(user, "audit")
    return audit.entries(db)


def audit_export(db: Path, user: User, fmt: str) -> bytes:
    """The whole audit trail as csv or xlsx; the export itself is recorded first."""
    require(user, "audit")
    if fmt not in ("csv", "xlsx"):
        raise DashboardError(f"审计日志只能导出为 csv 或 xlsx，不支持「{fmt}」")
    audit.record(db, user, "audit_export", format=fmt)
    frame = audit.entries(db)
    return audit.to_csv(frame) if fmt == "csv" else audit.to_xlsx(frame)
