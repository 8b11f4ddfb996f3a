"""Writing the 组织架构: the register as a table (one row per node: its parent's path, name, kind, peer group, head
count, aliases), checked whole and stored in one transaction; the xlsx it is exchanged as (with drop-downs); and
the two answers an import gives (a ledger's unit text as an alias of a unit, or a new unit under a parent).

Node ids are kept for nodes whose path is unchanged, so that what refers to them survives an edit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics import org
from analytics.config import Limits
from analytics.errors import FileRejected
from analytics.ingest.reader import read_sheets
from analytics.org import COMPANY, KINDS, SEP, OrgError, Register, clean

COLUMNS = {"parent": "上级单位", "name": "单位名称", "kind": "类型", "peer_group": "同类单位", "head_count": "人数",
           "aliases": "别名"}
_ALIAS_SPLIT = re.compile(r"[、，,;；\n]+")
_BAD_NAME = re.compile(r"[›>/／\\]")


@dataclass(frozen=True)
class Row:
    """One node as a table gives it; ``where`` says where it was written (for messages)."""

    parent: str
    name: str
    kind: str
    peer_group: str | None = None
    head_count: int | None = None
    aliases: tuple[str, ...] = ()
    where: str = ""
    row: int | None = None  # its row number in the table it came from


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def rows_from_frame(frame: pd.DataFrame, where: str = "第 {row} 行", first: int = 2) -> list[Row]:
    """A table with COLUMNS' Chinese headers (the xlsx, the page's editor) as rows; blank rows left out. ``where``
    names a row in messages ({row}: its number as the table shows it, the first data row being ``first``: 2 in
    Excel, under the header)."""
    missing = [c for c in ("上级单位", "单位名称") if c not in frame.columns]
    if missing:
        raise OrgError(f"组织架构表缺少「{'」「'.join(missing)}」列（应有：{'、'.join(COLUMNS.values())}）")
    out = []
    for i, r in enumerate(frame.to_dict("records")):
        values = {k: _text(r.get(label)) for k, label in COLUMNS.items()}
        if not any(values.values()):
            continue
        at = where.format(row=i + first)
        head = values["head_count"]
        if head and not re.fullmatch(r"\d+(\.0)?", head):
            raise OrgError(f"{at}「人数」列：「{head}」不是人数（应为不小于 0 的整数）")
        out.append(Row(values["parent"], values["name"], values["kind"] or ("公司" if not values["parent"] else "单位"),
                       values["peer_group"] or None, int(float(head)) if head else None,
                       tuple(a.strip() for a in _ALIAS_SPLIT.split(values["aliases"]) if a.strip()), at, i + first))
    return out


def frame_of(register: Register) -> pd.DataFrame:
    """The register as a table with COLUMNS' Chinese headers, in tree order (parents' paths written with /)."""
    records = []
    for n in register.ordered():
        key = register.key[n.node_id]
        parent = key.rsplit(SEP, 1)[0].replace(SEP, "/") if SEP in key else ""
        records.append({"上级单位": parent, "单位名称": n.name, "类型": n.kind,
                        "同类单位": n.peer_group or "", "人数": n.head_count,
                        "别名": "、".join(register.aliases.get(n.node_id, []))})
    return pd.DataFrame(records, columns=list(COLUMNS.values()))


def _parent_key(parent: str) -> str:
    return SEP.join(clean(p) for p in re.split(r"\s*[›>/／\\]\s*", parent) if clean(p))


def key_of(row: Row) -> str:
    """The unit key a row registers: its parent's path (written with / or ›) and its name."""
    parent = _parent_key(row.parent)
    return f"{parent}{SEP}{clean(row.name)}" if parent else clean(row.name)


def rows_of(register: Register) -> list[Row]:
    """The register as rows again (to change one thing and save the whole), each named by its unit in messages."""
    return [Row(k.rsplit(SEP, 1)[0] if SEP in k else "", n.name, n.kind, n.peer_group, n.head_count,
                tuple(register.aliases.get(n.node_id, [])), f"「{org.label(k)}」")
            for n in register.ordered() for k in [register.key[n.node_id]]]


def check(rows: list[Row]) -> list[tuple[str, Row]]:
    """Every row with its key, in an order where a parent comes before its children; refuses a register that would
    make a name mean two things (OrgError, naming the row and column)."""
    keyed: dict[str, Row] = {}
    for r in rows:
        name = clean(r.name)
        if not name:
            raise OrgError(f"{r.where}「单位名称」列为空")
        if _BAD_NAME.search(r.name):
            raise OrgError(f"{r.where}「单位名称」列：「{r.name}」含有 › / \\ > 等分隔符，单位名称中不能使用")
        if r.kind not in KINDS:
            raise OrgError(f"{r.where}「类型」列：「{r.kind}」不是可选的类型（{'、'.join(KINDS)}）")
        if (r.kind == COMPANY) != (not _parent_key(r.parent)):
            raise OrgError(f"{r.where}：公司不填上级单位，其他单位必须填上级单位（「上级单位」「类型」列）")
        key = key_of(r)
        if key in keyed:
            earlier = keyed[key]
            raise OrgError(f"{r.where}「单位名称」列：「{org.label(key)}」与"
                           f"{f'第 {earlier.row} 行' if earlier.row else earlier.where}重复")
        keyed[key] = r
    for key, r in keyed.items():
        if SEP in key and key.rsplit(SEP, 1)[0] not in keyed:
            raise OrgError(f"{r.where}「上级单位」列：找不到上级单位「{org.label(key.rsplit(SEP, 1)[0])}」"
                           "（上级单位应写成从公司起的完整路径，如 甲公司/海口分公司）")
    names: dict[tuple[str, str], str] = {}
    for key, r in keyed.items():
        company = key.split(SEP, 1)[0]
        for alias in r.aliases:
            if _BAD_NAME.search(alias):
                raise OrgError(f"{r.where}「别名」列：别名「{alias}」含有分隔符")
        for text in {clean(a) for a in r.aliases} | {clean(r.name)}:
            other = names.get((company, text))
            if other is not None and text in {clean(a) for a in r.aliases}:
                raise OrgError(f"{r.where}「别名」列：别名「{text}」在{org.label(company)}内已指「{org.label(other)}」")
            names.setdefault((company, text), key)
    return sorted(keyed.items(), key=lambda kv: kv[0].count(SEP))


def save(con: duckdb.DuckDBPyConnection, rows: list[Row], who: str | None) -> dict:
    """Replace the register with these rows, inside the caller's transaction; node ids kept for unchanged paths.
    The imports made before any company was registered are claimed by the first one. What changed, in counts."""
    checked = check(rows)
    old = org.load(con)
    used = [c for (c,) in con.execute(
        "SELECT DISTINCT company FROM imports WHERE company IS NOT NULL AND undone_at IS NULL").fetchall()
        if c not in dict(checked)]
    if used:
        raise OrgError(f"公司「{'」「'.join(used)}」已有导入的台账，不能从组织架构中删除或改名")
    kept = {key: node.node_id for key, node in old.by_key.items()}
    next_id = max(old.nodes, default=0) + 1
    ids: dict[str, int] = {}
    con.execute("DELETE FROM org_aliases")
    con.execute("DELETE FROM org_nodes")
    now = dt.datetime.now().replace(microsecond=0)
    for position, (key, r) in enumerate(checked):
        node_id = kept.get(key)
        if node_id is None:
            node_id, next_id = next_id, next_id + 1
        ids[key] = node_id
        parent = ids.get(key.rsplit(SEP, 1)[0]) if SEP in key else None
        con.execute("INSERT INTO org_nodes VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [node_id, parent, clean(r.name), r.kind, r.peer_group, r.head_count, position])
        for alias in dict.fromkeys(clean(a) for a in r.aliases):
            con.execute("INSERT INTO org_aliases VALUES (?, ?, ?, ?)", [node_id, alias, now, who])
    claimed = 0
    companies = [k for k, _ in checked if SEP not in k]
    if companies:
        claimed = con.execute("UPDATE imports SET company = ? WHERE company IS NULL", [companies[0]]).fetchone()[0]
    return {"nodes": len(checked), "added": len(set(ids) - set(kept)), "removed": len(set(kept) - set(ids)),
            "claimed_imports": claimed, "first_company": companies[0] if companies else None}


def add_alias(con: duckdb.DuckDBPyConnection, key: str, alias: str, who: str | None) -> None:
    """A ledger's unit text remembered as an alias of a unit (an import's answer), inside the caller's transaction."""
    register = org.load(con)
    node = register.by_key.get(key)
    if node is None:
        raise OrgError(f"组织架构中没有「{org.label(key)}」")
    company = register.company_of(key)
    found = register.resolve(company, alias)
    if found == key:
        return
    if found is not None:
        raise OrgError(f"「{alias}」在{company}内已指「{org.label(found)}」，不能再作为「{org.label(key)}」的别名")
    con.execute("INSERT INTO org_aliases VALUES (?, ?, ?, ?)",
                [node.node_id, clean(alias), dt.datetime.now().replace(microsecond=0), who])


def add_unit(con: duckdb.DuckDBPyConnection, parent: str, name: str, who: str | None, kind: str = "单位") -> str:
    """A new unit under a node (or a new company when parent is empty), inside the caller's transaction; its key."""
    register = org.load(con)
    rows = rows_of(register)
    if parent and parent not in register.by_key:
        raise OrgError(f"组织架构中没有上级单位「{org.label(parent)}」")
    rows.append(Row(parent, name, COMPANY if not parent else kind, where=f"新单位「{name}」"))
    save(con, rows, who)
    return f"{parent}{SEP}{clean(name)}" if parent else clean(name)


def to_xlsx(register: Register) -> bytes:
    """The register as an xlsx to fill in: a header row, drop-downs for 类型 and 上级单位, every cell text."""
    frame = frame_of(register)
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        book = writer.book
        sheet = book.add_worksheet("组织架构")
        text = book.add_format({"num_format": "@"})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        for c, name in enumerate(COLUMNS.values()):
            sheet.write_string(0, c, name, head)
            sheet.set_column(c, c, 28 if c in (0, 5) else 14, text)
        for r, record in enumerate(frame.itertuples(index=False), start=1):
            for c, value in enumerate(record):
                if value is None or (isinstance(value, float) and pd.isna(value)):
                    continue
                if c == 4:
                    sheet.write_number(r, c, int(value))
                else:
                    sheet.write_string(r, c, str(value))  # text, never a formula
        rows = max(len(frame) + 200, 500)
        sheet.data_validation(1, 2, rows, 2, {"validate": "list", "source": list(KINDS)})
        sheet.data_validation(1, 4, rows, 4, {"validate": "integer", "criteria": ">=", "value": 0,
                                              "error_message": "人数应为不小于 0 的整数"})
        paths = [register.key[n.node_id].replace(SEP, "/") for n in register.ordered()]
        if paths:
            lists = book.add_worksheet("可选上级")
            for i, p in enumerate(paths):
                lists.write_string(i, 0, p)
            lists.hide()
            sheet.data_validation(1, 0, rows, 0, {"validate": "list", "source": f"='可选上级'!$A$1:$A${len(paths)}",
                                                  "error_type": "information",
                                                  "error_message": "新的上级单位须在本表中另起一行登记"})
        notes = book.add_worksheet("填表说明")
        for i, line in enumerate((
                "每行一个单位。公司一行「上级单位」留空、类型填「公司」。",
                "「上级单位」写从公司起的完整路径，用 / 分隔，如 甲公司/海口分公司。",
                "「别名」是台账中对该单位的其他写法，多个用顿号分隔，如 海口市分公司、海口。",
                "「同类单位」用于同类比较，如 管理部门、生产单位、分公司；可不填。",
                "「人数」用于按人数加权汇总得分；可不填。")):
            notes.write_string(i, 0, line)
        notes.set_column(0, 0, 90)
    return out.getvalue()


# a register of thousands of units is a few hundred KB: beyond these it is not one (checked before it is read)
REGISTER_LIMITS = {"max_file_mb": 5.0, "max_rows": 20_000, "max_columns": 40, "max_unzipped_mb": 50.0}


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def read_xlsx(name: str, data: bytes, limits: Limits) -> list[Row]:
    """The rows of a register file (its first visible sheet), read by the ledgers' hardened reader within tighter
    limits (a hostile file is refused before it is read in full); messages name the file and Excel row."""
    try:
        sheets = read_sheets(name, data, dataclasses.replace(limits, **REGISTER_LIMITS))
    except FileRejected as exc:
        raise OrgError(f"「{name}」无法作为组织架构表读取：" + "；".join(i.reason for i in exc.issues)) from None
    rows = sheets[0].rows if sheets and sheets[0].columns is None else []
    if not rows:
        raise OrgError(f"「{name}」的第一个工作表是空的，不是组织架构表")
    header = [_cell_text(c).strip() for c in rows[0]]
    frame = pd.DataFrame([[_cell_text(c) for c in r] + [""] * (len(header) - len(r)) for r in rows[1:]],
                         columns=header) if len(rows) > 1 else pd.DataFrame(columns=header)
    return rows_from_frame(frame.loc[:, ~frame.columns.duplicated()], where=f"「{name}」工作表第 {{row}} 行")
