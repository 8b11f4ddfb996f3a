# ruff: noqa: E501  (ledger rows as tables: one row per line reads better than wrapped cells)
"""Issue 14's test corpus: ledgers laid out the way offices circulate them, each with its figures counted by hand.

Run: python tests/ledger_corpus.py OUT_DIR   (writes every ledger into OUT_DIR)

The company (青岚智能装备有限公司), its units and its people are invented. Each ledger is a table of rows in which
``UP`` marks a cell merged with the cell above it and ``LEFT`` one merged with the cell to its left: the writers
turn them into real merged ranges (openpyxl ``merge_cells``, xlwt ``write_merge``). CSV has no merges: its
ledgers continue a problem with blank cells instead.

The figures beside each ledger were counted by hand from its rows, by the rules of issue 14:
- one problem per problem row; rows continuing it (merged or blank description, 1.1/（1） under 1) are measures;
  a problem row that holds no measure of its own (only 问题, 单位, 来源) is not a measure;
- a measure's status from its row's status cells (销号 anywhere > a completed word anywhere > the first specific
  word; 是/否 by the column); a problem is 已销号 if all its measures are, 已整改 if all are completed, else open;
- a problem's deadline is the latest dated deadline of its measures; year-less deadlines take the period's year;
  overdue = open with a deadline before the period end (a deadline on the period end is not overdue);
- an open 立行立改 is due at its found date, else at the end of the quarter it first appears in;
- a unit cell naming several units (、 / ， ；) counts under the first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xlwt
from openpyxl import Workbook

COMPANY = "青岚智能装备有限公司"


class _Covered:
    """A cell covered by a merged range whose first cell is above it (UP) or to its left (LEFT)."""

    def __init__(self, arrow: str) -> None:
        self.arrow = arrow

    def __repr__(self) -> str:
        return self.arrow


UP = _Covered("UP")
LEFT = _Covered("LEFT")
Rows = list[list]


def _spans(rows: Rows) -> tuple[Rows, list[tuple[int, int, int, int]]]:
    """Rows with UP/LEFT → (the cells, covered ones blank; the merged ranges as 0-based (row, col, last row, last
    col)). A range grows right over LEFT cells and down over UP cells below its first cell."""
    width = max(map(len, rows), default=0)
    grid = [[*row, *[None] * (width - len(row))] for row in rows]
    merges: list[tuple[int, int, int, int]] = []
    covered: set[tuple[int, int]] = set()
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if isinstance(value, _Covered):
                continue
            c1 = c
            while c1 + 1 < width and grid[r][c1 + 1] is LEFT:
                c1 += 1
            r1 = r
            while r1 + 1 < len(grid) and grid[r1 + 1][c] is UP:
                r1 += 1
            if (r1, c1) == (r, c):
                continue
            inside = {(rr, cc) for rr in range(r, r1 + 1) for cc in range(c, c1 + 1)} - {(r, c)}
            if covered & inside or not all(isinstance(grid[rr][cc], _Covered) for rr, cc in inside):
                raise ValueError(f"merged range at row {r + 1}, column {c + 1} is not a rectangle of covered cells")
            covered |= inside
            merges.append((r, c, r1, c1))
    stray = [(r + 1, c + 1) for r, row in enumerate(grid) for c, v in enumerate(row)
             if isinstance(v, _Covered) and (r, c) not in covered]
    if stray:
        raise ValueError(f"covered cells outside any merged range: {stray}")
    return [[None if isinstance(v, _Covered) else v for v in row] for row in grid], merges


def write_xlsx(path: Path, sheets: dict[str, Rows]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        cells, merges = _spans(rows)
        for r, row in enumerate(cells, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(r, c, value)
        for r0, c0, r1, c1 in merges:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    wb.save(path)


def write_xls(path: Path, sheets: dict[str, Rows]) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    plain = xlwt.Style.default_style
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for title, rows in sheets.items():
        ws = wb.add_sheet(title)
        cells, merges = _spans(rows)
        ends = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in merges}
        for r, row in enumerate(cells):
            for c, value in enumerate(row):
                style = dated if isinstance(value, dt.date) else plain
                if (r, c) in ends:
                    ws.write_merge(r, ends[r, c][0], c, ends[r, c][1], value, style)
                elif value is not None:
                    ws.write(r, c, value, style)
    wb.save(str(path))


def write_csv(path: Path, rows: Rows, encoding: str) -> None:
    if any(isinstance(v, _Covered) for row in rows for v in row):
        raise ValueError("a CSV file has no merged cells")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _title(text: str, width: int) -> list:
    """A title or note across the whole table (merged horizontally)."""
    return [text, *[LEFT] * (width - 1)]


@dataclass(frozen=True)
class Ledger:
    """One ledger of the corpus: how to write it and what a careful person counts in it."""

    id: str
    file: str  # as the office names it
    shapes: str  # what it covers
    writer: Callable[[Path], None]  # writes the ledger to the path given
    period: str  # the quarter of its figures
    problems: int  # problem_state rows of the period
    closed: int  # status 已销号
    completed: int  # 已整改 + 已销号
    open: int  # 未启动 + 整改中 + 长期整改
    overdue: int  # open, dated deadline before the period end
    by_unit: dict[str, int]  # lead unit → problems
    by_source: dict[str, int]  # source → problems
    measures: dict[str, int]  # problem description → measures
    given_period: str | None = None  # passed to the import when neither the name nor the title names it

    def write(self, folder: Path) -> Path:
        path = Path(folder) / self.file
        self.writer(path)
        return path

    def expected(self) -> dict:
        return {"problems": self.problems, "closed": self.closed, "completed": self.completed, "open": self.open,
                "overdue": self.overdue, "by_unit": self.by_unit, "by_source": self.by_source,
                "measures": self.measures}


# ---------------------------------------------------------------------------------------------------------------
# office-q2 / office-q3: one 巡察 office's merged ledger, two quarters running.

_OFFICE_HEADER = ["序号", "问题来源", "具体表现", "整改措施", "责任单位", "责任人", "完成时限", "完成情况", "备注"]


def _office_q2(path: Path) -> None:
    write_xlsx(path, {"台账": [
        _title(f"{COMPANY}2025年第二季度巡察反馈问题整改台账", 9),
        ["填报单位：纪委办公室", None, None, None, None, None, "填报日期：2025年7月4日", LEFT, LEFT],
        _OFFICE_HEADER,
        [1, "巡察", "党委理论学习中心组学习流于形式", "制定年度学习计划并报党委审定", "党群工作部", "陈明", "6月底前", "已完成", None],
        [UP, UP, UP, "建立学习情况通报制度", UP, UP, dt.date(2025, 5, 31), "已完成", None],
        [2, UP, "基层党支部“三会一课”记录不规范", "开展支部记录专项检查", UP, "吴静", dt.date(2025, 5, 31), "已完成", None],
        [UP, UP, UP, "组织支部书记专题培训", UP, UP, "9月30日前", "整改中", None],
        [UP, UP, UP, "将记录质量纳入支部考核", UP, UP, "年底前", "未启动", None],
        [3, UP, "发展党员程序执行不严格", "逐一核查近三年发展党员档案", UP, "陈明", "2025.4-2025.5", "整改中", "涉及5个支部"],
        [UP, UP, UP, "完善发展党员工作流程", UP, UP, UP, "未启动", UP],
        [4, UP, "招标采购评审专家抽取不规范", "修订评审专家管理办法", "采购部", "刘洋", "6月底前", "已完成", None],
        [UP, UP, UP, "建立专家抽取全过程留痕机制", UP, UP, UP, "已完成", None],
        [UP, UP, UP, "对近两年采购项目开展回头看", UP, UP, UP, "已完成", None],
        [UP, UP, UP, "约谈相关责任人", UP, UP, "立行立改", "已完成", None],
        [5, UP, "合同履约监管缺位", "建立合同履约台账", UP, "郑浩", "长期坚持", "整改中", None],
        [UP, UP, UP, "开展合同履约情况季度检查", UP, UP, UP, UP, None],
        [6, UP, "公务用车使用审批把关不严", "收回违规使用车辆并通报", "综合管理部", "王五", "立行立改", "已销号", None],
        [],
        ["填报人：陈明", None, None, "审核人：周敏", None, None, "联系电话：0871-65550123"],
        ["单位负责人（签字）：", None, None, None, None, None, "（盖章）"],
    ]})


def _office_q3(path: Path) -> None:
    write_xlsx(path, {"台账": [
        _title(f"{COMPANY}2025年第三季度巡察反馈问题整改台账", 9),
        ["填报单位：纪委办公室", None, None, None, None, None, "填报日期：2025年10月9日", LEFT, LEFT],
        _OFFICE_HEADER,
        [1, "巡察", "党委理论学习中心组学习流于形式", "制定年度学习计划并报党委审定", "党群工作部", "陈明", "6月底前", "已销号", None],
        [UP, UP, UP, "建立学习情况通报制度", UP, UP, dt.date(2025, 5, 31), "已销号", None],
        [2, UP, "基层党支部“三会一课”记录不规范", "开展支部记录专项检查", UP, "吴静", dt.date(2025, 5, 31), "已完成", None],
        [UP, UP, UP, "组织支部书记专题培训", UP, UP, "9月30日前", "已完成", None],
        [UP, UP, UP, "将记录质量纳入支部考核", UP, UP, "年底前", "整改中", None],
        [3, UP, "发展党员程序执行不严格", "逐一核查近三年发展党员档案", UP, "陈明", "2025.4-2025.5", "已完成", "涉及5个支部"],
        [UP, UP, UP, "完善发展党员工作流程", UP, UP, UP, "已申请延期", UP],
        [4, UP, "招标采购评审专家抽取不规范", "修订评审专家管理办法", "采购部", "刘洋", "6月底前", "已销号", None],
        [UP, UP, UP, "建立专家抽取全过程留痕机制", UP, UP, UP, UP, None],
        [UP, UP, UP, "对近两年采购项目开展回头看", UP, UP, UP, UP, None],
        [UP, UP, UP, "约谈相关责任人", UP, UP, "立行立改", UP, None],
        [5, UP, "合同履约监管缺位", "建立合同履约台账", UP, "郑浩", "长期坚持", "整改中", None],
        [UP, UP, UP, "开展合同履约情况季度检查", UP, UP, UP, UP, None],
        [6, UP, "公务用车使用审批把关不严", "收回违规使用车辆并通报", "综合管理部", "王五", "立行立改", "已销号", None],
        [7, UP, "职工食堂采购询价记录缺失", "补齐食堂采购询价记录", UP, UP, "立行立改", "整改中", None],
        [UP, UP, UP, "建立食堂采购询价比价制度", UP, UP, "9月30日前", "未启动", None],
        [],
        ["填报人：陈明", None, None, "审核人：周敏", None, None, "联系电话：0871-65550123"],
        ["单位负责人（签字）：", None, None, None, None, None, "（盖章）"],
    ]})


OFFICE_Q2 = Ledger(
    id="office-q2", file="2025年第二季度巡察反馈问题整改台账.xlsx", writer=_office_q2, period="2025Q2",
    shapes="xlsx; 责任单位 merged over 3 and 2 problems; 具体表现 (description) merged over 2–4 measure rows; "
           "问题来源, 时限, 完成情况, 备注 merged too; title and filing line above the header; "
           "填报人/审核人/联系电话 across cells and a 签字/盖章 row under the table",
    problems=6,  # 序号 1–6, one per merged 具体表现 range
    closed=1,  # #6 (its one measure 已销号)
    completed=3,  # #1 (已完成 ×2), #4 (已完成 ×4), #6 (已销号)
    open=3,  # #2 (已完成/整改中/未启动 → 整改中), #3 (整改中/未启动 → 整改中), #5 (整改中 ×2)
    overdue=1,  # #3: 2025.4-2025.5 → 2025-05-31 < 06-30; #2 年底前 → 12-31; #5 长期坚持, no date
    by_unit={"党群工作部": 3, "采购部": 2, "综合管理部": 1},  # the 责任单位 ranges: #1–#3, #4–#5, #6
    by_source={"巡视巡察": 6},  # 问题来源 巡察 merged over the whole body
    measures={"党委理论学习中心组学习流于形式": 2, "基层党支部“三会一课”记录不规范": 3, "发展党员程序执行不严格": 2,
              "招标采购评审专家抽取不规范": 4, "合同履约监管缺位": 2, "公务用车使用审批把关不严": 1},  # rows per range
)

OFFICE_Q3 = Ledger(
    id="office-q3", file="2025年第三季度巡察反馈问题整改台账.xlsx", writer=_office_q3, period="2025Q3",
    shapes="the office-q2 layout one quarter on: statuses moved, 已申请延期, a new problem with an open 立行立改 "
           "(no found date) inside the 综合管理部 range",
    problems=7,  # the six of 2025Q2 and #7
    closed=3,  # #1 (已销号 ×2), #4 (已销号 merged over 4), #6
    completed=3,  # the three closed; no problem is 已整改 without 销号
    open=4,  # #2 (已完成/已完成/整改中), #3 (已完成/已申请延期 → 整改中), #5 (整改中 ×2), #7 (整改中/未启动 → 整改中)
    overdue=1,  # #3: 2025-05-31 < 09-30; #2 12-31; #5 none; #7: 9月30日前 and its 立行立改 (first seen 2025Q3) both 09-30
    by_unit={"党群工作部": 3, "采购部": 2, "综合管理部": 2},  # 综合管理部 merged over #6 and #7
    by_source={"巡视巡察": 7},
    measures={"党委理论学习中心组学习流于形式": 2, "基层党支部“三会一课”记录不规范": 3, "发展党员程序执行不严格": 2,
              "招标采购评审专家抽取不规范": 4, "合同履约监管缺位": 2, "公务用车使用审批把关不严": 1,
              "职工食堂采购询价记录缺失": 2},
)


# ---------------------------------------------------------------------------------------------------------------
def _two_levels(path: Path) -> None:
    write_xlsx(path, {"整改台账": [
        _title("2025年第二季度选人用人专项检查反馈问题整改台账", 8),
        ["序号", "反馈问题", "具体问题", "整改措施", "牵头单位", "配合单位", "时限要求", "整改状态"],
        [1, "干部选拔任用工作程序不规范", "动议环节未按规定开展酝酿", "修订干部选拔任用工作实施细则", "人力资源部", "党群工作部", "2025年第三季度", "整改中"],
        [UP, UP, UP, "对2024年以来的动议材料逐项复核", UP, UP, "2025年4月至5月", "已完成"],
        [2, UP, "考察谈话范围不足", "严格落实考察谈话人数要求", UP, None, "立行立改，长期坚持", "已完成"],
        [UP, UP, UP, "建立考察谈话情况抽查机制", UP, None, "6月底前", "已完成"],
        [3, "干部监督管理存在薄弱环节", "个人有关事项报告查核结果运用不充分", "建立查核结果与选任挂钩机制", "人力资源部", "纪委办公室", "2025.4-2025.6", "已销号"],
        [UP, UP, UP, "对漏报人员进行批评教育", UP, UP, "立行立改", UP],
        [4, UP, "干部档案专项审核发现问题未整改到位", "逐卷补齐缺失材料", "党群工作部", "人力资源部", "2025年4月-2025年5月", "未启动"],
        [UP, UP, UP, "建立档案材料收集归档责任清单", UP, UP, UP, UP],
        [UP, UP, UP, "开展档案管理培训", UP, UP, "2025年5月底前", UP],
        [5, UP, "兼职取酬审批不严", "清理规范兼职取酬情况", "人力资源部", "财务部", "9月30日前", "部分完成"],
        [],
        _title("备注：1.牵头单位对整改结果负总责；2.配合单位按职责协同落实。", 8),
    ]})


TWO_LEVELS = Ledger(
    id="two-levels", file="2025年第二季度选人用人专项检查反馈问题整改台账.xlsx", writer=_two_levels, period="2025Q2",
    shapes="xlsx; two levels 反馈问题 › 具体问题 › 措施, both merged; 牵头单位 merged over two problems, 配合单位, "
           "时限要求; deadlines 2025年第三季度, 2025年4月至5月, 立行立改，长期坚持, 2025.4-2025.6, 2025年4月-2025年5月; "
           "部分完成; source only from the file name (专项); 备注：1.… 2.… note merged across",
    problems=5,  # one per 具体问题 (the 反馈问题 is their parent, not a problem)
    closed=1,  # 个人有关事项… (已销号 merged over both measures)
    completed=2,  # 考察谈话范围不足 (已完成 ×2) and the closed one
    open=3,  # 动议环节… (整改中/已完成 → 整改中), 干部档案… (未启动 ×3), 兼职取酬… (部分完成 → 整改中)
    overdue=1,  # 干部档案…: 2025-05-31 (both ranges end in May) < 06-30; 动议 09-30 and 兼职取酬 09-30 are not
    by_unit={"人力资源部": 4, "党群工作部": 1},  # 牵头单位; the 配合单位 are co-units and count nowhere
    by_source={"专项监督": 5},  # no source column, no source in the title row's words other than the file's
    measures={"动议环节未按规定开展酝酿": 2, "考察谈话范围不足": 2, "个人有关事项报告查核结果运用不充分": 2,
              "干部档案专项审核发现问题未整改到位": 3, "兼职取酬审批不严": 1},
)


# ---------------------------------------------------------------------------------------------------------------
def _numbered(path: Path) -> None:
    # 1.1, 1.2 … typed into Excel are numbers, as they are here; （1）（2） are text
    write_xlsx(path, {"台账": [
        _title("2025年第二季度问题整改台账（措施分解）", 8),
        ["序号", "问题来源", "问题描述", "整改措施", "责任单位", "责任人", "整改时限", "整改状态"],
        [1, "日常监督", "安全生产责任制落实不到位", None, "安全环保部", None, None, None],
        [1.1, None, None, "修订安全生产责任清单", None, "孙磊", dt.date(2025, 5, 31), "已完成"],
        [1.2, None, None, "开展全员安全责任培训", None, "吴静", "6月底前", "已完成"],
        [1.3, None, None, "建立安全责任考核机制", None, "孙磊", "9月30日前", "整改中"],
        [2, "审计", "固定资产盘点账实不符", "开展固定资产全面盘点", "财务部、审计部", "刘洋", "2025.4-2025.6", "已完成"],
        [3, "巡察", "党费收缴使用管理不规范", None, "党群工作部", None, None, None],
        ["（1）", None, None, "核对近三年党费收缴台账", None, "陈明", "2025年4月至5月", "已完成"],
        ["（2）", None, None, "督促补缴少缴党费", None, "陈明", "立行立改", "已完成"],
        [4, "日常监督", "业务招待费报销审核不严", "对2024年以来招待费报销逐笔复查", "财务部", "刘洋", dt.date(2025, 4, 30), "整改中"],
        [5, "日常监督", "车辆维修费用审批程序缺失", None, "综合管理部", None, None, None],
        [5.1, None, "车辆维修费用审批程序缺失", "制定车辆维修管理规定", None, "郑浩", "6月底前", "未启动"],
        [5.2, None, "车辆维修费用审批程序缺失", "建立维修费用定期公示制度", None, "郑浩", "6月底前", "未启动"],
        ["合计", None, "共5个问题"],
        ["填报人：吴静    审核人：孙磊    联系电话：13800001234"],
    ]})


NUMBERED = Ledger(
    id="numbered-measures", file="2025年第二季度问题整改台账（措施分解）.xlsx", writer=_numbered, period="2025Q2",
    shapes="xlsx; measures numbered 1.1/1.2/1.3 (numbers) and （1）（2） (text) under their problem, blank description, "
           "5.1/5.2 repeating the description; a problem row with no measure of its own; 财务部、审计部; "
           "合计 row; 填报人/审核人/联系电话 in one cell",
    problems=5,  # 序号 1–5; 1.x, （n）, 5.x continue them
    closed=0,  # no 已销号
    completed=2,  # #2 (已完成), #3 (（1）（2） 已完成)
    open=3,  # #1 (1.1/1.2 已完成, 1.3 整改中 → 整改中), #4 (整改中), #5 (未启动 ×2)
    overdue=1,  # #4: 2025-04-30; #1 09-30; #5 6月底前 = 06-30 is not before the period end
    by_unit={"安全环保部": 1, "财务部": 2, "党群工作部": 1, "综合管理部": 1},  # #2 财务部、审计部 → 财务部
    by_source={"日常监督": 3, "审计": 1, "巡视巡察": 1},  # #1 #4 #5 日常监督; #2 审计; #3 巡察
    measures={"安全生产责任制落实不到位": 3, "固定资产盘点账实不符": 1, "党费收缴使用管理不规范": 2,
              "业务招待费报销审核不严": 1, "车辆维修费用审批程序缺失": 2},  # the problem rows 1, 3, 5 hold none
)


# ---------------------------------------------------------------------------------------------------------------
def _blank_rows_csv(path: Path) -> None:
    write_csv(path, [
        ["序号", "问题来源", "问题描述", "责任部门", "整改措施", "整改时限", "整改状态", "责任人"],
        ["1", "日常监督", "办公用房超标准配置", "综合管理部", "腾退超标准办公用房", "6月底前", "已完成", "郑浩"],
        ["", "", "", "", "修订办公用房管理办法", "2025年6月30日", "已完成", "郑浩"],
        ["2", "日常监督", "差旅费报销超标准", "财务部", "追回超标准报销款项", "立行立改", "已销号", "刘洋"],
        ["", "", "", "", "开展差旅费报销专项检查", "2025.4-2025.5", "已销号", "刘洋"],
        ["", "", "", "", "修订差旅费管理办法", "6月底前", "已销号", "刘洋"],
        ["3", "专项监督", "工程项目变更签证管理不规范", "生产技术部", "建立变更签证联审机制", "2025年4月至9月", "整改中", "赵六"],
        ["", "", "", "", "对在建项目变更签证开展复核", "2025年4月至5月", "滞后", "赵六"],
        ["4", "日常监督", "劳保用品发放台账不全", "一分厂", "补建劳保用品发放台账", "2025年第一季度", "未启动", "王五"],
        ["5", "日常监督", "食堂食材验收制度执行不严", "综合管理部", "立即规范食材验收流程", "立行立改", "整改中", "郑浩"],
        ["", "", "", "", "建立食材验收双人签字制度", "长期坚持", "长期坚持", "郑浩"],
        [],
        ["填报人：郑浩", "", "审核人：周敏", "", "联系电话：0871-65550188"],
    ], "utf-8")


BLANK_ROWS_CSV = Ledger(
    id="blank-rows-csv", file="2025年第二季度日常监督问题整改台账.csv", writer=_blank_rows_csv, period="2025Q2",
    shapes="CSV UTF-8; measures on rows with blank 序号/描述/单位 under their problem; 2025年4月至9月, "
           "2025年6月30日, 2025年第一季度, 长期坚持 as deadline and as status, 滞后, open 立行立改 without found date; "
           "填报人/审核人/联系电话 across cells",
    problems=5,  # 序号 1–5
    closed=1,  # #2 (已销号 ×3)
    completed=2,  # #1 (已完成 ×2) and #2
    open=3,  # #3 (整改中/滞后), #4 (未启动), #5 (整改中/长期坚持 → 整改中: not all open measures are long-term)
    overdue=1,  # #4: 2025年第一季度 → 03-31; #3 09-30; #5: its 立行立改 is due 06-30 (first seen 2025Q2), the other none
    by_unit={"综合管理部": 2, "财务部": 1, "生产技术部": 1, "一分厂": 1},
    by_source={"日常监督": 4, "专项监督": 1},  # the 问题来源 column (the file name's 日常监督 is not needed)
    measures={"办公用房超标准配置": 2, "差旅费报销超标准": 3, "工程项目变更签证管理不规范": 2,
              "劳保用品发放台账不全": 1, "食堂食材验收制度执行不严": 2},
)


# ---------------------------------------------------------------------------------------------------------------
def _progress_gbk(path: Path) -> None:
    write_csv(path, [
        ["序号", "存在问题", "责任单位", "整改措施", "完成时限", "整改进展情况"],
        ["1", "物资采购比价记录缺失", "采购部、财务部", "补齐比价记录并建立比价台账", "6月底前", "已完成整改，待验收"],
        ["2", "员工反映加班费计发不及时", "人力资源部、财务部", "核发拖欠加班费", "立行立改", "已办结"],
        ["3", "仓库物资出入库手续不全", "物流部", "规范出入库审批手续", "2025.4-2025.5", "正在推进，预计6月底完成"],
        ["", "", "", "建立出入库月度对账制度", "2025年5月31日前", "未完成，已申请延期"],
        ["4", "基层单位考勤管理松散", "二分厂", "开展考勤纪律专项检查", "9月30日前", "已开展自查，正在整改"],
        ["5", "用工合同签订不规范", "人力资源部", "全面清理用工合同", "年底前", "尚未启动"],
        [],
        ["备注：1.本表按月更新；2.整改进展情况请据实填写。"],
    ], "gbk")


PROGRESS_GBK = Ledger(
    id="progress-text-gbk", file="2025年二季度信访举报问题办理台账.csv", writer=_progress_gbk, period="2025Q2",
    shapes="CSV GBK; status only as free text in 整改进展情况; 存在问题; units 采购部、财务部; a blank-description "
           "measure row; source only from the file name (信访举报); 备注：1.… 2.… under the table",
    problems=5,  # 序号 1–5
    closed=1,  # #2 已办结
    completed=2,  # #1 已完成整改，待验收; #2
    open=3,  # #3 (正在推进… / 未完成，已申请延期 → 整改中), #4 (正在整改), #5 (尚未启动 → 未启动)
    overdue=1,  # #3: its two measures end 05-31 and 05-31; #4 09-30; #5 12-31
    by_unit={"采购部": 1, "人力资源部": 2, "物流部": 1, "二分厂": 1},  # #1 and #2 by their first unit
    by_source={"信访举报": 5},
    measures={"物资采购比价记录缺失": 1, "员工反映加班费计发不及时": 1, "仓库物资出入库手续不全": 2,
              "基层单位考勤管理松散": 1, "用工合同签订不规范": 1},
)


# ---------------------------------------------------------------------------------------------------------------
def _status_columns(path: Path) -> None:
    write_xlsx(path, {"审计整改": [
        _title("2025年第二季度审计发现问题整改台账", 11),
        ["序号", "问题编号", "问题来源", "问题描述", "责任单位", "整改措施", "整改时限", "整改状态", "是否销号", "整改结果", "销号时间"],
        [1, "SJ-2025-01", "经济责任审计", "预付账款长期挂账未清理", "财务部/审计部", "清理长期挂账预付款", "6月底前", "已完成", "是", "已整改到位", dt.date(2025, 6, 15)],
        [2, "SJ-2025-02", "内部审计", "工程结算审核把关不严", "生产技术部/财务部", "对已结算项目开展复审", "9月30日前", "整改中", "否", "部分完成", None],
        [3, "SJ-2025-03", "内部审计", "库存物资账实不符", "物流部", "开展库存物资全面盘点", "2025.4-2025.5", "已完成", "否", "已整改到位", None],
        [4, "SJ-2025-04", "经济责任审计", "超范围列支福利费", "人力资源部/财务部", "追回超范围列支款项", dt.date(2025, 5, 20), "滞后", "否", None, None],
        [5, "SJ-2025-05", "巡察移交", "合同审批程序倒置", "综合管理部", "修订合同管理办法", "年底前", "未启动", "否", None, None],
        [6, "SJ-2025-06", "内部审计", "科研经费报销票据不合规", "生产技术部", "退回不合规票据并重新报销", "立行立改", "已完成", "否", "待审核", None],
        [UP, UP, UP, UP, UP, "建立科研经费报销审核清单", "6月底前", "已完成", UP, UP, UP],
        [7, "SJ-2025-07", "内部审计", "招标文件编制审核不严", "采购部/审计部", "完善招标文件审核流程", "6月底前", "已退回", "否", None, None],
        [],
        ["单位负责人：", None, None, "填报人：刘洋", None, None, "审核人：李四", None, "（盖章）"],
    ]})


STATUS_COLUMNS = Ledger(
    id="status-columns", file="2025年第二季度审计发现问题整改台账.xlsx", writer=_status_columns, period="2025Q2",
    shapes="xlsx; status in 整改状态 + 是否销号 + 整改结果 (销号 wins; 已整改到位/待审核 beat 否; 否 last); 滞后, "
           "部分完成, 已退回; units 财务部/审计部; problem codes; 是否销号 and 整改结果 merged over a problem's two "
           "measures; 单位负责人/填报人/审核人/盖章 row",
    problems=7,  # SJ-2025-01 … 07
    closed=1,  # 01: 是否销号 是
    completed=3,  # 01; 03 (已完成 + 已整改到位 beat 否); 06 (both measures 已完成, 待审核 merged)
    open=4,  # 02 (整改中/否/部分完成), 04 (滞后/否), 05 (未启动/否 → 未启动), 07 (已退回/否)
    overdue=1,  # 04: 2025-05-20; 02 09-30, 05 12-31, 07 06-30 (not before the end)
    by_unit={"财务部": 1, "生产技术部": 2, "物流部": 1, "人力资源部": 1, "综合管理部": 1, "采购部": 1},  # first of A/B
    by_source={"审计": 6, "巡视巡察": 1},  # 经济责任审计, 内部审计 → 审计; 巡察移交 → 巡视巡察
    measures={"预付账款长期挂账未清理": 1, "工程结算审核把关不严": 1, "库存物资账实不符": 1, "超范围列支福利费": 1,
              "合同审批程序倒置": 1, "科研经费报销票据不合规": 2, "招标文件编制审核不严": 1},
)


# ---------------------------------------------------------------------------------------------------------------
def _title_source(path: Path) -> None:
    write_xlsx(path, {"Sheet1": [
        _title("关于省委第二巡视组反馈意见整改落实情况", 7),
        _title("（2025年第二季度）", 7),
        ["报送单位：青岚智能装备有限公司党委", None, None, None, None, "报送日期：2025年7月6日", LEFT],
        ["序号", "反馈问题", "整改措施", "整改责任主体", "责任人", "时限要求", "当前状态"],
        [1, "落实意识形态工作责任制不到位", "制定意识形态工作责任清单", "党群工作部", "陈明", "6月底前", "已完成"],
        [UP, UP, "每半年专题研究意识形态工作", UP, UP, "长期坚持", "长期坚持"],
        [2, "选人用人工作存在薄弱环节", "开展选人用人专项检查", "人力资源部", "赵六", "2025年第三季度", "整改中"],
        [UP, UP, "修订中层干部管理办法", UP, UP, "2025年底前，并长期坚持", "未启动"],
        [3, "落实中央八项规定精神不够严格", "开展违规吃喝问题专项整治", "综合管理部、财务部", "王五", "2025.4-2025.5", "已完成"],
        [UP, UP, "建立公务接待审批清单", UP, UP, UP, "已销号"],
        [UP, UP, "通报典型问题", UP, UP, "立行立改", "已完成"],
        [4, "基层党组织建设有弱项", "对软弱涣散党支部进行整顿", "党群工作部", "陈明", "分阶段完成：2025年6月底前完成排查，2025年12月底前全面整改到位", "整改中"],
        [5, "廉洁风险防控机制不健全", "梳理重点岗位廉洁风险点", "审计部", "周敏", "2025年4月至5月", "已退回"],
        ["备注：1.整改责任主体为牵头单位，其后为配合单位；"],
        ["2.时限要求以整改方案为准。"],
    ]})


TITLE_SOURCE = Ledger(
    id="title-source", file="反馈意见整改落实情况表.xlsx", writer=_title_source, period="2025Q2",
    shapes="xlsx; source and period only in the title rows (关于省委第二巡视组反馈意见整改落实情况 / （2025年第二季度）); "
           "only a 反馈问题 column (the description), 整改责任主体, 时限要求, 当前状态; 2025年底前，并长期坚持, "
           "分阶段完成 with dated stages, 长期坚持 as status, 已退回; 备注：1.… on one row and 2.… on the next",
    problems=5,  # 序号 1–5, each 反馈问题 merged over its measures
    closed=0,  # #3 has one 已销号 measure but two 已完成 ones
    completed=1,  # #3 (已完成/已销号/已完成 → 已整改)
    open=4,  # #1 (已完成/长期坚持 → 长期整改), #2 (整改中/未启动), #4 (整改中), #5 (已退回 → 整改中)
    overdue=1,  # #5: 2025-05-31; #1 06-30 (its one dated measure) is the period end; #2 12-31; #4 12-31 (last stage)
    by_unit={"党群工作部": 2, "人力资源部": 1, "综合管理部": 1, "审计部": 1},  # #3 综合管理部、财务部 → 综合管理部
    by_source={"巡视巡察": 5},  # 巡视 in the title; the sheet (Sheet1) and the file name name none
    measures={"落实意识形态工作责任制不到位": 2, "选人用人工作存在薄弱环节": 2, "落实中央八项规定精神不够严格": 3,
              "基层党组织建设有弱项": 1, "廉洁风险防控机制不健全": 1},
)


# ---------------------------------------------------------------------------------------------------------------
def _file_name_source(path: Path) -> None:
    write_xls(path, {"Sheet1": [
        _title("问题整改推进表", 7),
        ["填报单位：纪委办公室", None, None, None, "统计截至：2025年6月30日", LEFT, LEFT],
        ["序号", "问题表现形式", "整改措施", "主责部门", "计划完成时间", "办理状态", "办结时间"],
        [1, "内部控制制度多年未修订", "全面梳理内控制度", "综合管理部", dt.date(2025, 5, 31), "已办结", dt.date(2025, 6, 20)],
        [UP, UP, "印发修订后的内控手册", UP, "6月底前", "已办结", UP],
        [2, "对外投资后评价未开展", "开展对外投资后评价", UP, "2025年4月至5月", "滞后", None],
        [3, "资金支付审批越权", "明确资金支付审批权限", "财务部", "立行立改", "已完成", None],
        [4, "固定资产处置未履行评估程序", "对已处置资产补充评估", UP, "立行立改", "待验收", None],
        [5, "研发项目验收资料缺失", "补齐研发项目验收资料", "生产技术部", "6月底前", "整改中", None],
        [UP, UP, "建立研发项目档案管理制度", UP, "9月30日前", "未启动", None],
        [UP, UP, "开展档案管理培训", UP, UP, UP, None],
        [],
        ["填报人：吴静", None, "审核人：李四", None, "联系电话：0871-65550166"],
        [None, None, None, None, None, "（盖章）"],
    ]})


FILE_NAME_SOURCE = Ledger(
    id="file-name-source-xls", file="2025年第二季度内部审计发现问题整改台账.xls", writer=_file_name_source,
    period="2025Q2",
    shapes=".xls with write_merge ranges; source only from the file name (内部审计发现问题); 问题表现形式, 主责部门, "
           "计划完成时间, 办理状态, 办结时间 (merged); 主责部门 merged over two problems twice; date cells; "
           "footer across cells and a lone 盖章 cell",
    problems=5,  # 序号 1–5
    closed=1,  # #1 (已办结 ×2)
    completed=3,  # #1; #3 (已完成); #4 (待验收)
    open=2,  # #2 (滞后), #5 (整改中/未启动/未启动 → 整改中)
    overdue=1,  # #2: 2025-05-31; #5 09-30
    by_unit={"综合管理部": 2, "财务部": 2, "生产技术部": 1},  # the 主责部门 ranges
    by_source={"审计": 5},  # the title (问题整改推进表) and the sheet (Sheet1) name no source
    measures={"内部控制制度多年未修订": 2, "对外投资后评价未开展": 1, "资金支付审批越权": 1,
              "固定资产处置未履行评估程序": 1, "研发项目验收资料缺失": 3},
)


# ---------------------------------------------------------------------------------------------------------------
_SHEET_HEADER = ["序号", "问题描述", "责任单位", "整改措施", "整改时限", "整改状态"]


def _sheet_sources(path: Path) -> None:
    write_xlsx(path, {
        "填表说明": [["填表说明"], ["1.每个问题来源单独一张工作表；"], ["2.整改状态填写：未启动、整改中、已完成、已销号。"]],
        "巡察反馈问题": [
            _title("巡察反馈问题整改台账（2025年第二季度）", 6),
            _SHEET_HEADER,
            [1, "三重一大决策程序执行不严", "综合管理部", "修订三重一大决策事项清单", "6月底前", "已完成"],
            [UP, UP, UP, "建立决策事项督办台账", UP, UP],
            [2, "领导干部报告个人事项不准确", "人力资源部", "组织重新填报", "立行立改", "已销号"],
        ],
        "审计发现问题": [
            _title("审计发现问题整改台账", 6),
            _SHEET_HEADER,
            [1, "专项资金未专款专用", "财务部", "调整会计科目", "2025年4月-2025年5月", "已完成"],
            [UP, UP, UP, "建立专项资金使用台账", UP, "部分完成"],
            [2, "应收账款催收不力", "销售部、财务部", "逐笔清理应收账款", "年底前", "整改中"],
        ],
        "信访举报问题": [
            _SHEET_HEADER,
            [1, "反映某车间班组长优亲厚友", "二分厂", "核查并通报处理结果", "立行立改", "已完成"],
        ],
    })


SHEET_SOURCES = Ledger(
    id="sheet-sources-xlsm", file="2025年第二季度问题整改台账（按来源分表）.xlsm", writer=_sheet_sources,
    period="2025Q2",
    shapes=".xlsm; one sheet per source, the source only in the sheet name; a 填表说明 sheet; merged problems and "
           "deadlines; 2025年4月-2025年5月; 部分完成; 销售部、财务部",
    problems=5,  # 2 + 2 + 1 over the three ledger sheets
    closed=1,  # 领导干部报告个人事项不准确
    completed=3,  # 三重一大… (已完成 merged), the closed one, 优亲厚友 (已完成)
    open=2,  # 专项资金… (已完成/部分完成 → 整改中), 应收账款… (整改中)
    overdue=1,  # 专项资金…: 2025-05-31; 应收账款 12-31
    by_unit={"综合管理部": 1, "人力资源部": 1, "财务部": 1, "销售部": 1, "二分厂": 1},
    by_source={"巡视巡察": 2, "审计": 2, "信访举报": 1},  # by sheet
    measures={"三重一大决策程序执行不严": 2, "领导干部报告个人事项不准确": 1, "专项资金未专款专用": 2,
              "应收账款催收不力": 1, "反映某车间班组长优亲厚友": 1},
)


# ---------------------------------------------------------------------------------------------------------------
def _sections_xls(path: Path) -> None:
    write_xls(path, {"台账": [
        _title("2025年第二季度党风廉政建设问题整改台账", 7),
        ["序号", "问题描述", "责任单位", "整改措施", "完成时限", "完成情况", "备注"],
        _title("一、巡视巡察反馈问题（2项）", 7),
        [1, "党委会议事规则不健全", "综合管理部", "修订党委会议事规则", dt.date(2025, 4, 30), "已完成", None],
        [UP, UP, UP, "规范会议记录和纪要", UP, "已完成", None],
        [2, "党建工作与生产经营融合不够", "党群工作部", "制定党建融合工作方案", "9月30日前", "整改中", "需报党委审定"],
        _title("二、审计发现问题（2项）", 7),
        [3, "工会经费使用不规范", "党群工作部", "追回违规列支经费", "立行立改", "已销号", None],
        [UP, UP, UP, "修订工会经费管理办法", "6月底前", "已销号", None],
        [4, "备品备件采购计划不准确", "采购部", "开展库存备件清查", "2025.4-2025.5", "未启动", None],
        [UP, UP, UP, "建立采购计划审核机制", UP, UP, None],
        _title("三、信访举报问题（1项）", 7),
        [5, "反映招聘过程不公开", "人力资源部", "核查招聘过程", "立行立改", "已完成", None],
        [UP, UP, UP, "公开招聘结果", UP, UP, None],
        ["合计", "共5个问题"],
        _title("备注：1.问题来源按交办渠道分类；2.完成时限以整改方案为准。", 7),
        _title("填报人：刘洋  审核人：李四  联系电话：0871-65550177", 7),
    ]})


SECTIONS_XLS = Ledger(
    id="section-headings-xls", file="2025年第二季度党风廉政建设问题整改台账.xls", writer=_sections_xls,
    period="2025Q2",
    shapes=".xls; source only from section headings merged across (一、巡视巡察… 二、审计… 三、信访举报…); merged "
           "problems, deadlines and statuses; a 备注 column without status words; 合计 row; 备注：1.… 2.… and "
           "填报人 lines merged across under the table",
    problems=5,  # 序号 1–5
    closed=1,  # #3 (已销号 ×2)
    completed=3,  # #1 (已完成 ×2), #3, #5 (已完成 merged)
    open=2,  # #2 (整改中), #4 (未启动 merged)
    overdue=1,  # #4: 2025-05-31; #2 09-30
    by_unit={"综合管理部": 1, "党群工作部": 2, "采购部": 1, "人力资源部": 1},
    by_source={"巡视巡察": 2, "审计": 2, "信访举报": 1},  # by the heading above each
    measures={"党委会议事规则不健全": 2, "党建工作与生产经营融合不够": 1, "工会经费使用不规范": 2,
              "备品备件采购计划不准确": 2, "反映招聘过程不公开": 2},
)


# ---------------------------------------------------------------------------------------------------------------
def _mixed_q3(path: Path) -> None:
    write_xlsx(path, {"台账": [
        _title(f"{COMPANY}2025年第三季度问题整改台账", 8),
        ["序号", "问题描述", "整改措施", "责任单位", "发现时间", "整改时限", "整改状态", "是否销号"],
        _title("一、日常监督发现问题", 8),
        [1, "安全隐患排查整治不彻底", "开展安全隐患拉网式排查", "安全环保部；一分厂", dt.date(2025, 7, 8), "7月底前", "已完成", "否"],
        [UP, UP, "建立隐患整改闭环台账", UP, UP, "9月30日前", "整改中", UP],
        [2, "节假日值班制度落实不严", "通报值班脱岗人员", "综合管理部", dt.date(2025, 7, 15), "立行立改", "整改中", "否"],
        [3, "危险化学品台账管理混乱", None, "安全环保部", dt.date(2025, 4, 10), None, None, None],
        [3.1, None, "重新建立危化品出入库台账", None, None, "6月底前", "整改中", "否"],
        [3.2, None, "开展危化品管理培训", None, None, "2025年第三季度", "已完成", "否"],
        _title("二、自查自纠问题", 8),
        [4, "廉洁从业承诺书签订不全", "补签廉洁从业承诺书", "人力资源部", dt.date(2025, 8, 1), "立行立改", "已完成", "是"],
        [5, "财务印鉴管理不规范", "实行印鉴分人保管", "财务部；审计部", None, "2025年7月至8月", "滞后", "否"],
        [UP, UP, "建立印鉴使用登记簿", UP, None, UP, "已完成", UP],
        [6, "公文处理流程超时", "修订公文处理办法", "综合管理部", None, "年底前", "已完成", "是"],
        [UP, UP, "开展公文办理时效通报", UP, None, "长期坚持", "已完成，长期坚持", UP],
        [],
        ["填报人：孙磊", None, "审核人：周敏", None, "联系电话：13900005678"],
        ["单位负责人：", None, None, None, None, "（盖章）"],
    ]})


MIXED_Q3 = Ledger(
    id="mixed-q3", file="2025年第三季度问题整改台账.xlsx", writer=_mixed_q3, period="2025Q3",
    shapes="xlsx, 2025Q3 (period end 09-30); everything at once: section headings as the only source, merged "
           "problems, 3.1/3.2 under 3, 整改状态 + 是否销号 (merged), found dates with open 立行立改, 7月底前 and "
           "6月底前 in a Q3 ledger, 2025年7月至8月, 已完成，长期坚持, units 安全环保部；一分厂, footer and 盖章",
    problems=6,  # 序号 1–6
    closed=2,  # #4 (是否销号 是), #6 (是否销号 是 merged over both measures)
    completed=2,  # the two closed
    open=4,  # #1 (已完成/整改中), #2 (整改中), #3 (3.1 整改中, 3.2 已完成), #5 (滞后/已完成)
    overdue=2,  # #2: open 立行立改 due at its found date 07-15; #5: 08-31; #1 and #3 end 09-30, not before it
    by_unit={"安全环保部": 2, "综合管理部": 2, "人力资源部": 1, "财务部": 1},  # #1 安全环保部；一分厂 → 安全环保部
    by_source={"日常监督": 3, "自查自纠": 3},  # by heading
    measures={"安全隐患排查整治不彻底": 2, "节假日值班制度落实不严": 1, "危险化学品台账管理混乱": 2,
              "廉洁从业承诺书签订不全": 1, "财务印鉴管理不规范": 2, "公文处理流程超时": 2},
)


# ---------------------------------------------------------------------------------------------------------------
def _remarks_status(path: Path) -> None:
    write_xlsx(path, {"清单": [
        _title("问题整改清单", 7),
        ["序号", "问题来源", "问题摘要", "责任部门", "整改措施", "整改时限", "备注"],
        [1, "巡察", "主体责任清单未及时更新", "党群工作部", "更新主体责任清单", "6月底前", "已完成"],
        [2, "巡察", "廉政谈话开展不经常", UP, "制定年度廉政谈话计划", "2025.4-2025.5", "整改中，计划6月完成"],
        [3, "自查", "部门规章制度汇编未更新", "综合管理部", "汇编现行规章制度", dt.date(2025, 4, 30), "已销号"],
        [UP, UP, UP, UP, "印发制度汇编", dt.date(2025, 5, 15), "已销号"],
        [4, "自查", "会议室使用登记缺失", UP, "建立会议室使用登记制度", "立行立改", "已完成，长期坚持"],
        [5, "巡察", "选派干部驻点帮扶不到位", "人力资源部", "制定驻点帮扶轮换计划", "9月30日前", "未启动"],
        [6, "自查", "涉密文件管理不严", "信息中心", "清理涉密文件", "立行立改", "已完成"],
        [UP, UP, UP, UP, "开展保密培训", "6月底前", "待验收"],
        [],
        _title("备注：1.整改状态在备注栏填写；2.已销号问题须附佐证材料。", 7),
    ]})


REMARKS_STATUS = Ledger(
    id="remarks-status", file="问题整改清单（纪委办）.xlsx", writer=_remarks_status, period="2025Q2",
    given_period="2025Q2",  # neither the file name nor the title names the quarter
    shapes="xlsx; status only in 备注 (no status column); 问题摘要, 责任部门 merged over problems; "
           "已完成，长期坚持, 待验收; a 备注：1.… 2.… note that itself mentions 已销号; no period in name or title",
    problems=6,  # 序号 1–6
    closed=1,  # #3 (已销号 ×2)
    completed=4,  # #1 已完成, #3, #4 已完成，长期坚持, #6 (已完成/待验收)
    open=2,  # #2 整改中，计划6月完成; #5 未启动
    overdue=1,  # #2: 2025-05-31; #5 09-30
    by_unit={"党群工作部": 2, "综合管理部": 2, "人力资源部": 1, "信息中心": 1},  # 责任部门 ranges #1–#2, #3–#4
    by_source={"巡视巡察": 3, "自查自纠": 3},  # 巡察: #1 #2 #5; 自查: #3 #4 #6
    measures={"主体责任清单未及时更新": 1, "廉政谈话开展不经常": 1, "部门规章制度汇编未更新": 2,
              "会议室使用登记缺失": 1, "选派干部驻点帮扶不到位": 1, "涉密文件管理不严": 2},
)


# ---------------------------------------------------------------------------------------------------------------
def _deadlines_xls(path: Path) -> None:
    long_stages = "分阶段完成：2025年6月底前完成排查，2025年12月底前全面整改到位"
    write_xls(path, {"台账": [
        _title("2025年第二季度作风建设问题整改台账", 9),
        ["序号", "问题编号", "问题来源", "问题描述", "责任单位", "责任人", "发现时间", "整改时限", "整改状态"],
        [1, "ZF-01", "日常监督", "值班期间饮酒", "一分厂", "王五", dt.date(2025, 4, 10), "立行立改", "整改中"],
        [2, "ZF-02", "日常监督", "违规发放节日福利", "财务部", "刘洋", dt.date(2025, 4, 12), "立行立改", "已完成"],
        [3, "ZF-03", "日常监督", "公务车辆停放不规范", "综合管理部", "郑浩", None, "立行立改", "整改中"],
        [4, "ZF-04", "专项监督", "工作群发布不当言论", "党群工作部", "陈明", dt.date(2025, 5, 6), "立行立改，长期坚持", "已完成，长期坚持"],
        [5, "ZF-05", "日常监督", "考勤打卡代签", "二分厂", "赵六", dt.date(2025, 4, 20), "6月底前", "整改中"],
        [6, "ZF-06", "日常监督", "基层调研走过场", "生产技术部", "孙磊", None, "9月30日前", "未启动"],
        [7, "ZF-07", "专项监督", "文山会海问题反弹", "综合管理部", "郑浩", None, "年底前", "整改中"],
        [8, "ZF-08", "日常监督", "检查考核过多过频", "安全环保部", "孙磊", None, "2025.4-2025.9", "整改中"],
        [9, "ZF-09", "日常监督", "服务基层推诿扯皮", "物流部", "吴静", None, "2025年4月至5月", "整改中"],
        [10, "ZF-10", "专项监督", "督查检查未统筹安排", "安全环保部", "孙磊", None, "2025年第三季度", "未启动"],
        [11, "ZF-11", "日常监督", "办公用品采购超标准", "采购部", "刘洋", None, "2025年底前，并长期坚持", "整改中"],
        [12, "ZF-12", "专项监督", "培训费管理不规范", "人力资源部", "赵六", None, long_stages, "整改中"],
        [13, "ZF-13", "日常监督", "节约用电制度执行不力", "综合管理部", "郑浩", None, "长期坚持", "整改中"],
        [14, "ZF-14", "日常监督", "调研报告质量不高", "生产技术部", "孙磊", None, "2025.4-2025.5", "已完成"],
        [15, "ZF-15", "日常监督", "差旅住宿超标准", "财务部", "刘洋", dt.date(2025, 4, 15), dt.date(2025, 5, 15), "已申请延期"],
        [16, "ZF-16", "日常监督", "值班记录不完整", "一分厂", "王五", None, "2025.4-2025.5", "滞后"],
        [17, "ZF-17", "日常监督", "公务接待超标准", "销售部", "周敏", dt.date(2025, 4, 8), "立行立改", "已销号"],
        [],
        ["填报人：周敏", None, None, "审核人：李四", None, None, "联系电话：0871-65550155"],
    ]})


DEADLINES_XLS = Ledger(
    id="deadline-forms-xls", file="2025年第二季度作风建设问题整改台账.xls", writer=_deadlines_xls, period="2025Q2",
    shapes=".xls, one measure per problem, every deadline form: 立行立改 open with and without found date and "
           "completed, 立行立改，长期坚持, 6月底前, 9月30日前, 年底前, 2025.4-2025.9, 2025年4月至5月, 2025年第三季度, "
           "2025年底前，并长期坚持, 分阶段完成 with dated stages, 长期坚持, a date cell; 已申请延期, 滞后",
    problems=17,  # ZF-01 … ZF-17
    closed=1,  # ZF-17
    completed=4,  # ZF-02, ZF-04 (已完成，长期坚持), ZF-14, ZF-17
    open=13,  # the other 13: 整改中, 未启动, 已申请延期, 滞后
    # ZF-01 (立行立改 found 04-10), ZF-09 (05-31), ZF-15 (05-15), ZF-16 (05-31). Not: ZF-03 (立行立改, no found date:
    # 06-30), ZF-05 (06-30), ZF-06/08/10 (09-30), ZF-07/11/12 (12-31), ZF-13 (长期坚持); ZF-14 is completed
    overdue=4,
    by_unit={"一分厂": 2, "财务部": 2, "综合管理部": 3, "党群工作部": 1, "二分厂": 1, "生产技术部": 2,
             "安全环保部": 2, "物流部": 1, "采购部": 1, "人力资源部": 1, "销售部": 1},
    by_source={"日常监督": 13, "专项监督": 4},  # 专项监督: ZF-04, 07, 10, 12
    measures={d: 1 for d in ("值班期间饮酒", "违规发放节日福利", "公务车辆停放不规范", "工作群发布不当言论", "考勤打卡代签",
                             "基层调研走过场", "文山会海问题反弹", "检查考核过多过频", "服务基层推诿扯皮",
                             "督查检查未统筹安排", "办公用品采购超标准", "培训费管理不规范", "节约用电制度执行不力",
                             "调研报告质量不高", "差旅住宿超标准", "值班记录不完整", "公务接待超标准")},
)


# ---------------------------------------------------------------------------------------------------------------
def _compound_xls(path: Path) -> None:
    write_xls(path, {"销号台账": [
        _title("2025年第二季度问题整改销号台账", 8),
        ["序号", "问题来源", "问题描述", "责任单位", "整改措施", "整改时限", "是否完成整改", "整改进展情况"],
        [1, "审计", "差旅审批单据不全", "财务部", "补齐差旅审批单据", "6月底前", "是（长期坚持）", None],
        [2, "审计", "合同用印登记不全", "综合管理部", "完善合同用印登记", "6月底前", "否", "已完成整改，待验收"],
        [3, "巡察", "党员教育培训学时不足", "党群工作部", "补足党员培训学时", "9月30日前", "否", "部分完成"],
        [4, UP, "青年干部培养机制不健全", "人力资源部", "制定青年干部培养计划", "2025.4-2025.5", "否", "滞后，正在协调"],
        [5, UP, "基层减负措施落实不够", "生产技术部", "精简基层报表", "6月底前", "否", "未完成，已申请延期"],
        [6, "审计", "采购验收记录不规范", "采购部", "重新组织验收", dt.date(2025, 5, 20), "否", "已退回，需重新整改"],
        [7, "自查", "档案借阅登记不全", "综合管理部", "规范档案借阅登记", "6月底前", "是", "待审核"],
        [8, UP, "网络安全等级保护测评未开展", "信息中心", "委托开展等保测评", "9月30日前", "否", "正在推进，预计6月底完成"],
        [UP, UP, UP, UP, "整改测评发现的问题", "年底前", "否", "尚未启动"],
        [9, UP, "食堂卫生检查不到位", "综合管理部", "开展食堂卫生专项检查", "立行立改", "是", "已办结"],
        [10, "审计", "外包服务费结算不及时", "财务部", "按合同约定结算外包服务费", "长期坚持", "否", "长期坚持，持续推进"],
        [],
        ["填报人：王五", None, "审核人：赵六", None, "联系电话：0871-65550199"],
        _title("备注：1.是否完成整改填“是”或“否”；2.进展情况据实填写。", 8),
    ]})


COMPOUND_XLS = Ledger(
    id="compound-status-xls", file="2025年第二季度问题整改销号台账.xls", writer=_compound_xls, period="2025Q2",
    shapes=".xls; status in 是否完成整改 (是/否) + 整改进展情况 (free text): 是（长期坚持）, 否 beaten by "
           "已完成整改，待验收, 部分完成, 滞后, 未完成，已申请延期, 已退回, 待审核, 已办结, 尚未启动; 问题来源 merged "
           "over consecutive problems; a problem merged over two measures",
    problems=10,  # 序号 1–10
    closed=1,  # #9 (已办结 in the progress text)
    completed=4,  # #1 是（长期坚持）, #2 (待验收 beats 否), #7 (是, 待审核), #9
    open=6,  # #3 部分完成, #4 滞后, #5 已申请延期, #6 已退回, #8 (推进中/尚未启动 → 整改中), #10 长期坚持
    overdue=2,  # #4: 2025-05-31; #6: 2025-05-20; #5 06-30 is the end; #3 09-30; #8 12-31; #10 no date
    by_unit={"财务部": 2, "综合管理部": 3, "党群工作部": 1, "人力资源部": 1, "生产技术部": 1, "采购部": 1, "信息中心": 1},
    by_source={"审计": 4, "巡视巡察": 3, "自查自纠": 3},  # 审计 #1 #2 #6 #10; 巡察 #3–#5; 自查 #7–#9
    measures={"差旅审批单据不全": 1, "合同用印登记不全": 1, "党员教育培训学时不足": 1, "青年干部培养机制不健全": 1,
              "基层减负措施落实不够": 1, "采购验收记录不规范": 1, "档案借阅登记不全": 1, "网络安全等级保护测评未开展": 2,
              "食堂卫生检查不到位": 1, "外包服务费结算不及时": 1},
)


# ---------------------------------------------------------------------------------------------------------------
def _sub_numbers_gbk(path: Path) -> None:
    write_csv(path, [
        ["序号", "问题来源", "问题描述", "责任单位", "配合单位", "整改措施", "计划完成时间", "整改状态"],
        ["1", "审计", "职工教育经费提取使用不规范", "人力资源部", "财务部", "", "", ""],
        ["（1）", "", "", "", "", "按规定比例补提教育经费", "2025年6月30日前", "已完成"],
        ["（2）", "", "", "", "", "制定职工教育经费使用计划", "9月30日前", "整改中"],
        ["2", "日常监督", "档案室消防设施老化", "综合管理部，安全环保部", "", "更换档案室消防器材", "2025.4-2025.5", "已完成"],
        ["3", "巡察", "党支部换届不及时", "党群工作部", "", "", "", ""],
        ["（1）", "", "", "", "", "督促到期党支部按期换届", "6月底前", "未启动"],
        ["（2）", "", "", "", "", "建立党支部换届提醒机制", "6月底前", "未启动"],
        ["（3）", "", "", "", "", "对换届工作开展专项检查", "2025年5月底前", "未启动"],
        ["4", "审计", "工程款支付进度与合同不符", "生产技术部；财务部", "审计部", "核对工程款支付进度", "2025-05-31", "整改中"],
        ["5", "信访", "反映物业费收取不透明", "综合管理部", "", "公开物业费收支明细", "立行立改", "已销号"],
        [],
        ["填报人：孙磊", "", "审核人：周敏", "", "联系电话：0871-65550133"],
    ], "gbk")


SUB_NUMBERS_GBK = Ledger(
    id="sub-numbers-gbk", file="2025年第二季度问题整改台账（系统导出）.csv", writer=_sub_numbers_gbk, period="2025Q2",
    shapes="CSV GBK; measures （1）（2）（3） under problem rows that hold none; 配合单位, 计划完成时间; units "
           "综合管理部，安全环保部 and 生产技术部；财务部; footer across cells",
    problems=5,  # 序号 1–5
    closed=1,  # #5
    completed=2,  # #2 (已完成), #5
    open=3,  # #1 (已完成/整改中), #3 (未启动 ×3 → 未启动), #4 (整改中)
    overdue=1,  # #4: 2025-05-31; #1 09-30; #3: latest of 06-30, 06-30, 05-31 is 06-30, the end
    by_unit={"人力资源部": 1, "综合管理部": 2, "党群工作部": 1, "生产技术部": 1},  # first units; 配合单位 not counted
    by_source={"审计": 2, "日常监督": 1, "巡视巡察": 1, "信访举报": 1},
    measures={"职工教育经费提取使用不规范": 2, "档案室消防设施老化": 1, "党支部换届不及时": 3,
              "工程款支付进度与合同不符": 1, "反映物业费收取不透明": 1},
)


# ---------------------------------------------------------------------------------------------------------------
def _two_levels_xls(path: Path) -> None:
    write_xls(path, {"巡察反馈问题": [
        _title("2025年第二季度整改台账", 8),
        ["序号", "反馈问题", "问题描述", "整改措施", "责任单位", "整改时限", "整改状态", "整改结果"],
        [1, "落实全面从严治党主体责任不到位", "党委专题研究党风廉政建设次数不足", "每季度专题研究一次党风廉政建设", "党群工作部/综合管理部", "长期坚持", "整改中", None],
        [UP, UP, UP, "制定党委主体责任清单", UP, "9月30日前", "已完成", "已整改到位"],
        [2, UP, "一岗双责落实不到位", "签订一岗双责责任书", "生产技术部", "立行立改", "已完成", "已整改到位"],
        [3, "监督执纪存在短板", "问题线索处置不及时", "建立问题线索台账", "审计部", "2025.4-2025.5", "已完成", "已整改到位"],
        [UP, UP, UP, "对积压线索集中处置", UP, UP, "滞后", None],
        [4, UP, "执纪审查安全制度不健全", "修订执纪审查安全工作规定", UP, "6月底前", "已完成", "已销号"],
        [],
        ["单位负责人：", None, None, "填报人：陈明", None, "（盖章）"],
    ]})


TWO_LEVELS_XLS = Ledger(
    id="two-levels-xls", file="2025年第二季度整改台账（党委办）.xls", writer=_two_levels_xls, period="2025Q2",
    shapes=".xls; two levels (反馈问题 merged over 问题描述, 问题描述 merged over measures); 整改状态 + 整改结果 "
           "(已销号 in 整改结果 wins); 党群工作部/综合管理部; 责任单位 merged over two problems; source only in the "
           "sheet name (巡察反馈问题); 单位负责人/填报人/盖章 row",
    problems=4,  # one per 问题描述 range
    closed=1,  # #4 (整改结果 已销号)
    completed=2,  # #2 (已完成, 已整改到位) and #4
    open=2,  # #1 (整改中/已完成), #3 (已完成/滞后)
    overdue=1,  # #3: 2025-05-31; #1: its one dated measure 09-30 (the other 长期坚持)
    by_unit={"党群工作部": 1, "生产技术部": 1, "审计部": 2},  # #1 党群工作部/综合管理部 → 党群工作部
    by_source={"巡视巡察": 4},
    measures={"党委专题研究党风廉政建设次数不足": 2, "一岗双责落实不到位": 1, "问题线索处置不及时": 2,
              "执纪审查安全制度不健全": 1},
)


LEDGERS: tuple[Ledger, ...] = (
    OFFICE_Q2, OFFICE_Q3, TWO_LEVELS, NUMBERED, BLANK_ROWS_CSV, PROGRESS_GBK, STATUS_COLUMNS, TITLE_SOURCE,
    FILE_NAME_SOURCE, SHEET_SOURCES, SECTIONS_XLS, MIXED_Q3, REMARKS_STATUS, DEADLINES_XLS, COMPOUND_XLS,
    SUB_NUMBERS_GBK, TWO_LEVELS_XLS,
)


def write_all(folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [ledger.write(folder) for ledger in LEDGERS]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("用法：python tests/ledger_corpus.py 输出目录", file=sys.stderr)
        return 2
    for path in write_all(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
