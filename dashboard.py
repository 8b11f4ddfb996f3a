"""Entry point: `streamlit run dashboard.py` — page config, navigation, the sidebar filters."""

import streamlit as st

from app_pages import common

st.set_page_config(page_title="政治生态分析研判看板", page_icon="📊", layout="wide")

PAGES = {
    "分析研判": [
        st.Page("app_pages/overview.py", title="总览", icon="📊", default=True),
        st.Page("app_pages/trends.py", title="问题趋势", icon="📈"),
        st.Page("app_pages/rectification.py", title="整改销号", icon="✅"),
        st.Page("app_pages/scores.py", title="八维评分", icon="🎯"),
        st.Page("app_pages/unit_portrait.py", title="单位画像", icon="🏢"),
        st.Page("app_pages/supervision.py", title="监督清单", icon="📋"),
        st.Page("app_pages/follow_up.py", title="预警督办", icon="🚨"),
    ],
    "数据管理": [
        st.Page("app_pages/export_snapshot.py", title="导出快照", icon="📤"),
        st.Page("app_pages/import_ledgers.py", title="台账导入", icon="📥"),
    ],
}

page = st.navigation(PAGES)
st.session_state["has_data"] = common.sidebar_filters()
st.sidebar.caption("政治生态分析研判看板")
page.run()
