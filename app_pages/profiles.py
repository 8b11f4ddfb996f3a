"""映射方案: the answers saved per ledger layout (columns, status words, source, categories), to read, edit and
delete; and the categories that match no dimension, to assign. Every change goes through actions (audited)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import actions, profiles
from analytics.config import FIELD_LABELS, STATUSES, ledger_config
from analytics.db import open_db, table_exists
from analytics.errors import DashboardError
from analytics.ingest.answers import IGNORE, Answers
from app_pages import common
from app_pages.mapping import IGNORED_LABEL

FIELD_CHOICES = {IGNORED_LABEL: IGNORE} | {FIELD_LABELS[f]: f for f in FIELD_LABELS
                                           if f in set(ledger_config().aliases["problems"].values())}
NO_SOURCE = "（未指定）"


def _listing() -> pd.DataFrame:
    path = common.db_path()
    if not path.exists():
        return pd.DataFrame()
    with open_db(path, read_only=True) as con:
        return actions.ledger_profiles(con, common.user()) if table_exists(con, "ledger_profiles") else pd.DataFrame()


def _write(change) -> bool:
    """Run one audited change on the database; a busy database or a refusal is said, not raised."""
    try:
        with open_db(common.db_path()) as con:
            change(con)
    except (DashboardError, ValueError) as exc:
        st.error(common.plain(str(exc)))
        return False
    return True


def _texts(columns: dict[str, list[str]]) -> pd.DataFrame:
    """An editable table of text columns (typed as text even when empty, so rows can be added)."""
    return pd.DataFrame({name: pd.Series(values, dtype="string") for name, values in columns.items()})


def profile_editor(row) -> None:
    """One profile: its column, status and category answers as editable tables, its source, save and delete."""
    answers = Answers.from_dict(row.answers)
    key = row.layout_key
    st.caption(f"表头：{common.plain('、'.join(row.headers))}")
    st.caption(f"保存：{common.plain(row.updated_by or '—')} {row.updated_at:%Y-%m-%d %H:%M}；"
               f"上次使用：{'—' if pd.isna(row.used_at) else f'{row.used_at:%Y-%m-%d %H:%M}'}")
    labels = {f: label for label, f in FIELD_CHOICES.items()}
    columns = st.data_editor(
        _texts({"列": list(answers.columns), "导入为": [labels.get(f, f) for f in answers.columns.values()]}),
        num_rows="dynamic", hide_index=True, key=f"profile_columns_{key}",
        column_config={"列": st.column_config.TextColumn(required=True),
                       "导入为": st.column_config.SelectboxColumn(options=list(FIELD_CHOICES), required=True)})
    statuses = st.data_editor(
        _texts({"状态写法": list(answers.statuses), "对应状态": list(answers.statuses.values())}),
        num_rows="dynamic", hide_index=True, key=f"profile_statuses_{key}",
        column_config={"状态写法": st.column_config.TextColumn(required=True),
                       "对应状态": st.column_config.SelectboxColumn(options=list(STATUSES), required=True)})
    sources = [NO_SOURCE, *ledger_config().source_names]
    source = st.selectbox("未写明来源时的问题来源", sources, key=f"profile_source_{key}",
                          index=sources.index(answers.source) if answers.source in sources else 0)
    save, delete = st.columns(2)
    if save.button("保存修改", key=f"profile_save_{key}", type="primary"):
        edited = Answers(
            {str(h).strip(): FIELD_CHOICES[f] for h, f in zip(columns["列"], columns["导入为"], strict=True)
             if isinstance(h, str) and h.strip() and f in FIELD_CHOICES},
            {str(w).strip(): s for w, s in zip(statuses["状态写法"], statuses["对应状态"], strict=True)
             if isinstance(w, str) and w.strip() and s in STATUSES},
            None if source == NO_SOURCE else source, answers.categories)
        if _write(lambda con: actions.save_profile(con, common.user(), key, row.name, row.headers, edited)):
            st.success("已保存")
            st.rerun()
    confirm = delete.checkbox("确认删除", key=f"profile_confirm_{key}")
    if delete.button("删除映射方案", key=f"profile_delete_{key}", disabled=not confirm) and \
            _write(lambda con: actions.delete_profile(con, common.user(), key)):
        st.rerun()


def categories_section() -> None:
    st.subheader("未归类的问题类别")
    scoring = common.scoring()
    path = common.db_path()
    if not path.exists():
        st.caption("还没有数据。")
        return
    with open_db(path, read_only=True) as con:
        frame = profiles.unclassified_categories(con, scoring.unclassified)
    if frame.empty:
        st.caption(f"所有问题类别都已对应到维度（没有计入「{scoring.unclassified}」的类别）。")
        return
    st.caption(f"这些问题类别未对应到任何维度，暂计入「{scoring.unclassified}」，不扣分。指定维度后立即重新计算。")
    for r in frame.itertuples():
        left, right = st.columns([2, 3])
        left.markdown(f"「{common.plain(r.category)}」：{r.problems} 个问题")
        chosen = right.selectbox("归入维度", scoring.dimension_names, index=None, key=f"category_{r.category}",
                                 placeholder="选择维度", label_visibility="collapsed")
        if chosen and right.button("确定", key=f"category_ok_{r.category}") and \
                _write(lambda con, c=r.category, d=chosen: actions.assign_category(con, common.user(), c, d, scoring)):
            st.rerun()


def main() -> None:
    st.title("映射方案")
    st.caption("导入台账时回答过的问题（哪一列是什么、状态写法的含义、来源），按表头格式保存；"
               "同一格式的台账再次导入时自动采用，不再询问。修改和删除都记入审计日志。")
    try:
        frame = _listing()
    except DashboardError as exc:
        st.error(common.plain(str(exc)))
        return
    if frame.empty:
        st.info("还没有映射方案：在「台账导入」中回答映射问题并导入后，会自动保存在这里。")
    for row in frame.itertuples():
        with st.expander(common.plain(row.name)):
            profile_editor(row)
    categories_section()


main()
