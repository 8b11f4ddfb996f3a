"""用户管理 (管理员): accounts and roles; every change is recorded in the audit trail."""

import pandas as pd
import streamlit as st

from analytics import actions, org
from analytics.access import ADMIN, ROLES
from analytics.errors import DashboardError
from app_pages import auth, common

user = common.user()
store = auth.store()
st.title("用户管理")
if exposed := store.exposure():
    st.warning(common.plain(exposed), icon=":material/warning:")
st.caption(f"账户文件：{common.plain(store.path)}（密码只保存 argon2id 哈希值）。各项修改都记入审计日志。")


UNIT_HELP = ("部门负责人必须指定本单位；纪委书记、纪委办、纪委委员指定单位后只能查看该单位及其下级"
             "（如分公司纪委书记），不指定则查看全部单位；管理员不指定单位。")


def no_unit(unit: str) -> str:
    return org.label(unit) if unit else "（不指定单位）"


def scoped(role: str, unit: str) -> str | None:
    """The unit an account is limited to: a department head's always, another role's when one is chosen."""
    return unit or None if role != ADMIN else None


def done(message: str) -> None:
    st.session_state["users_notice"] = message
    st.rerun()


def attempt(change, message: str) -> None:
    try:
        change()
    except DashboardError as exc:
        st.error(str(exc))
    else:
        done(message)


if notice := st.session_state.pop("users_notice", None):
    st.success(notice)

accounts = store.accounts()
common.table(pd.DataFrame({
    "用户名": list(accounts),
    "角色": [a.role for a in accounts.values()],
    "单位": [a.unit or "" for a in accounts.values()],
    "演示账号": ["是" if a.demo else "" for a in accounts.values()],
    "最近修改": [a.changed_at for a in accounts.values()],
}), "用户列表", "users_table", filtered=False)
units = common.options()["units"]

add, change, reset, remove = st.tabs(["新增用户", "变更角色", "重置密码", "删除用户"])
with add, st.form("add_user_form", clear_on_submit=True):
    name = st.text_input("用户名")
    role = st.selectbox("角色", ROLES, key="add_role")
    unit = st.selectbox("单位", ["", *units], key="add_unit", format_func=no_unit, help=UNIT_HELP)
    password = st.text_input("初始密码（至少 8 位）", type="password")
    if st.form_submit_button("新增", type="primary", key="add_submit"):
        attempt(lambda: actions.add_user(common.db_path(), store, user, name.strip(), role, password,
                                         scoped(role, unit)), f"已新增用户 {name.strip()}")
with change, st.form("role_form"):
    name = st.selectbox("用户", list(accounts), key="role_user")
    role = st.selectbox("新角色", ROLES, key="role_role")
    unit = st.selectbox("单位", ["", *units], key="role_unit", format_func=no_unit, help=UNIT_HELP)
    if st.form_submit_button("变更角色", type="primary", key="role_submit"):
        attempt(lambda: actions.change_role(common.db_path(), store, user, name, role, scoped(role, unit)),
                f"已将 {name} 的角色改为 {role}")
with reset, st.form("reset_form", clear_on_submit=True):
    name = st.selectbox("用户", list(accounts), key="reset_user")
    password = st.text_input("新密码（至少 8 位）", type="password")
    if st.form_submit_button("重置密码", type="primary", key="reset_submit"):
        attempt(lambda: actions.reset_password(common.db_path(), store, user, name, password), f"已重置 {name} 的密码")
with remove, st.form("remove_form"):
    name = st.selectbox("用户", [n for n in accounts if n != user.name], key="remove_user")
    confirm = st.checkbox("确认删除该用户", key="remove_confirm")
    if st.form_submit_button("删除", key="remove_submit") and name:
        if not confirm:
            st.error("请先勾选「确认删除该用户」")
        else:
            attempt(lambda: actions.remove_user(common.db_path(), store, user, name), f"已删除用户 {name}")
