"""Who may do what: roles, their permissions, and the scope a user's figures are limited to.

Every page's data, every export and every write goes through analytics.actions, which checks these
rules; hiding a button in the app is only a convenience on top.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, replace

from analytics.errors import DashboardError
from analytics.metrics import Scope

ADMIN, SECRETARY, OFFICE, MEMBER, HEAD = "管理员", "纪委书记", "纪委办", "纪委委员", "部门负责人"
ROLES = (ADMIN, SECRETARY, OFFICE, MEMBER, HEAD)

# permission → what it allows, in words for refusals
PERMISSIONS = {
    "view": "查看分析页面",
    "all_units": "查看全部单位",
    "supervision": "查看监督清单",
    "export": "导出快照",
    "import": "导入台账",
    "undo": "撤销导入",
    "audit": "查看审计日志",
    "users": "管理用户",
}
_GRANTS = {
    ADMIN: set(PERMISSIONS),
    SECRETARY: set(PERMISSIONS) - {"users"},
    OFFICE: set(PERMISSIONS) - {"users", "audit"},
    MEMBER: {"view", "all_units", "supervision", "export"},
    HEAD: {"view", "export"},  # and only their own unit: see scope_for
}


class AccessDenied(DashboardError):
    """The user's role does not allow this."""


@dataclass(frozen=True)
class User:
    """A logged-in person (or the command line): name, role and, for a department head, their unit."""

    name: str
    role: str
    unit: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}（{self.role}{'：' + self.unit if self.unit else ''}）"


def operator() -> User:
    """Whoever runs the command line: they hold the database file itself, so every permission."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        who = "未知"
    return User(f"命令行:{who}", ADMIN)


def check_role(role: str, unit: str | None) -> None:
    """A role that exists, with a unit exactly when it is a department head's."""
    if role not in ROLES:
        raise DashboardError(f"未知的角色「{role}」，可选：{'、'.join(ROLES)}")
    if role == HEAD and not (unit and unit.strip()):
        raise DashboardError("部门负责人须指定所在单位")
    if role != HEAD and unit:
        raise DashboardError(f"只有部门负责人才指定单位（{role} 可查看全部单位）")


def can(user: User | None, permission: str) -> bool:
    return user is not None and permission in _GRANTS.get(user.role, set())


def require(user: User | None, permission: str) -> None:
    if user is None:
        raise AccessDenied("请先登录")
    if not can(user, permission):
        raise AccessDenied(f"{user.role}无权{PERMISSIONS[permission]}")


def allowed_units(user: User) -> tuple[str, ...] | None:
    """The units a user may see; None means all."""
    require(user, "view")
    return None if can(user, "all_units") else (user.unit or "",)


def scope_for(user: User, scope: Scope) -> Scope:
    """The scope a user asked for, cut down to what they may see.

    A department head's scope is pinned to their unit (``within``), so that a view which drops the unit filter
    on purpose (the company score beside one unit's) still sees only that unit.
    """
    units = allowed_units(user)
    if units is None:
        return scope
    chosen = tuple(u for u in (scope.units or units) if u in units)
    return replace(scope, units=chosen, within=units)


def require_unit(user: User, unit: str) -> None:
    """Refuse one unit's figures (portrait, deductions) to a user who may not see that unit."""
    units = allowed_units(user)
    if units is not None and unit not in units:
        raise AccessDenied(f"{user.role}只能查看本单位（{user.unit}）")
