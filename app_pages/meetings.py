"""会商督办: the 督办清单 of 议定事项 with their progress, the meetings with their agenda and 会商纪要, and a new
meeting's agenda picked from the open decisions and the 会商议题建议清单. Every change goes through actions."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import actions, meetings
from analytics.access import can
from app_pages import common

TEXT, DATE = st.column_config.TextColumn, st.column_config.DateColumn
DECISION_CONFIG = {
    "meeting_kind": TEXT("会商类型"), "held_on": DATE("会商日期", format="YYYY-MM-DD"),
    "matter": TEXT("议定事项", width="large"), "unit": TEXT("责任单位"), "person": TEXT("责任人"),
    "due": DATE("完成时限", format="YYYY-MM-DD"), "status": TEXT("状态"),
    "completed_on": DATE("完成日期", format="YYYY-MM-DD"), "last_note": TEXT("最新进展", width="large"),
    "last_noted_on": DATE("进展日期", format="YYYY-MM-DD"),
}
ITEM_CONFIG = {"use": st.column_config.CheckboxColumn("列入", default=True), "origin": TEXT("来源"),
               "kind": TEXT("议题类别"), "topic": TEXT("议题", width="large", required=True),
               "reason": TEXT("说明", width="large"), "unit": TEXT("涉及单位"), "dimension": TEXT("涉及维度")}

common.require_data("会商督办")
st.title("会商督办")
who = common.user()
may_record = can(who, "follow_record")
period, scope = common.current_filters()
cfg = common.scoring()
today = dt.date.today()
st.caption("党委纪委沟通会商形成的议定事项纳入督办清单，逐项跟踪到办结；下次会商首先通报未办结事项。")

tabs = st.tabs(["督办清单", "会商记录", *(["新建会商"] if may_record else [])])

with tabs[0]:
    as_of = st.date_input("截至日期", today, key="meet_as_of", help="状态按该日期计算：逾期即超过完成时限仍未办结")
    listed = common.read(lambda con: actions.supervision_list(con, who, as_of))
    cols = st.columns(len(meetings.STATUSES))
    for col, status in zip(cols, meetings.STATUSES, strict=True):
        col.metric(status, int((listed["status"] == status).sum()), border=True)
    if listed.empty:
        st.info("还没有议定事项。会商记录保存后，在「会商记录」中逐项登记议定事项。")
    else:
        chosen = st.pills("状态", list(meetings.STATUSES), selection_mode="multi", key="meet_status",
                          help="不选即显示全部")
        shown = listed[listed["status"].isin(chosen)] if chosen else listed
        common.table(shown, "督办清单", "meet_decisions", filtered=False, column_order=list(DECISION_CONFIG),
                     column_config=DECISION_CONFIG, download=False)
        common.file_download("下载督办清单（Excel）",
                             lambda: common.read(lambda con: actions.supervision_workbook(con, who, as_of)),
                             f"督办清单_{as_of:%Y%m%d}.xlsx", common.XLSX, "督办清单", "meet_decisions_xlsx",
                             as_of=str(as_of))
        labels = {int(r.decision_id): f"{r.unit}：{r.matter}" for r in listed.itertuples()}
        picked = st.selectbox("议定事项", list(labels), format_func=labels.get, key="meet_decision")
        notes = common.read(lambda con: actions.decision_progress(con, who, picked))
        if notes.empty:
            st.caption("该事项还没有进展记录。")
        else:
            common.table(notes, "进展记录", "meet_progress_table", filtered=False, download=False,
                         column_order=["noted_on", "note", "completes", "recorded_by", "recorded_at"],
                         column_config={"noted_on": DATE("进展日期", format="YYYY-MM-DD"),
                                        "note": TEXT("进展情况", width="large"),
                                        "completes": st.column_config.CheckboxColumn("办结"),
                                        "recorded_by": TEXT("记录人"),
                                        "recorded_at": st.column_config.DatetimeColumn("记录时间",
                                                                                       format="YYYY-MM-DD HH:mm")})
        if may_record:
            with st.form("meet_progress_form", clear_on_submit=True):
                noted_on = st.date_input("进展日期", today)
                note = st.text_area("进展情况")
                completes = st.checkbox("该事项已办结")
                if st.form_submit_button("记录进展") and common.write(
                        lambda con: actions.add_progress(con, who, picked, noted_on, note, completes)):
                    st.rerun()

with tabs[1]:
    held = common.read(lambda con: actions.meeting_list(con, who))
    if held.empty:
        st.info("还没有会商记录。")
    else:
        names = {int(r.meeting_id): f"{r.held_on:%Y-%m-%d} {r.kind}：{r.topic}" for r in held.itertuples()}
        meeting_id = st.selectbox("会商", list(names), format_func=names.get, key="meet_meeting")
        record = held[held["meeting_id"] == meeting_id].iloc[0]
        st.caption(f"参加人员：{common.plain(record['participants'] or common.BLANK)}；"
                   f"记录人：{common.plain(record['recorded_by'] or common.BLANK)}")
        items = common.read(lambda con: actions.meeting_agenda(con, who, meeting_id))
        st.subheader("会商议题")
        common.table(items, "会商议题", "meet_items", filtered=False, download=False,
                     column_order=["item_no", "origin", "kind", "topic", "reason", "unit", "dimension"],
                     column_config={"item_no": st.column_config.NumberColumn("序号", width="small"),
                                    **{k: v for k, v in ITEM_CONFIG.items() if k != "use"}})
        st.subheader("议定事项")
        decided = common.read(lambda con: actions.supervision_list(con, who, today, meeting_id))
        common.table(decided, "议定事项", "meet_decided", filtered=False, download=False,
                     column_order=["matter", "unit", "person", "due", "status"], column_config=DECISION_CONFIG)
        if can(who, "all_units"):
            common.file_download("下载会商纪要（Word）",
                                 lambda: common.read(lambda con: actions.meeting_minutes(con, who, meeting_id))[1],
                                 f"{record['kind']}纪要_{record['held_on']:%Y%m%d}.docx", common.DOCX, "会商纪要",
                                 "meet_minutes_docx", meeting_id=meeting_id)
        if may_record:
            with st.form("meet_decision_form", clear_on_submit=True):
                st.markdown("**登记议定事项**")
                matter = st.text_area("议定事项")
                left, middle, right = st.columns(3)
                unit = left.text_input("责任单位")
                person = middle.text_input("责任人")
                due = right.date_input("完成时限", today + dt.timedelta(days=30))
                if st.form_submit_button("保存议定事项") and common.write(lambda con: actions.add_decision(
                        con, who, meeting_id, meetings.Decision(matter, unit, person, due))):
                    st.rerun()

if may_record:
    with tabs[2]:
        left, right = st.columns(2)
        kind = left.selectbox("会商类型", meetings.KINDS, key="meet_new_kind")
        held_on = right.date_input("会商日期", today, key="meet_new_date")
        topic = st.text_input("会商主题", f"{period.label}政治生态分析研判", key="meet_new_topic")
        participants = st.text_input("参加人员", key="meet_new_people")
        st.markdown("**会商议题**")
        st.caption(f"前次会商未办结的议定事项排在最前，其后是{period.label}的会商议题建议清单（按侧栏筛选）；"
                   "取消勾选即不列入，可直接修改议题文字，也可在表末增加议题。")
        proposed = common.read(lambda con: actions.proposed_agenda(con, who, period, held_on, scope, cfg=cfg))
        proposed.insert(0, "use", True)
        edited = st.data_editor(proposed, num_rows="dynamic", hide_index=True, key="meet_new_items",
                                column_order=list(ITEM_CONFIG), column_config=ITEM_CONFIG,
                                disabled=["origin", "kind"])
        if st.button("保存会商记录", type="primary", key="meet_new_save"):
            items = edited[edited["use"].fillna(True).astype(bool)].drop(columns="use")
            items = items.assign(origin=items["origin"].where(items["origin"].notna(), meetings.ADDED))
            if common.write(lambda con: actions.record_meeting(con, who, kind, held_on, topic, participants, period,
                                                               pd.DataFrame(items))):
                st.session_state["meet_saved"] = True
                st.rerun()  # the other tabs, drawn before the button, show the new meeting
        if st.session_state.pop("meet_saved", False):
            st.success("会商记录已保存，请在「会商记录」中登记议定事项。")
