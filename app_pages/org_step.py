"""台账导入's 单位确认 step (组织架构): which company a file belongs to, and for each unit name the register does not
know, the unit it means or where to add it. The answers are kept per file for the session and remembered in the
register by the import itself (actions.import_file)."""

from __future__ import annotations

import streamlit as st

from analytics import actions, org, org_import
from analytics.db import open_db
from analytics.ingest.parse import ParsedFile
from app_pages import common

ANSWERS_KEY = "org_answers"  # file digest → {unit text: (how, key)}


def _answers(digest: str) -> dict[str, tuple[str, str]]:
    return st.session_state.setdefault(ANSWERS_KEY, {}).setdefault(digest, {})


def forget(digests: set[str]) -> None:
    kept = st.session_state.get(ANSWERS_KEY, {})
    for digest in [d for d in kept if d not in digests]:
        del kept[digest]


def place(digest: str, parsed: ParsedFile) -> tuple[str | None, dict[str, tuple[str, str]], str | None]:
    """Draw the step for one file: (its company, the unit answers, why it cannot be imported yet or None)."""
    path = common.db_path()
    if not path.exists():
        return None, {}, None
    with open_db(path, read_only=True) as con:
        register = org.load(con)
        if register.empty:
            return None, {}, None
        found, how, _ = actions.import_place(con, common.user(), parsed)
    companies = register.companies
    company = st.selectbox("所属公司", companies, index=companies.index(found) if found in companies else None,
                           key=f"company_{digest}", placeholder="请选择所属公司",
                           help=f"识别依据：{how}" if found else "无法从文件名和标题判断所属公司，请选择")
    if company is None:
        return None, {}, "请选择所属公司"
    answers = {t: a for t, a in _answers(digest).items() if org.under(a[1], company)}
    with open_db(path, read_only=True) as con:
        questions = actions.import_place(con, common.user(), parsed, company)[2]
    if not questions:
        return company, answers, None
    st.markdown(f"**单位确认**：{len(questions)} 个责任单位不在{common.plain(company)}的组织架构中，"
                "请逐一指明（选择后记为该单位的别名，下次不再询问）")
    nodes = [k for k in register.by_key if org.under(k, company)]
    choices = {f"就是：{org.label(k, company) if k != company else k}": (org_import.ALIAS, k) for k in nodes
               if k != company}
    choices |= {f"新增单位，上级为：{org.label(k, company) if k != company else k}": (org_import.ADD, k)
                for k in nodes}
    labels = list(choices)
    for q in questions:
        given = answers.get(q.text)
        picked = st.selectbox(
            common.plain(org_import.question_text(q, company)), labels, key=f"unit_{digest}_{q.text}",
            index=labels.index(next(lb for lb, a in choices.items() if a == given)) if given in choices.values()
            else None, placeholder="请选择")
        if picked is not None:
            answers[q.text] = choices[picked]
    _answers(digest).clear()
    _answers(digest).update(answers)
    missing = [q for q in questions if q.text not in answers]
    return company, answers, f"有 {len(missing)} 个责任单位需要确认" if missing else None
