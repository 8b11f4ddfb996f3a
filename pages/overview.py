"""总览: the latest period's headline figures."""

import streamlit as st

from pages import common

st.title("政治生态分析研判看板")
rev = common.data_revision()
if rev is None:
    st.info("还没有数据。请用 `python -m analytics import 台账.xlsx` 导入季度问题整改台账。")
    st.stop()
try:
    s = common.summary(str(common.db_path()), rev, None)
except Exception as exc:  # an empty database has no period yet
    st.info(f"还没有问题台账数据：{exc}")
    st.stop()
st.subheader(f"{s['period']}（截至 {s['as_of']}）")
cols = st.columns(4)
cols[0].metric("问题总数", s["total"])
cols[1].metric("已销号", s["closed"])
cols[2].metric("销号率", common.pct(s["closure_rate"]))
cols[3].metric("逾期", s["overdue"])
