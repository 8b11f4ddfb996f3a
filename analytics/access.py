"""Who may do what: roles, their permissions, and the scope a user's figures are limited to.

Every page's data, every export and every write goes through analytics.actions, which checks these
rules; hiding a button in the app is only a convenience on top.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from analytics.config import DATA_DIR, load_toml
from analytics.errors import ConfigError, DashboardError
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
    "org": "维护组织架构",
    "group": "查看集团视图（各公司并列比较）",
    "follow_record": "记录会商督办、回头看结果和典型案例",
    "notices": "查看督办文书",
    "notice_draft": "起草督办文书",
    "notice_sign": "签发督办文书",
    "notice_handle": "送达督办文书、登记和核验回复",
}
# 督办文书 are the 纪委's own acts: 纪委办 drafts and handles them, the 纪委书记 signs; an administrator runs the
# system and takes no step (analytics.notices)
NOTICE_STEPS = {"notice_draft", "notice_sign", "notice_handle"}
_GRANTS = {
    ADMIN: set(PERMISSIONS) - NOTICE_STEPS,
    SECRETARY: set(PERMISSIONS) - {"users", "notice_draft", "notice_handle"},
    OFFICE: set(PERMISSIONS) - {"users", "audit", "notice_sign"},
    MEMBER: {"view", "all_units", "group", "supervision", "export", "notices"},  # reads meetings, 回头看, cases
    HEAD: {"view", "export", "notices"},  # and only their own unit: see scope_for; documents once delivered
}

# What a role sees of the analysis, page by page and in every export (data/access.toml [parts]); listed on 我的账户.
PARTS = {
    "figures": "问题数量、整改率、销号率及其趋势",
    "problems": "待整改问题清单及整改时限",
    "reminders": "发给本单位的工作提醒函（不含触发规则）",
    "warnings": "预警明细及触发规则",
    "scores": "八维评分、等级与扣分明细",
    "portrait": "单位画像（含疑似重复问题）",
    "agenda": "会商议题建议清单、会商记录及督办清单",
    "lookback": "回头看抽查名单及复查结果",
    "cases": "典型问题案例库",
    "confidential": "保密来源（如信访举报）的问题",
}
# when access.toml says nothing about a role: a department head sees only what their unit must act on, never a
# confidential source; the 纪委's own roles see everything
DEFAULT_PARTS = {HEAD: frozenset({"figures", "problems", "reminders"})}
DEFAULT_CONFIDENTIAL = ("信访举报",)


@dataclass(frozen=True)
class Policy:
    """access.toml's [parts] and [confidential]: which parts each role sees, which sources are confidential."""

    confidential_sources: tuple[str, ...] = DEFAULT_CONFIDENTIAL
    role_parts: tuple[tuple[str, frozenset[str]], ...] = tuple(DEFAULT_PARTS.items())

    def parts_of(self, role: str) -> frozenset[str]:
        return dict(self.role_parts).get(role, frozenset(PARTS))

    @classmethod
    def from_dict(cls, raw: dict, where: str) -> Policy:
        parts = raw.get("parts", {})
        confidential = raw.get("confidential", {})
        if not isinstance(parts, dict) or not isinstance(confidential, dict):
            raise ConfigError(f"{where}：[parts] 和 [confidential] 应为配置节")
        role_parts = dict(DEFAULT_PARTS)
        for role, names in parts.items():
            if role not in ROLES:
                raise ConfigError(f"{where}：[parts] 中有未知的角色「{role}」，可选：{'、'.join(ROLES)}")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ConfigError(f"{where}：[parts] 的「{role}」应为部分名称的列表")
            if unknown := sorted(set(names) - set(PARTS)):
                raise ConfigError(f"{where}：[parts] 的「{role}」中有未知的部分 {unknown}，可选：{'、'.join(PARTS)}")
            role_parts[role] = frozenset(names)
        unknown = set(confidential) - {"sources"}
        sources = confidential.get("sources", list(DEFAULT_CONFIDENTIAL))
        if unknown or not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
            raise ConfigError(f"{where}：[confidential] 只有 sources 一项，应为问题来源名称的列表")
        return cls(tuple(s.strip() for s in sources), tuple(sorted(role_parts.items())))


def load_policy(path: Path = DATA_DIR / "access.toml") -> Policy:
    """The policy in access.toml (read at the edge: the page or the command line, then passed on in the User)."""
    return Policy.from_dict(load_toml(path), path.name)


class AccessDenied(DashboardError):
    """The user's role does not allow this."""


@dataclass(frozen=True)
class User:
    """A logged-in person (or the command line): name, role and, for a department head, their unit."""

    name: str
    role: str
    unit: str | None = None
    # what the policy lets this role see (with_policy); the defaults hold for a User made without one
    parts: frozenset[str] | None = None
    confidential_sources: tuple[str, ...] = DEFAULT_CONFIDENTIAL

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


def with_policy(user: User, policy: Policy) -> User:
    """The user as the policy lets them see: their role's parts and the confidential sources."""
    return replace(user, parts=policy.parts_of(user.role), confidential_sources=policy.confidential_sources)


def visible_parts(user: User) -> frozenset[str]:
    return user.parts if user.parts is not None else DEFAULT_PARTS.get(user.role, frozenset(PARTS))


def sees(user: User | None, part: str) -> bool:
    """Whether the user may see a part of the analysis (PARTS)."""
    return user is not None and can(user, "view") and part in visible_parts(user)


def require_part(user: User | None, part: str) -> None:
    require(user, "view")
    if not sees(user, part):
        raise AccessDenied(f"{user.role}无权查看{PARTS[part]}")


def hidden_sources(user: User) -> tuple[str, ...]:
    """Sources whose problems the user never sees, not even counted."""
    return () if sees(user, "confidential") else user.confidential_sources


def check_role(role: str, unit: str | None) -> None:
    """A role that exists, with a unit when it is a department head's; any role but the administrator's may be
    given one (组织架构: a 分公司's 纪委书记 sees that 分公司 and everything under it, nothing else)."""
    if role not in ROLES:
        raise DashboardError(f"未知的角色「{role}」，可选：{'、'.join(ROLES)}")
    if role == HEAD and not (unit and unit.strip()):
        raise DashboardError("部门负责人须指定所在单位")
    if role == ADMIN and unit:
        raise DashboardError("管理员不指定单位（管理员管理全部账户）")


# over every unit at once: never for an account limited to a unit (组织架构: a 分公司's 纪委书记 keeps no register,
# compares no companies, imports or undoes nothing for the whole database and reads no one else's audit trail)
WHOLE_ONLY = frozenset({"org", "group", "import", "undo", "audit"})


def can(user: User | None, permission: str) -> bool:
    return (user is not None and permission in _GRANTS.get(user.role, set())
            and not (permission in WHOLE_ONLY and user.unit))


def require(user: User | None, permission: str) -> None:
    if user is None:
        raise AccessDenied("请先登录")
    if not can(user, permission):
        raise AccessDenied(f"{user.role}无权{PERMISSIONS[permission]}")


# a node's unit keys, its subtree's included (analytics.org.units_under on the database read)
Under = Callable[[str], tuple[str, ...]]


def allowed_units(user: User, under: Under | None = None) -> tuple[str, ...] | None:
    """The units a user may see; None means all. A user given a unit (a node of the 组织架构) sees its subtree:
    ``under`` lists it; without it, the node alone."""
    require(user, "view")
    if user.unit:
        return under(user.unit) if under is not None else (user.unit,)
    return None if can(user, "all_units") else ("",)


def scope_for(user: User, scope: Scope, under: Under | None = None) -> Scope:
    """The scope a user asked for, cut down to what they may see.

    A scoped user's scope is pinned to their units (``within``), so that a view which drops the unit filter
    on purpose (the company score beside one unit's) still sees only those.
    """
    units = allowed_units(user, under)
    if hidden := hidden_sources(user):
        sources = None if scope.sources is None else tuple(s for s in scope.sources if s not in hidden)
        scope = replace(scope, sources=sources, hidden_sources=hidden)
    if units is None:
        return scope
    chosen = tuple(u for u in (scope.units or units) if u in units)
    return replace(scope, units=chosen, within=units)


def require_unit(user: User, unit: str, under: Under | None = None) -> None:
    """Refuse one unit's figures (portrait, deductions) to a user who may not see that unit."""
    units = allowed_units(user, under)
    if units is not None and unit not in units:
        raise AccessDenied(f"{user.role}只能查看本单位（{user.unit}）")
