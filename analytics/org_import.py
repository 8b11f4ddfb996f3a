"""An import's place in the 组织架构: the company a ledger belongs to, the unit texts the register does not know,
and the answers that settle them (an alias of a unit, or a new unit under a parent), remembered in the register.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow.compute as pc

from analytics import org, org_register
from analytics.ingest.parse import ParsedFile
from analytics.org import AMBIGUOUS, OrgError, Register, clean

ALIAS, ADD = "alias", "add"  # an answer: (ALIAS, the unit's key) or (ADD, the parent's key)


@dataclass(frozen=True)
class UnitQuestion:
    """A unit text of a ledger that the register does not resolve in the import's company."""

    text: str
    rows: int  # ledger rows naming it
    sheet: str
    excel_row: int  # the first of them
    candidates: tuple[str, ...] = ()  # the units it could mean, when it fits several


def company_of_file(register: Register, given: str | None, parsed: ParsedFile) -> tuple[str | None, str]:
    """The company an import belongs to, and how it was found (指定/文件名/标题/唯一的公司): given (a company's name
    or alias), else the one the file name or the title rows (填报单位 …) name, else the only company. None (with
    the reason) when the register has several companies and nothing says which; without a register, the given
    company (registered by the import) or None."""
    if register.empty:
        return (clean(given), "指定") if given and clean(given) else (None, "未建组织架构")
    if given:
        found = register.company_named(given) if clean(given) not in register.companies else clean(given)
        if found is None:
            raise OrgError(f"组织架构中没有公司「{given}」，可选：{'、'.join(register.companies)}")
        return found, "指定"
    if found := register.company_named(parsed.name):
        return found, "文件名"
    if found := register.company_named(" ".join(parsed.titles)):
        return found, "标题"
    if len(register.companies) == 1:
        return register.companies[0], "唯一的公司"
    return None, "无法从文件名和标题判断所属公司"


def unit_texts(parsed: ParsedFile) -> dict[str, tuple[int, str, int]]:
    """Every unit text the file's ledgers name: how many rows, and the sheet and Excel row of the first."""
    found: dict[str, tuple[int, str, int]] = {}
    for sheet in parsed.sheets:
        if "unit" not in sheet.rows.column_names or not sheet.rows.num_rows:
            continue
        counts = pc.value_counts(sheet.rows["unit"]).to_pylist()
        units, rows = sheet.rows["unit"].to_pylist(), sheet.rows["excel_row"].to_pylist()
        first = {}
        for unit, row in zip(units, rows, strict=True):
            first.setdefault(unit, row)
        for c in counts:
            text = c["values"]
            if text is None or not str(text).strip():
                continue
            n, s, r = found.get(text, (0, sheet.name, first[text]))
            found[text] = (n + c["counts"], s, r)
    return found


def unknown_units(register: Register, company: str | None, parsed: ParsedFile,
                  answers: dict[str, tuple[str, str]] | None = None) -> list[UnitQuestion]:
    """The unit texts of the file that the register does not resolve in the company and no answer settles."""
    if register.empty or company is None:
        return []
    answers = answers or {}
    out = []
    for text, (rows, sheet, excel_row) in unit_texts(parsed).items():
        if text in answers:
            continue
        found = register.resolve(company, text)
        if found is None or found == AMBIGUOUS:
            candidates = tuple(k for k in register.by_key if org.under(k, company)
                               and clean(text) in {clean(register.by_key[k].name),
                                                   *map(clean, register.aliases.get(register.by_key[k].node_id, []))})
            out.append(UnitQuestion(text, rows, sheet, excel_row, candidates if found == AMBIGUOUS else ()))
    return out


def check_answers(register: Register, company: str, answers: dict[str, tuple[str, str]]) -> None:
    """Answers that point inside the import's company, at units that exist."""
    for text, (how, key) in answers.items():
        if how not in (ALIAS, ADD):
            raise OrgError(f"单位「{text}」的处理方式「{how}」无效")
        if key not in register.by_key or not org.under(key, company):
            raise OrgError(f"单位「{text}」：「{org.label(key)}」不是{company}的单位")


def apply(con: duckdb.DuckDBPyConnection, company: str | None, answers: dict[str, tuple[str, str]],
          add_under_company: list[str], who: str | None) -> list[str]:
    """Register what an import settles, inside its transaction: the company itself when the register has none yet,
    each answer (an alias, or a new unit under its parent), and the units to add directly under the company
    (--add-units). What was done, in words for the audit trail and the message."""
    done = []
    if company is not None and org.load(con).empty:
        org_register.add_unit(con, "", company, who)
        done.append(f"登记公司「{company}」")
    for text, (how, key) in answers.items():
        if how == ALIAS:
            org_register.add_alias(con, key, text, who)
            done.append(f"「{text}」记为「{org.label(key)}」的别名")
        else:
            new = org_register.add_unit(con, key, text, who)
            done.append(f"新增单位「{org.label(new)}」")
    for text in add_under_company:
        new = org_register.add_unit(con, company or "", text, who)
        done.append(f"新增单位「{org.label(new)}」")
    return done


def question_text(q: UnitQuestion, company: str) -> str:
    """A unit question as the command line and the page word it."""
    where = f"工作表「{q.sheet}」第 {q.excel_row} 行起 {q.rows} 行"
    if q.candidates:
        options = "、".join(org.label(c) for c in q.candidates)
        return f"{where}的责任单位「{q.text}」在{company}内可指多个单位（{options}），请指明是哪一个"
    return f"{where}的责任单位「{q.text}」不在{company}的组织架构中"
