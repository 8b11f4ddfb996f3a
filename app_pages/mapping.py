"""台账导入's mapping step: what the importer could not decide, asked as choices, answered once.

The answers live in the session per uploaded file until it is imported; the parse re-runs with them, so the
preview follows each choice. On import they are saved as the ledger profile of each sheet's header layout
(actions.remember_answers), and categories for the whole database (actions.assign_answered_categories).
"""

from __future__ import annotations

import streamlit as st

from analytics import profiles
from analytics.config import FIELD_LABELS, STATUSES, ledger_config
from analytics.ingest import answers as asked
from analytics.ingest.answers import IGNORE, Answers, Question, column_key
from analytics.ingest.parse import ParsedFile
from app_pages import common

ANSWERS_KEY = "import_answers"  # upload digest → Answers chosen on the page
IGNORED_LABEL = "（不导入）"
SOURCE_LABEL = {"column": "表头", "answered": "本次指定或映射方案", "sniffed": "按内容识别"}


def saved_profiles() -> dict[str, Answers]:
    """Every saved profile's answers (none before the first import)."""
    return profiles.saved_in(common.db_path())


def answers_of(digest: str) -> Answers:
    return st.session_state.setdefault(ANSWERS_KEY, {}).get(digest) or Answers()


def forget(digests: set[str]) -> None:
    """Drop the answers of files no longer uploaded."""
    kept = st.session_state.get(ANSWERS_KEY, {})
    for digest in [d for d in kept if d not in digests]:
        del kept[digest]


def _problem_fields() -> list[str]:
    return sorted(set(ledger_config().aliases["problems"].values()), key=list(FIELD_LABELS).index)


def _set(digest: str, widget: str, apply) -> None:
    """A choice made: the file's answers change, and the next parse uses them."""
    value = st.session_state.get(widget)
    current = answers_of(digest)
    answers = Answers(dict(current.columns), dict(current.statuses), current.source, dict(current.categories))
    apply(answers, value)
    st.session_state.setdefault(ANSWERS_KEY, {})[digest] = answers


def mapping_step(digest: str, parsed: ParsedFile) -> None:
    """One choice per question; answered choices stay listed so they can be changed."""
    questions = parsed.questions
    given = answers_of(digest)
    if not questions and given.is_empty():
        return
    blocking = [q for q in questions if q.blocking]
    st.markdown(f"**映射确认**：{'有 ' + str(len(blocking)) + ' 项需要确认，' if blocking else ''}"
                "选择后预览随之更新；导入后按表头格式保存为映射方案，同一格式的台账下次不再询问。")
    for q in sorted(questions, key=lambda q: not q.blocking):  # what must be answered first
        _ask(digest, q, parsed)
    _answered(digest, given)


def _ask(digest: str, q: Question, parsed: ParsedFile) -> None:
    widget = f"map_{digest}_{q.kind}_{q.sheet}_{q.subject}"
    if q.kind == asked.COLUMN:
        fields = _problem_fields()
        st.selectbox(f"工作表「{q.sheet}」的列「{q.subject}」导入为", [IGNORE, *fields], index=None, key=widget,
                     format_func=lambda f: IGNORED_LABEL if f == IGNORE else FIELD_LABELS.get(f, f),
                     placeholder="未识别的列：请选择字段，或选择不导入",
                     on_change=_set, args=(digest, widget, _column(q.subject)))
    elif q.kind == asked.MISSING:
        layout = next(s.layout for s in parsed.sheets if s.name == q.sheet)
        label = FIELD_LABELS.get(q.subject, q.subject)
        st.selectbox(f"工作表「{q.sheet}」中哪一列是「{label}」？", layout.unmapped, index=None, key=widget,
                     placeholder="请选择列", on_change=_set, args=(digest, widget, _field_column(q.subject)))
    elif q.kind == asked.STATUS:
        st.selectbox(f"工作表「{q.sheet}」的整改状态「{q.subject}」是指", list(STATUSES), index=None, key=widget,
                     placeholder="请选择五种整改状态之一", on_change=_set, args=(digest, widget, _status(q.subject)))
    elif q.kind == asked.SOURCE:
        st.selectbox(f"工作表「{q.sheet}」有 {q.rows} 行没有写明问题来源，文件名和标题中也没有：来源是",
                     list(ledger_config().source_names), index=None, key=widget, placeholder="请选择问题来源",
                     on_change=_set, args=(digest, widget, _source))
    elif q.kind == asked.CATEGORY:
        scoring = common.scoring()
        st.selectbox(f"问题类别「{q.subject}」（{q.rows} 个问题）归入维度", list(scoring.dimension_names),
                     index=None, key=widget, placeholder=f"未对应到任何维度，暂计入「{scoring.unclassified}」",
                     on_change=_set, args=(digest, widget, _category(q.subject)))


def _column(header: str):
    def apply(answers: Answers, fld: str | None) -> None:
        if fld:
            answers.columns[column_key(header)] = fld
    return apply


def _field_column(fld: str):
    def apply(answers: Answers, header: str | None) -> None:
        if header:
            answers.columns[column_key(header)] = fld
    return apply


def _status(word: str):
    def apply(answers: Answers, status: str | None) -> None:
        if status:
            answers.statuses[word] = status
    return apply


def _category(category: str):
    def apply(answers: Answers, dimension: str | None) -> None:
        if dimension:
            answers.categories[category] = dimension
    return apply


def _source(answers: Answers, source: str | None) -> None:
    answers.source = source


def _answered(digest: str, given: Answers) -> None:
    """What was answered on this page, with a way to take it back."""
    lines = [*(f"列「{h}」→ {IGNORED_LABEL if f == IGNORE else FIELD_LABELS.get(f, f)}"
               for h, f in given.columns.items()),
             *(f"状态「{w}」→ {s}" for w, s in given.statuses.items()),
             *([f"来源 → {given.source}"] if given.source else []),
             *(f"类别「{c}」→ {d}" for c, d in given.categories.items())]
    if not lines:
        return
    st.caption("已选择：" + "；".join(common.plain(line) for line in lines))
    if st.button("重新选择", key=f"map_reset_{digest}"):
        st.session_state.get(ANSWERS_KEY, {}).pop(digest, None)
        for key in [k for k in st.session_state if str(k).startswith(f"map_{digest}_")]:
            del st.session_state[key]
        st.rerun()
