"""督办文书: the register of 提醒函 / 督办单 / 建议书 with filters, one document's problems, steps and replies, the
lifecycle steps the user's role may take now, and the audited downloads. Every step goes through analytics.actions."""

import datetime as dt

import streamlit as st

from analytics import actions, notices
from analytics.db import open_db, table_exists
from analytics.errors import DashboardError
from analytics.export import notice as notice_export
from analytics.export import tools
from app_pages import common

TEXT, DATE = st.column_config.TextColumn, st.column_config.DateColumn
ALL = "全部"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

who, today, db = common.user(), dt.date.today(), common.db_path()
ncfg = common.notices_config()
st.title("督办文书")
full = actions.can_notices(who)
st.caption("工作提醒函、工作督办单、纪检建议书的登记与办理：拟稿 → 签发 → 送达 → 回复 → 核验办结。"
           if full else "送达本单位的督办文书及其回复时限；书面回复请按文书要求报送纪委，由纪委办登记。")
if flash := st.session_state.pop("notices_flash", None):
    st.success(flash, icon=":material/check:")


def read(fn):
    if not db.exists():
        return None
    with open_db(db, read_only=True) as con:
        return fn(con) if table_exists(con, "notices") else None


register = read(lambda con: actions.notice_register(con, who, today))
if register is None or register.empty:
    st.info("还没有督办文书。" + ("可在「预警督办」页选择单位或问题起草。" if full else ""), icon=":material/info:")
    st.stop()

c1, c2, c3, c4 = st.columns([1, 2, 2, 1], vertical_alignment="bottom")
kind = c1.selectbox("文书类型", [ALL, *notices.KINDS], key="notices_kind")
states = c2.multiselect("办理状态", [*notices.STATUSES, notices.OVERDUE_REPLY], key="notices_states",
                        placeholder="全部状态")
units = c3.multiselect("主送单位", sorted(register["unit"].unique()), key="notices_units", placeholder="全部单位")
late = c4.toggle("只看逾期未回复", key="notices_late")
shown = register
if kind != ALL:
    shown = shown[shown["kind"] == kind]
if states:
    shown = shown[shown["state"].isin(states) | shown["status"].isin(states)]
if units:
    shown = shown[shown["unit"].isin(units)]
if late:
    shown = shown[shown["overdue"].astype(bool)]
shown = shown.reset_index(drop=True)
if (n_late := int(register["overdue"].sum())) and full:
    st.warning(f"有 {n_late} 份文书逾期未回复。", icon=":material/warning:")
common.table(shown, "督办文书登记簿", "notices_register", filtered=False,
             column_order=["number", "kind", "unit", "period", "problems", "reply_by", "state", "drafted_by",
                           "last_step_at"],
             column_config={"number": TEXT("发文字号"), "kind": TEXT("文书类型"), "unit": TEXT("主送单位"),
                            "period": TEXT("预警期间"),
                            "problems": st.column_config.NumberColumn("问题数", format="%d"),
                            "reply_by": DATE("回复时限", format="YYYY-MM-DD"), "state": TEXT("办理状态"),
                            "drafted_by": TEXT("拟稿人"),
                            "last_step_at": st.column_config.DatetimeColumn("最近办理", format="YYYY-MM-DD HH:mm")})
if shown.empty:
    st.stop()

labels = {int(r.notice_id): f"{r.number}　{r.unit}　{r.state}" for r in shown.itertuples()}
notice_id = st.selectbox("查看和办理", list(labels), format_func=labels.get, key="notices_selected")
try:
    found = read(lambda con: actions.notice_detail(con, who, notice_id))
except DashboardError as exc:
    st.error(common.plain(str(exc)), icon=":material/error:")
    st.stop()
n = found["notice"]
row = shown[shown["notice_id"] == notice_id].iloc[0]
st.subheader(f"{n['number']}　{n['title']}")
st.markdown(f"**主送**：{common.plain(n['unit'])}　**发文机关**：{common.plain(n['issuer'])}　"
            f"**回复时限**：{n['reply_by']:%Y-%m-%d}　**办理状态**：{row['state']}")
if n.get("basis"):
    st.caption(f"单位层面的预警：{common.plain(n['basis'])}")
problems = found["problems"]
if not problems.empty:
    rule = ["rule"] if "rule" in problems.columns else []
    common.table(problems, f"{n['number']}所列问题", f"notices_problems_{notice_id}", filtered=False, problems=True,
                 column_order=["problem_code", "description", "deadline", "tier", *rule],
                 column_config={"problem_code": TEXT("问题编号"), "description": TEXT("问题描述", width="large"),
                                "deadline": DATE("整改时限", format="YYYY-MM-DD"), "tier": TEXT("预警等级"),
                                "rule": TEXT("预警依据", width="medium")})

left, right = st.columns(2)
with left:
    st.markdown("**办理过程**")
    common.table(found["steps"], f"{n['number']}办理过程", f"notices_steps_{notice_id}", filtered=False, download=False,
                 column_order=["step_name", "status", "step_at", "by_name", "by_role", "note"],
                 column_config={"step_name": TEXT("步骤"), "status": TEXT("办理后状态"),
                                "step_at": st.column_config.DatetimeColumn("时间", format="YYYY-MM-DD HH:mm"),
                                "by_name": TEXT("办理人"), "by_role": TEXT("角色"), "note": TEXT("说明")})
with right:
    st.markdown("**回复**")
    replies = found["replies"]
    if replies.empty:
        st.caption("尚未收到回复。")
    for r in replies.itertuples():
        st.caption(f"第 {r.reply_no} 次回复，{r.recorded_at:%Y-%m-%d %H:%M} 由 {common.plain(r.recorded_by)} 登记")
        if isinstance(r.text, str) and r.text:
            st.text(r.text)
        if isinstance(r.file_name, str) and r.file_name:
            common.audited_download(
                f"下载回复附件 {r.file_name}（{int(r.file_size) / 1024:.1f} KB）", "督办文书回复附件", r.file_name,
                lambda no=r.reply_no: read(lambda con: actions.reply_file(con, who, notice_id, no))[1],
                "application/octet-stream", f"notices_reply_{notice_id}_{r.reply_no}", number=n["number"])

if full:
    d1, d2 = st.columns(2)
    for col, fmt, mime in ((d1, "docx", DOCX), (d2, "pdf", "application/pdf")):
        if fmt == "pdf" and (why := tools.unavailable().get("pdf")):
            col.caption(common.plain(why))
            continue
        common.audited_download(
            f"下载{'Word 文档' if fmt == 'docx' else ' PDF'}", "督办文书",
            notice_export.name_of(n["number"], n["kind"], n["unit"], fmt),
            lambda fmt=fmt: read(lambda con: actions.notice_file(con, who, notice_id, fmt))[1], mime,
            f"notices_file_{notice_id}_{fmt}", where=col, number=n["number"])


def act(step: str, **options) -> None:
    try:
        with open_db(db) as con:
            status = actions.notice_step(con, who, notice_id, step, ncfg=ncfg, **options)
    except DashboardError as exc:
        st.error(common.plain(str(exc)), icon=":material/error:")
        return
    st.session_state["notices_flash"] = f"{n['number']}：已{notices.STEP_NAMES[step]}，现为「{status}」。"
    st.rerun()


allowed = actions.notice_steps_for(who, n["status"])
if allowed:
    st.subheader("办理")
for step in allowed:
    name = notices.STEP_NAMES[step]
    if step == notices.REPLY:
        with st.form(f"notices_reply_form_{notice_id}", clear_on_submit=True):
            text = st.text_area("回复内容", key=f"notices_reply_text_{notice_id}")
            upload = st.file_uploader(f"回复文件（不超过 {ncfg.max_reply_mb:g} MB）",
                                      key=f"notices_reply_file_{notice_id}")
            if st.form_submit_button(name, icon=":material/inbox:"):
                act(step, reply_text=text, reply_file=notices.ReplyFile(upload.name, upload.getvalue())
                    if upload else None)
    elif step == notices.RETURN:
        with st.form(f"notices_return_form_{notice_id}"):
            note = st.text_input("退回理由", key=f"notices_return_note_{notice_id}")
            again = st.date_input("重报时限", today + dt.timedelta(days=ncfg.reply_days), min_value=today,
                                  key=f"notices_return_by_{notice_id}")
            if st.form_submit_button(name, icon=":material/undo:"):
                act(step, note=note, reply_by=again)
    elif st.button(name, key=f"notices_{step}_{notice_id}", type="primary" if step == notices.SIGN else "secondary"):
        act(step)
