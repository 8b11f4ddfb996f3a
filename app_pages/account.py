"""我的账户: who is logged in, with what role, and changing one's own password."""

import streamlit as st

from analytics.access import PARTS, PERMISSIONS, can, hidden_sources, sees
from analytics.errors import DashboardError
from app_pages import auth, common

user = common.user()
st.title("我的账户")
st.markdown(f"**用户名**：{common.plain(user.name)}　**角色**：{user.role}"
            + (f"　**单位**：{common.plain(user.unit)}" if user.unit else ""))
allowed = [label for permission, label in PERMISSIONS.items() if can(user, permission)]
st.caption("可以：" + "、".join(allowed) + ("（仅本单位）" if not can(user, "all_units") else ""))
st.markdown("**可查看的内容**（页面和导出的快照都一样，由系统管理员在访问策略中设置）")
st.markdown("\n".join(f"- {'✅' if sees(user, part) else '⛔ 不可查看：'}{label}" for part, label in PARTS.items()))
if hidden := hidden_sources(user):
    st.caption(f"来源为{'、'.join(hidden)}的问题对本角色不可见，也不计入任何数量和比率。")

st.subheader("修改密码")
with st.form("password_form", clear_on_submit=True):
    old = st.text_input("当前密码", type="password")
    new = st.text_input("新密码（至少 8 位）", type="password")
    again = st.text_input("再次输入新密码", type="password")
    submitted = st.form_submit_button("修改密码", type="primary")
if submitted:
    if new != again:
        st.error("两次输入的新密码不一致")
    else:
        try:
            auth.change_password(user, old, new)
        except DashboardError as exc:
            st.error(str(exc))
        else:
            st.success("密码已修改，下次登录请使用新密码。在其他浏览器或设备上打开的会话已退出。")
