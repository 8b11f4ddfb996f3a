"""登录: the only page shown before someone has logged in."""

import streamlit as st

from analytics.config import is_demo_database
from analytics.errors import DashboardError
from app_pages import auth, common

_, middle, _ = st.columns([1, 2, 1])
middle.title("政治生态分析研判看板")
middle.caption("本系统涉及监督检查中的问题线索和相关人员信息，仅限授权人员使用。请登录。")

if notice := st.session_state.get(auth.NOTICE_KEY):
    middle.warning(notice)

try:
    # the demo accounts' passwords are shown only where they may log in: the bundled demo database
    hints = auth.store().demo_hints() if is_demo_database(common.db_path()) else []
    has_accounts = bool(auth.store().accounts())
except DashboardError as exc:  # an unreadable accounts file
    middle.error(str(exc))
    st.stop()

with middle.form("login_form"):
    name = st.text_input("用户名", key="login_name")
    password = st.text_input("密码", type="password", key="login_password")
    submitted = st.form_submit_button("登录", type="primary")
if submitted:
    why = auth.log_in(name, password)
    if why is None:
        st.rerun()
    middle.error(why)

if hints:
    middle.info("演示数据已附带演示账号（正式使用前请删除或修改密码，见 README）：\n\n" + "\n".join(
        f"- 用户名 `{n}`，密码 `{p}`（{role}）" for n, p, role in hints))
elif not has_accounts:
    middle.info(f"还没有任何账户。请在服务器上创建管理员账户：\n\n"
            f"`python -m analytics users add 用户名 --role 管理员`\n\n账户文件：`{auth.store().path}`")
