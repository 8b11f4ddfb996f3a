"""The sample ledgers the tests import, written by the repository itself: no file from outside it is read.

Run: python tests/sample_ledgers.py OUT_DIR   (needs openpyxl only)

Five files, as messy as the ledgers offices circulate, for one invented company (滇峰资源综合利用有限公司):

- 2024年第一季度问题整改台账.xlsx: a merged title row, a 填报单位/填报日期 line, padded descriptions, dates as Excel
  dates and as text in three styles, 长期坚持 for a deadline, a blank row, a 合计 row, a 注 row, a 填表说明 sheet;
- 2024年第二季度问题整改台账.xlsx: the same twelve problems and three new ones under a two-row header (整改情况 over
  整改措施/完成时限/完成情况/完成时间), other header words, a 小计 row;
- 专项监督问题清单_GBK.csv: five problems in GBK, 是否销号 是/否 for a status, no quarter in the name;
- 2024年政治监督重点任务清单.xlsx: a supervision task list (监督清单) of six measures;
- 2024年第二季度政治生态评分表.xlsx: assessment scores, one column per dimension, five units.

The figures the tests check (tests/test_samples.py and others) were counted by hand from these rows: change a
row and recount them. The files are the same byte for byte on every run (fixed timestamps inside and in the zip),
so a fuzz case made from them (tests/test_fuzz.py) replays exactly.
"""

# ruff: noqa: E501  (ledger rows as tables: one row per line, as in tests/fixtures.py)
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

Q1 = "2024年第一季度问题整改台账.xlsx"
Q2 = "2024年第二季度问题整改台账.xlsx"
CSV = "专项监督问题清单_GBK.csv"
TASKS = "2024年政治监督重点任务清单.xlsx"
SCORES = "2024年第二季度政治生态评分表.xlsx"
NAMES = (Q1, Q2, CSV, TASKS, SCORES)
WORKBOOKS = tuple(sorted(n for n in NAMES if n.endswith(".xlsx")))

COMPANY = "滇峰资源综合利用有限公司"
# every file claims to be written at this moment (UTC): the zip entries and docProps/core.xml
WRITTEN = dt.datetime(2026, 11, 22, 7, 16, 25)  # a zip entry keeps even seconds: 7:16:24


class Problem(NamedTuple):
    code: str
    source: str
    category: str
    description: str
    unit: str
    owner: str
    found: str  # ISO dates here; each ledger writes them in its own styles
    deadline: str  # an ISO date or 长期坚持
    severity: str  # 问题性质, written in Q2 only


# Listed in Q1 (rows 1–12) and again in Q2 (rows 1–12).
CARRIED = [
    Problem("XC-2024-001", "巡察", "政治建设", "落实“第一议题”制度不到位，部分会议未及时传达学习上级重要指示精神", "综合管理部", "李明", "2024-01-15", "2024-03-31", "一般"),
    Problem("XC-2024-002", "巡察", "党内政治生活", "民主生活会批评与自我批评辣味不足，问题查摆不深入", "冶炼厂", "王强", "2024-01-15", "2024-04-30", "一般"),
    Problem("XC-2024-003", "巡察", "选人用人", "干部选拔任用民主推荐环节记录不完整", "人力资源部", "赵丽", "2024-01-15", "2024-06-30", "较重"),
    Problem("SJ-2024-001", "内部审计", "廉洁建设", "单一来源采购论证不充分，未履行集体决策程序", "采购部", "陈刚", "2024-02-01", "2024-05-31", "严重"),
    Problem("SJ-2024-002", "审计", "廉洁建设", "高价值物料出入库检斤记录缺失，账实不符", "物流部", "周涛", "2024-02-01", "2024-04-30", "较重"),
    Problem("ZX-2024-001", "专项监督", "作风建设", "食堂管理账目不清，采购台账与实物不符", "综合管理部", "李明", "2024-02-20", "2024-03-31", "一般"),
    Problem("ZX-2024-002", "专项监督", "作风建设", "公务用车使用登记不规范，存在私车公养苗头", "综合管理部", "孙伟", "2024-02-20", "2024-05-31", "较重"),
    Problem("ZX-2024-003", "专项监督", "廉洁建设", "承包商管理不到位，分包单位资质审核缺失", "工程管理部", "吴军", "2024-03-05", "2024-08-31", "较重"),
    Problem("RC-2024-001", "日常监督", "两个责任", "“一岗双责”履责清单未按季度更新", "销售部", "郑华", "2024-03-10", "2024-06-30", "一般"),
    Problem("RC-2024-002", "日常监督", "政治纪律", "规章制度修订不及时，3项制度与上级规定不一致", "法务合规部", "钱芳", "2024-03-10", "长期坚持", "一般"),
    Problem("XF-2024-001", "信访举报", "作风建设", "反映某车间负责人违规接受管理服务对象宴请", "冶炼厂", "王强", "2024-03-18", "2024-06-30", "严重"),
    Problem("HS-2024-001", "沟通会商", "政治文化", "廉洁文化教育活动覆盖面不足，基层班组参与率低", "党群工作部", "冯静", "2024-03-25", "2024-09-30", "一般"),
]
# First listed in Q2 (rows 13–15).
FOUND_IN_Q2 = [
    Problem("ZX-2024-004", "专项监督", "廉洁建设", "计量器具校验不及时，检斤数据存在人为修改痕迹", "物流部", "周涛", "2024-04-12", "2024-07-31", "严重"),
    Problem("RC-2024-003", "日常监督", "作风建设", "违规发放津贴补贴，未经集体研究", "财务部", "何敏", "2024-05-06", "2024-06-30", "较重"),
    Problem("XC-2024-004", "巡察", "选人用人", "新提拔干部任前廉洁谈话未全覆盖", "人力资源部", "赵丽", "2024-05-20", "2024-08-31", "一般"),
]

# (整改状态, 销号时间) as each quarter's ledger reports them; a code not listed is 整改中 (Q1) / 正在整改 (Q2).
STATUS_Q1 = {
    "XC-2024-001": ("已销号", "2024-03-28"),
    "SJ-2024-001": ("未整改", None),
    "ZX-2024-001": ("已整改", "2024-03-30"),
    "ZX-2024-003": ("未整改", None),
    "HS-2024-001": ("未整改", None),
}
STATUS_Q2 = {
    "XC-2024-001": ("已销号", "2024-03-28"),
    "XC-2024-002": ("已销号", "2024-04-26"),
    "SJ-2024-002": ("已销号", "2024-05-10"),
    "ZX-2024-001": ("已销号", "2024-04-08"),
    "RC-2024-001": ("已整改", "2024-06-20"),
    "RC-2024-002": ("长期整改", None),
    "RC-2024-003": ("已销号", "2024-06-25"),
}

MEASURES = "制定整改方案，明确责任人和时限"  # Q2's 整改措施, the same on every row

# 序号 is the row's number; (监督方面, 监督措施, 工作要求, 责任单位, 完成时限, 完成情况)
TASK_ROWS = [
    ("落实“第一议题”制度", "检查第一议题、中心组学习制度执行情况", "每季度检查一次", "党群工作部", "每季度", "已完成"),
    ("落实中央八项规定精神", "开展履职待遇、业务支出监督检查", "联合财务部每季度一次", "纪委办公室", "每季度", "已完成"),
    ("贯彻落实重要指示批示精神", "动态更新贯彻落实台账并监督检查", "每季度更新台账", "综合管理部", "每季度", "进行中"),
    ("加强对“关键少数”监督", "任前廉洁谈话、签订廉洁自律承诺书", "新提拔干部全覆盖", "人力资源部", "2024-12-31", "进行中"),
    ("关键环节专责监督", "高价值物料、检斤、计量专项监督", "发现问题建立清单", "纪委办公室", "2024-06-30", "已完成"),
    ("巡察整改回头看", "对已整改事项再检查、新问题再了解、复发问题再通报", "覆盖15个重点领域", "纪委办公室", "2024-09-30", "未开始"),
]

DIMENSIONS = ["加强党的政治建设", "严肃党内政治生活", "突出政治标准选人用人", "加强干部作风建设", "严明政治纪律和政治规矩", "惩治腐败与廉洁建设", "落实管党治党两个责任", "培育积极健康的党内政治文化"]
# one row per unit, one score per dimension in DIMENSIONS' order; all 纪委评价
SCORE_ROWS = {
    "冶炼厂": [95, 94, 93, 92, 91, 90, 89, 88],
    "物流部": [92, 91, 90, 89, 88, 87, 86, 85],
    "采购部": [89, 88, 87, 86, 85, 95, 94, 93],
    "综合管理部": [86, 85, 95, 94, 93, 92, 91, 90],
    "人力资源部": [94, 93, 92, 91, 90, 89, 88, 87],
}


# ---- how a date is written -----------------------------------------------------------------------------------------

def _as_date(day: dt.date) -> object:
    return day  # a real Excel date


def _dotted(day: dt.date) -> object:
    return f"{day.year}.{day.month}.{day.day}"


def _chinese(day: dt.date) -> object:
    return f"{day.year}年{day.month}月{day.day}日"


def _slashed(day: dt.date) -> object:
    return f"{day.year}/{day.month}/{day.day}"


DATE_STYLES = (_as_date, _dotted, _chinese, _slashed)


def written(value: str | None, style) -> object:
    """An ISO date as a ledger writes it (``style`` one of DATE_STYLES); a word such as 长期坚持 stays as it is."""
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return style(day)


# ---- the files -----------------------------------------------------------------------------------------------------

def first_quarter() -> Workbook:
    """Title, 填报 line, one header row, twelve problems, a blank row, 合计, 注; a 填表说明 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "问题整改台账"
    sheet.append([f"{COMPANY}2024年第一季度问题整改台账"])
    sheet.merge_cells("A1:L1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    filled_in = [None] * 10
    filled_in[0], filled_in[9] = "填报单位：纪委办公室", "填报日期：2024年4月3日"
    sheet.append(filled_in)
    sheet.append(["序号", "问题编号", "问题来源", "问题类别", "问题描述", "责任部门", "责任人", "发现时间", "整改时限",
                  "整改状态", "销号时间", "备注"])
    for seq, p in enumerate(CARRIED, 1):
        status, closed = STATUS_Q1.get(p.code, ("整改中", None))
        sheet.append([seq, p.code, p.source, p.category, f" {p.description} ", p.unit, p.owner,
                      written(p.found, _as_date), written(p.deadline, DATE_STYLES[seq % 4]), status,
                      written(closed, _chinese), None])
    sheet.append([])
    closed_count = sum(status == "已销号" for status, _ in STATUS_Q1.values())
    sheet.append(["合计", None, None, None, f"共{len(CARRIED)}项，已销号{closed_count}项"])
    sheet.append(["注：整改状态填写“未整改/整改中/已整改/已销号/长期整改”。"])
    book.create_sheet("填表说明").append(["本表每季度末更新一次，由各责任部门填报，纪委办公室汇总。"])
    return book


def second_quarter() -> Workbook:
    """Title, a header on two rows (整改情况 spans four columns, the others merged down), fifteen problems, 小计."""
    book = Workbook()
    sheet = book.active
    sheet.title = "2024Q2"
    sheet.append([f"{COMPANY}问题整改台账（2024年二季度）"])
    sheet.merge_cells("A1:L1")
    sheet.append(["序号", "问题编号", "问题来源", "所属维度", "存在问题", "整改责任单位", "整改责任人",
                  "整改情况", None, None, None, "问题性质"])
    sheet.append([None] * 7 + ["整改措施", "完成时限", "完成情况", "完成时间", None])
    for column in "ABCDEFGL":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("H2:K2")
    problems = CARRIED + FOUND_IN_Q2
    for seq, p in enumerate(problems, 1):
        status, closed = STATUS_Q2.get(p.code, ("正在整改", None))
        sheet.append([seq, p.code, p.source, p.category, p.description, p.unit, p.owner, MEASURES,
                      written(p.deadline, DATE_STYLES[(seq + 1) % 4]), status, written(closed, _dotted), p.severity])
    sheet.append(["小计", None, None, None, f"{len(problems)}项"])
    return book


def gbk_csv() -> bytes:
    """The first five problems from a 专项监督 list: no code, no category, 是否销号 for a status (是 = 已销号 in Q2)."""
    out = io.StringIO(newline="")
    rows = csv.writer(out)
    rows.writerow(["问题来源", "问题描述", "责任单位", "整改时限", "是否销号"])
    for p in CARRIED[:5]:
        closed = STATUS_Q2.get(p.code, ("",))[0] == "已销号"
        rows.writerow([p.source, p.description, p.unit, p.deadline, "是" if closed else "否"])
    return out.getvalue().encode("gbk")


def task_list() -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = "监督清单"
    sheet.append(["2024年政治监督重点任务清单"])
    sheet.merge_cells("A1:G1")
    sheet.append(["序号", "监督方面", "监督措施", "工作要求", "责任单位", "完成时限", "完成情况"])
    for seq, task in enumerate(TASK_ROWS, 1):
        sheet.append([seq, *task])
    return book


def score_sheet() -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = "评分表"
    sheet.append(["单位", *DIMENSIONS, "评价方式"])
    for unit, scores in SCORE_ROWS.items():
        sheet.append([unit, *scores, "纪委评价"])
    return book


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook as openpyxl saves it, with the moment it was written fixed to WRITTEN (in the zip entries and
    docProps/core.xml), so that the same rows always give the same bytes."""
    saved = io.BytesIO()
    book.save(saved)
    stamp = WRITTEN.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == "docProps/core.xml":
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp, content)
            fixed = zipfile.ZipInfo(entry.filename, date_time=WRITTEN.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = entry.external_attr
            fixed.create_system = 3  # Unix, as written on Linux, whatever system this runs on
            target.writestr(fixed, content)
    return out.getvalue()


def sample_files() -> dict[str, bytes]:
    """Every sample ledger: file name → bytes."""
    return {Q1: workbook_bytes(first_quarter()), Q2: workbook_bytes(second_quarter()), CSV: gbk_csv(),
            TASKS: workbook_bytes(task_list()), SCORES: workbook_bytes(score_sheet())}


def write_samples(folder: Path) -> Path:
    """Write every sample ledger into ``folder`` (made if missing); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in sample_files().items():
        (folder / name).write_bytes(data)
    return folder


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python tests/sample_ledgers.py OUT_DIR", file=sys.stderr)
        return 2
    folder = write_samples(Path(argv[0]))
    for name in NAMES:
        print(folder / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
