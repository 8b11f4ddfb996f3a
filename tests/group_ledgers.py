"""A group of two companies with three levels, written by the repository itself: the 组织架构 register and one
quarter's problem ledger of each company (tests/test_org.py counts its figures by hand).

Run: python tests/group_ledgers.py OUT_DIR   (needs openpyxl only)

甲公司 ── 海口分公司 (aliases 海口市分公司、海口) ── 财务部, 营业部
       ├─ 三亚分公司 (alias 三亚) ── 财务部 (alias 三亚财务部)
       └─ 纪检部
乙公司 (alias 乙司) ── 财务部
                    └─ 文昌分公司 ── 综合部

Both companies have a 财务部, and 乙公司's ledger reuses the problem code J-1 of 甲公司's: two problems, never one.
甲公司's ledger names its units as offices write them: run together with their 分公司 (海口分公司财务部, 海口财务部:
甲公司 has two 财务部), an alias (海口市分公司 for the 分公司 itself, 三亚财务部), a name unique in the company (营业部,
纪检部). 乙公司's names its company only in the 填报单位 line.
"""

# ruff: noqa: E501  (ledger rows as tables: one row per line)
from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

REGISTER = "组织架构.xlsx"
JIA = "甲公司2025年第二季度问题整改台账.xlsx"
YI = "2025年第二季度问题整改台账（文昌）.xlsx"
NAMES = (REGISTER, JIA, YI)

REGISTER_ROWS = [
    ["上级单位", "单位名称", "类型", "同类单位", "人数", "别名"],
    [None, "甲公司", "公司", None, None, None],
    ["甲公司", "海口分公司", "分公司", "分公司", 300, "海口市分公司、海口"],
    ["甲公司/海口分公司", "财务部", "部门", "管理部门", 20, None],
    ["甲公司/海口分公司", "营业部", "部门", "生产单位", 60, None],
    ["甲公司", "三亚分公司", "分公司", "分公司", 100, "三亚"],
    ["甲公司/三亚分公司", "财务部", "部门", "管理部门", 10, "三亚财务部"],
    ["甲公司", "纪检部", "部门", "管理部门", 8, None],
    [None, "乙公司", "公司", None, None, "乙司"],
    ["乙公司", "财务部", "部门", "管理部门", 15, None],
    ["乙公司", "文昌分公司", "分公司", "分公司", 40, None],
    ["乙公司/文昌分公司", "综合部", "部门", "管理部门", 5, None],
]

HEADER = ["序号", "问题编号", "问题来源", "问题类别", "问题描述", "责任单位", "责任人", "发现时间", "整改时限", "整改状态",
          "销号时间", "问题性质"]
# as of 2025-06-30: overdue = open with a deadline before it
JIA_ROWS = [
    [1, "J-1", "巡察", "作风建设", "差旅费报销审核不严", "海口分公司财务部", "张一", "2025-04-02", "2025-05-31", "整改中", None, "一般"],
    [2, "J-2", "巡察", "作风建设", "公务接待超标准", "海口财务部", "张二", "2025-04-02", "2025-06-30", "已销号", "2025-05-10", "一般"],
    [3, "J-3", "审计", "廉洁纪律", "合同审批流程缺失", "营业部", "张三", "2025-04-10", "2025-06-30", "已整改", "2025-06-15", "一般"],
    [4, "J-4", "日常监督", "作风建设", "三重一大事项记录不全", "海口市分公司", "张四", "2025-05-05", "2025-09-30", "整改中", None, "一般"],
    [5, "J-5", "巡察", "廉洁纪律", "备用金长期挂账", "三亚财务部", "张五", "2025-03-20", "2025-04-30", "整改中", None, "较重"],
    [6, "J-6", "日常监督", "作风建设", "问题线索台账更新不及时", "纪检部", "张六", "2025-04-15", "2025-06-30", "已销号", "2025-06-01", "一般"],
]
YI_ROWS = [
    [1, "J-1", "审计", "廉洁纪律", "资金支付审批越权", "财务部", "李一", "2025-01-10", "2025-03-31", "整改中", None, "一般"],
    [2, "Y-2", "巡察", "作风建设", "会议费列支不规范", "财务部", "李二", "2025-02-10", "2025-06-30", "已销号", "2025-04-20", "一般"],
    [3, "Y-3", "日常监督", "作风建设", "制度修订滞后", "综合部", "李三", "2025-04-01", "2025-12-31", "整改中", None, "一般"],
]


def _book(path: Path, title: str, rows: list[list], lines: list[str] = ()) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for line in lines:
        ws.append([line])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_group(out: Path) -> Path:
    """The three files into ``out``; returns it."""
    out.mkdir(parents=True, exist_ok=True)
    _book(out / REGISTER, "组织架构", REGISTER_ROWS)
    _book(out / JIA, "问题台账", [HEADER, *JIA_ROWS], ["2025年第二季度问题整改台账"])
    _book(out / YI, "问题台账", [HEADER, *YI_ROWS], ["2025年第二季度问题整改台账", "填报单位：乙公司纪委办公室"])
    return out


if __name__ == "__main__":
    write_group(Path(sys.argv[1]))
