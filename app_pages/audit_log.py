"""审计日志 (管理员、纪委书记): who logged in, imported, undid, exported or changed what, and when."""

import streamlit as st

from analytics import actions, audit
from analytics.errors import DashboardError
from app_pages import common

user = common.user()
db = common.db_path()
st.title("审计日志")
st.caption("登录、导入、撤销、导出、下载和配置变更，逐条追加记录，不可修改或删除；"
           "每条记录含前一条的校验值，任何改动都会在下方的完整性检查中显示。")

try:
    frame = actions.audit_log(db, user)
except DashboardError as exc:
    st.error(str(exc))
    st.stop()

problems = audit.verify(db)
if problems:
    st.error("完整性检查未通过：" + "；".join(problems[:10]))
else:
    st.success(f"完整性检查通过：共 {len(frame)} 条记录，首尾相接，无改动。")

left, right = st.columns(2)
actions_chosen = left.multiselect("操作", sorted(set(frame["action_label"])), key="audit_actions",
                                  placeholder="全部操作")
people = right.multiselect("操作人", sorted(set(frame["who"])), key="audit_people", placeholder="全部人员")
shown = frame
if actions_chosen:
    shown = shown[shown["action_label"].isin(actions_chosen)]
if people:
    shown = shown[shown["who"].isin(people)]
st.dataframe(shown.drop(columns=["action"]).rename(columns=audit.LABELS), hide_index=True, key="audit_table",
             placeholder=common.BLANK, column_config={"详情": st.column_config.TextColumn(width="large")})
st.caption(f"显示 {len(shown)} / {len(frame)} 条，最新在前。下载的是完整日志（下载本身也记入日志）。")

for fmt, label in (("xlsx", "下载审计日志（Excel）"), ("csv", "下载审计日志（CSV）")):
    if st.button(label, key=f"audit_prepare_{fmt}"):
        st.session_state["audit_file"] = (fmt, actions.audit_export(db, user, fmt))
if prepared := st.session_state.get("audit_file"):
    fmt, content = prepared
    st.download_button("保存文件", content, file_name=f"审计日志.{fmt}", type="primary", on_click="ignore",
                       key="audit_download", icon=":material/download:")
