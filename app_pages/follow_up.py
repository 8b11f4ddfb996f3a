"""预警督办: warnings by tier with the rule that fired, and the 会商议题建议清单 (downloadable as CSV)."""

import streamlit as st

from analytics import actions, csvsafe, notices
from analytics.access import sees
from analytics.alerts import AGENDA_KINDS, TIERS
from app_pages import common, notice_parts

TEXT = st.column_config.TextColumn
ALL_TIERS = "全部"
AGENDA_HEADERS = {"rank": "序号", "kind": "议题类别", "topic": "议题", "reason": "提出理由", "figures": "相关数据",
                  "unit": "涉及单位", "dimension": "涉及维度"}


def tier_rules() -> dict[str, str]:
    """When each tier fires, in words, from the configured thresholds."""
    cfg = common.scoring()
    return dict(zip(TIERS, (
        f"一般问题：{cfg.notice_days} 天内到期，或逾期不超过 {cfg.reminder_max_overdue} 天",
        f"苗头性问题：逾期超过 {cfg.supervision_overdue} 天，"
        f"或单位在同一维度有 {cfg.concentration_open} 个及以上未完成问题",
        f"突出问题：改而复发、逾期超过 {cfg.proposal_overdue} 天，或单位评为{cfg.proposal_grade}",
    ), strict=True))


full = sees(common.user(), "warnings")  # else the reminders addressed to the user's unit alone
common.require_data("预警督办" if full else "工作提醒函")
st.title("预警督办" if full else "工作提醒函")
st.caption(common.scope_caption())
period, _ = common.current_filters()

data = common.view("follow_up")
counts, warned = data["counts"], data["warnings"]
rules = tier_rules()

late = notice_parts.overdue() if full else None  # 逾期未回复 督办文书: a warning of their own
cols = st.columns(len(counts) + (late is not None))
for col, (tier, n) in zip(cols, counts.items(), strict=False):
    col.metric(tier, n, border=True, help=rules.get(tier))
if late is not None:
    cols[-1].metric(notices.OVERDUE_REPLY, len(late), border=True, help="已签发或送达的督办文书，超过回复时限仍未回复")
if full:
    st.caption("每个问题只按其达到的最高一级预警计；单位层面的预警（问题集中、评为较差）单独成行。")
    st.subheader("预警明细")
    tier = st.segmented_control("预警等级", [ALL_TIERS, *counts], default=ALL_TIERS, required=True,
                                format_func=lambda t: t if t == ALL_TIERS else f"{t}（{counts[t]}）",
                                key="follow_up_tier")
else:
    st.caption("本单位即将到期或逾期不久、请抓紧整改的问题。")
    tier = ALL_TIERS
shown = warned if tier in (None, ALL_TIERS) else data["by_tier"][tier]
total = sum(counts.values()) if tier in (None, ALL_TIERS) else counts[tier]
if len(shown) < total:
    st.caption(f"仅显示最紧要的前 {len(shown)} 条（共 {total} 条）。")
if full and tier in rules:
    st.caption(f"{tier}：{rules[tier]}")
if shown.empty:
    st.success("本期没有触发该等级的预警。" if full else "本期没有需要提醒的问题。")
elif full:
    shown = notice_parts.with_marks(shown, period)
    common.table(
        shown, f"预警明细（{tier}）", "follow_up_warnings_table", problems=True,
        column_order=["tier", "target", "unit", "dimension", "problem_code", "description", "measures", "rule",
                      "notice"],
        column_config={
            "tier": TEXT("预警等级"), "target": TEXT("对象"), "unit": TEXT("责任单位"), "dimension": TEXT("维度"),
            "problem_code": TEXT("问题编号"), "description": TEXT("问题描述", width="large"),
            "measures": TEXT("整改措施", width="large"),
            "rule": TEXT("触发规则", width="medium"),
            "notice": TEXT("督办文书", help="已为该预警起草的文书及其办理状态"),
        })
else:
    common.table(
        shown.assign(due=[common.due_text(d) for d in shown["days_left"]]), "工作提醒函", "follow_up_reminders_table",
        problems=True,
        column_order=["unit", "problem_code", "description", "measures", "deadline", "due"],
        column_config={
            "unit": TEXT("责任单位"), "problem_code": TEXT("问题编号"), "description": TEXT("问题描述", width="large"),
            "measures": TEXT("整改措施", width="large"),
            "deadline": st.column_config.DateColumn("整改时限", format="YYYY-MM-DD"),
            "due": TEXT("逾期或剩余天数", help=f"截至期末（{period.end:%Y-%m-%d}）"),
        })

if full:
    notice_parts.overdue_section(late)
    notice_parts.draft_form(warned, period)

if "agenda" in data:  # the 纪委's deliberations: only for the roles that see them (data/access.toml)
    agenda = data["agenda"]
    st.subheader("会商议题建议清单")
    st.caption(f"会商前建议研究的事项，按{'、'.join(AGENDA_KINDS)}的顺序排列，同类中按严重程度排列。")
    if agenda.empty:
        st.info("本期没有需要提请会商的议题。")
    else:
        common.table(
            agenda, "会商议题建议清单", "follow_up_agenda_table", download=False, column_order=list(AGENDA_HEADERS),
            column_config={
                "rank": st.column_config.NumberColumn("序号", width="small"), "kind": TEXT("议题类别"),
                "topic": TEXT("议题", width="large"), "reason": TEXT("提出理由", width="large"),
                "figures": TEXT("相关数据", width="medium"), "unit": TEXT("涉及单位"), "dimension": TEXT("涉及维度"),
            })
        table = agenda[list(AGENDA_HEADERS)].rename(columns=AGENDA_HEADERS)
        content = csvsafe.to_csv(table)  # formula-safe, UTF-8 with BOM so that Excel opens the Chinese text
        st.download_button("下载会商议题建议清单（CSV）", content, file_name=f"会商议题建议清单_{period}.csv",
                           mime="text/csv", icon=":material/download:", key="follow_up_agenda_csv",
                           on_click=lambda: actions.downloaded(common.db_path(), common.user(), "会商议题建议清单",
                                                               content, period=str(period),
                                                               scope=common.scope_caption()))
