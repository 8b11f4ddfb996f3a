"""组织架构: the register of companies and their units (aliases, peer groups, head counts) to edit as a table, import
and export as xlsx; and the ledgers' unit names it does not know yet, to map. Every change goes through actions
(checked whole, backed up, audited)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from analytics import actions, org
from analytics import org_register as io
from analytics.config import ledger_config
from analytics.db import open_db
from analytics.errors import DashboardError
from app_pages import common

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _save(rows: list[io.Row], source: str) -> None:
    try:
        with open_db(common.db_path()) as con:
            changed = actions.save_org(con, common.user(), rows, cfg=common.scoring(), source=source)
    except DashboardError as exc:
        st.error(common.plain(str(exc)), icon=":material/error:")
        return
    message = f"组织架构已保存：{changed['nodes']} 个单位（新增 {changed['added']}，删除 {changed['removed']}）"
    if changed["claimed_imports"]:
        message += f"；此前导入的 {changed['claimed_imports']} 份台账归入「{changed['first_company']}」"
    st.session_state["org_saved"] = message
    st.rerun()


def editor(register: org.Register) -> None:
    st.subheader("登记表")
    st.caption("每行一个单位：公司一行「上级单位」留空；其他单位的「上级单位」写从公司起的完整路径，用 / 分隔"
               "（如 甲公司/海口分公司）。「别名」是台账里的其他写法，多个用顿号分隔。保存时整表检查，有错不改动。")
    frame = io.frame_of(register)
    text = {c: st.column_config.TextColumn(c) for c in ("上级单位", "单位名称", "同类单位", "别名")}
    edited = st.data_editor(
        frame.astype({c: "string" for c in ("上级单位", "单位名称", "同类单位", "别名")}), num_rows="dynamic",
        hide_index=True, key="org_editor", use_container_width=True, placeholder="",
        column_config=text | {"类型": st.column_config.SelectboxColumn("类型", options=list(org.KINDS), required=True),
                              "人数": st.column_config.NumberColumn("人数", min_value=0, step=1, format="%d")})
    if st.button("保存组织架构", type="primary", key="org_save", icon=":material/save:"):
        try:
            rows = io.rows_from_frame(edited, where="登记表第 {row} 行", first=1)
        except DashboardError as exc:
            st.error(common.plain(str(exc)), icon=":material/error:")
            return
        _save(rows, "组织架构页面")


def exchange(register: org.Register) -> None:
    st.subheader("导入与导出")
    left, right = st.columns(2)
    db, who = common.db_path(), common.user()

    def made() -> bytes:
        content = io.to_xlsx(register)
        actions.downloaded(db, who, "组织架构表", content)
        return content

    left.download_button("下载组织架构表（Excel，带下拉选项）", made, file_name="组织架构.xlsx", mime=XLSX,
                         on_click="ignore", icon=":material/download:", key="org_download")
    uploaded = right.file_uploader("上传组织架构表（替换现有组织架构）", type=["xlsx"], key="org_upload")
    if uploaded is not None and right.button("导入组织架构表", key="org_import", icon=":material/upload:"):
        try:
            rows = io.read_xlsx(uploaded.name, uploaded.getvalue(), ledger_config().limits)
        except DashboardError as exc:
            st.error(common.plain(str(exc)), icon=":material/error:")
            return
        _save(rows, uploaded.name)


def unregistered(register: org.Register) -> None:
    with open_db(common.db_path(), read_only=True) as con:
        frame = actions.unregistered_units(con, common.user())
    if frame.empty:
        return
    st.subheader("台账中尚未登记的单位")
    st.caption("这些单位名称出现在台账中，但不在组织架构里（也不是哪个单位的别名），暂按公司直属单位统计。"
               "记为已有单位的别名，或新增为单位后，统计即按组织架构归属。")
    for r in frame.itertuples():
        inside = [k for k in register.by_key if org.under(k, r.company)]
        left, mid, right = st.columns([2, 3, 1])
        left.markdown(f"「{common.plain(r.name)}」（{common.plain(r.company)}，{r.problems} 个问题）")
        how = mid.selectbox("处理", ["记为已有单位的别名", "新增为下列单位的下级"], key=f"org_how_{r.company}_{r.name}",
                            label_visibility="collapsed")
        target = mid.selectbox("单位", inside, format_func=org.label, key=f"org_target_{r.company}_{r.name}",
                               label_visibility="collapsed")
        if right.button("确定", key=f"org_ok_{r.company}_{r.name}") and target:
            rows = io.rows_of(register)
            if how.startswith("记为"):
                rows = [row if io.key_of(row) != target else replace(row, aliases=(*row.aliases, r.name))
                        for row in rows]
            else:
                rows.append(io.Row(target, r.name, "单位", where=f"新单位「{r.name}」"))
            _save(rows, "组织架构页面：台账中的单位")


def main() -> None:
    st.title("组织架构")
    st.caption("公司、分公司、部门和区域的层级，台账中各单位的不同写法（别名），以及同类单位分组。"
               "各项统计、评分和预警可按任一层级查看，上级的得分由下级汇总；同名单位分属不同公司时各自统计。")
    if saved := st.session_state.pop("org_saved", None):
        st.success(saved, icon=":material/check_circle:")
    try:
        with open_db(common.db_path()) as con:  # the first open of a new file makes its schema
            register = actions.org_register(con, common.user())
    except DashboardError as exc:
        st.error(common.plain(str(exc)))
        return
    if register.empty:
        st.info("还没有组织架构：单位按台账中的名称统计，全部视为一个公司的直属单位。登记后，台账导入时会确认所属公司，"
                "不认识的单位名称会逐一询问。", icon=":material/info:")
    else:
        counts = pd.Series([n.kind for n in register.nodes.values()]).value_counts()
        st.caption("；".join(f"{kind} {int(n)} 个" for kind, n in counts.items()))
    editor(register)
    exchange(register)
    if not register.empty:
        unregistered(register)


main()
