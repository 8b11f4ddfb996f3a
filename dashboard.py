"""Entry point: `streamlit run dashboard.py` — page config, login, navigation by role, the sidebar filters."""

import streamlit as st

from analytics.access import can, sees, with_policy
from analytics.config import keep_files_private
from app_pages import auth, common

common.lock_client_options()  # no table's own CSV download, no traceback in the browser, no app menu
keep_files_private()  # the database, backups, audit trail and exports this server writes: the owner's only
st.set_page_config(page_title="政治生态分析研判看板", page_icon="📊", layout="wide")
common.chinese_texts()  # the file uploader's and the charts' full-screen button's texts in Chinese
common.note_config_changes(str(common.db_path()))

user = auth.current_user()
if user is None:
    st.navigation([st.Page("app_pages/login.py", title="登录", icon="🔐")], position="hidden").run()
    st.stop()
user = with_policy(user, common.access_policy())  # the parts and sources this role sees, from access.toml
st.session_state["user"] = user

# (page, the permission it needs, the parts of the analysis of which the user must see one); the actions behind
# each page check the same again
PAGES = {
    "分析研判": [
        (st.Page("app_pages/overview.py", title="总览", icon="📊", default=True), "view", ("figures",)),
        (st.Page("app_pages/group.py", title="集团视图", icon="🏛️"), "group", ("figures",)),
        (st.Page("app_pages/trends.py", title="问题趋势", icon="📈"), "view", ("figures",)),
        (st.Page("app_pages/rectification.py", title="整改销号", icon="✅"), "view", ("figures",)),
        (st.Page("app_pages/scores.py", title="八维评分", icon="🎯"), "view", ("scores",)),
        (st.Page("app_pages/unit_portrait.py", title="单位画像", icon="🏢"), "view", ("portrait",)),
        (st.Page("app_pages/supervision.py", title="监督清单", icon="📋"), "supervision", ()),
        # a role that sees the reminders alone finds them here under the page's heading 工作提醒函
        (st.Page("app_pages/follow_up.py", title="预警督办", icon="🚨"), "view", ("warnings", "reminders")),
        (st.Page("app_pages/meetings.py", title="会商督办", icon="🤝"), "view", ("agenda",)),
        (st.Page("app_pages/lookback.py", title="回头看与案例库", icon="🔁"), "view", ("lookback", "cases")),
        (st.Page("app_pages/notices.py", title="督办文书", icon="📨"), "notices", ()),
    ],
    "数据管理": [
        (st.Page("app_pages/export_snapshot.py", title="导出快照", icon="📤"), "export", ()),
        (st.Page("app_pages/import_ledgers.py", title="台账导入", icon="📥"), "import", ()),
        (st.Page("app_pages/workbooks.py", title="更新表", icon="🗂️"), "export", ()),
        (st.Page("app_pages/profiles.py", title="映射方案", icon="🧭"), "import", ()),
        (st.Page("app_pages/org.py", title="组织架构", icon="🌳"), "org", ()),
    ],
    "系统": [
        (st.Page("app_pages/audit_log.py", title="审计日志", icon="🧾"), "audit", ()),
        (st.Page("app_pages/users.py", title="用户管理", icon="👥"), "users", ()),
        (st.Page("app_pages/account.py", title="我的账户", icon="🔑"), "view", ()),
    ],
}


def shown(permission: str, parts: tuple[str, ...]) -> bool:
    return can(user, permission) and (not parts or any(sees(user, p) for p in parts))


# every page listed: Streamlit folds a menu of more than twelve behind "View more"
page = st.navigation({section: [p for p, permission, parts in pages if shown(permission, parts)]
                      for section, pages in PAGES.items()}, expanded=True)
st.session_state["has_data"] = common.sidebar_filters()
with st.sidebar:
    st.divider()
    st.caption(f"当前用户：{common.plain(user.label)}")
    if st.button("退出登录", key="logout_button", icon=":material/logout:"):
        auth.log_out(user)
        st.rerun()
    st.caption("政治生态分析研判看板")
    auth.watch_session()  # an expired session leaves the page by itself, not at the next click
page.run()
