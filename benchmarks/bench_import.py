"""Import benchmark: how fast and how lean is importing a 100,000-row problem ledger?

Run: python benchmarks/bench_import.py [--rows 100000] [--repeat 3] [--check] [--phases]
                                       [--shared-strings | --merged]

On a synthetic problem ledger (问题整改台账, .xlsx) written once and cached under
benchmarks/out/, it measures, each as the best of --repeat runs, the three taking
turns (one of each, then again) so that a change in a shared machine's load
weighs on all three alike:

1. the import: ``parse_file`` + ``store`` into a fresh DuckDB file (reading the
   file, opening the database and closing it included);
2. the raw calamine parse of the same file, the floor no importer can beat:
   ``CalamineWorkbook.from_path(p).get_sheet_by_name(name).to_python()``;
3. ``pandas.read_excel(p, engine="openpyxl")``, what a typical app does;

and the peak memory of the import: the peak RSS of a fresh child process that
only does the import, next to that of a child that only imports the modules
(the baseline; nothing is subtracted from the import's figure). One untimed
import comes first: a ledger the importer rejects (or imports only in part) is
reported, with the outcome and the first issue, and its import is not timed.

Goals (each printed as PASS/FAIL):
- import / raw calamine parse ≤ 1.5 (≤ 2 for the --merged ledger)
- pandas-openpyxl / import ≥ 5 (not a goal for the --merged ledger: printed only)
- peak RSS of the import < 500 MB

It is a report, not a test: it exits 0 whatever the figures, unless --check is
given, when a FAIL exits 1; an import that is rejected or incomplete exits 1.
--phases adds where the time of the import goes, from timers around the
importer's steps during best-of-N further imports.

The ledger looks like a real one: a merged title row and a 填报单位 line above
the header, 200 units, sources written in their raw forms (巡察, 内部审计, 信访 …),
real Excel dates for 发现时间 and text dates in several forms for 整改时限,
销号时间 for closed problems, and a 合计 row and notes below the table. Every
problem row is valid, which the benchmark checks on every import. The file is
written with xlsxwriter in constant_memory mode, which stores strings inline in
the sheet, as streaming writers and many report exporters do. Excel and WPS keep
them in a shared-string table instead: --shared-strings writes the same ledger
that way (its own cached file), where openpyxl is faster and the ratios differ.

--merged benchmarks instead a ledger laid out as offices lay out their own, with
vertical merges and measure rows (its own cached file; --rows counts its table's
rows, the measure rows). Each problem has 2–4 measure rows, each with its own
整改措施, 责任人, 完成时限, 整改状态 and 销号时间; the problem's cells (序号, 问题编号,
问题来源, 问题类别, 问题描述, 发现时间, 问题性质) are merged down over its measure rows,
and 责任单位 down over runs of 1–6 problems of one unit. The measures' statuses
add up to the problem's status (all 已销号 → 已销号 …), and their deadlines go
later measure by measure. xlsxwriter writes it in its normal mode, strings in a
shared-string table: in constant_memory mode a merge down a column writes the
blank cells under the first one, which flushes those rows, and what is written
into them afterwards is dropped. The raw calamine parse does not fill the merged
cells, so it stays the floor. The import must take each problem once, its
measure rows folded into it: a fresh database's new problems are counted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: make `analytics` importable

from analytics import derived, ledger  # noqa: E402
from analytics.config import scoring_config  # noqa: E402
from analytics.db import connect  # noqa: E402
from analytics.errors import FileRejected  # noqa: E402
from analytics.ingest import parse, reader  # noqa: E402
from analytics.ingest.parse import ParsedFile, parse_file  # noqa: E402
from analytics.ingest.worker import tuned  # noqa: E402
from analytics.ledger import ImportResult, store  # noqa: E402
from analytics.periods import Period  # noqa: E402

OUT_DIR = ROOT / "benchmarks" / "out"
PERIOD = Period(2025, 1)
SHEET = "问题整改台账"
COMPANY = "滇峰资源综合利用有限公司"
SEED = 20250401
GENERATOR_VERSION = 1  # bump when the generator changes, so cached files are rewritten
MERGED_GENERATOR_VERSION = 1  # the same for the merged ledger's

GOAL_IMPORT_VS_RAW = 1.5
GOAL_MERGED_VS_RAW = 2.0
GOAL_PANDAS_VS_IMPORT = 5.0
GOAL_PEAK_MB = 500.0

HEADERS = ("序号", "问题编号", "问题来源", "问题类别", "问题描述", "责任单位", "责任人", "发现时间", "整改时限",
           "整改状态", "销号时间", "问题性质", "备注")

# 8 sources: code prefix and the forms ledgers write them in
SOURCES = (
    ("XC", ("巡察", "巡视巡察", "巡察反馈", "巡视")),
    ("SJ", ("审计", "内部审计", "经济责任审计")),
    ("RC", ("日常监督",)),
    ("ZX", ("专项监督", "专项检查")),
    ("XF", ("信访举报", "信访", "举报")),
    ("HS", ("沟通会商",)),
    ("ZC", ("自查自纠", "自查")),
    ("QT", ("其他",)),
)
SOURCE_WEIGHTS = (22, 14, 20, 14, 8, 4, 15, 3)

# 问题类别 → description templates; {unit} and {ref} are filled per row ({ref} makes each description unique)
CATEGORIES = (
    ("作风建设", ("{unit}存在“文山会海”现象，{ref}相关会议未压缩时长、未精简文件",
              "{unit}调查研究走过场，{ref}调研报告照搬上报材料，未提出解决实际问题的措施")),
    ("中央八项规定", ("{unit}公务接待超标准列支，{ref}接待费用未附公函和接待清单",
                "{unit}公车使用管理不规范，{ref}存在节假日无派车单出车的情况")),
    ("选人用人", ("{unit}干部选拔任用程序不规范，{ref}民主推荐环节缺少会议记录",
              "{unit}干部人事档案审核不严，{ref}出生日期、参加工作时间认定依据不足")),
    ("三重一大", ("{unit}“三重一大”事项未经集体决策，{ref}由主要负责人个人审批",
              "{unit}重大资金使用事后补办决策程序，{ref}会议纪要内容与实际支出不符")),
    ("招标采购", ("{unit}物资采购化整为零规避招标，{ref}同类物资分拆为多笔询价采购",
              "{unit}供应商入库审核不严，{ref}部分供应商资质证明材料已过期")),
    ("一岗双责", ("{unit}班子成员落实“一岗双责”不到位，{ref}分管领域廉洁风险排查流于形式",
              "{unit}党风廉政建设责任书签订后未跟踪考核，{ref}年度考核缺少廉政内容")),
    ("党内政治生活", ("{unit}组织生活会批评与自我批评辣味不足，{ref}相互批评意见泛泛而谈",
                "{unit}“三会一课”记录不完整，{ref}党小组会未按规定频次召开")),
    ("政治纪律", ("{unit}对上级决策部署传达学习不及时，{ref}未结合实际制定贯彻落实措施",
              "{unit}意识形态阵地管理不严，{ref}内部刊物稿件未履行审核程序")),
    ("廉洁文化", ("{unit}廉洁文化建设载体单一，{ref}警示教育仅以传达文件代替",
              "{unit}廉洁风险防控手册多年未更新，{ref}岗位风险点与实际业务脱节")),
    ("财务管理", ("{unit}费用报销审核把关不严，{ref}报销单据缺少经办人签字",
              "{unit}往来款项长期挂账未清理，{ref}账龄超过三年仍未核销或催收")),
    ("安全生产", ("{unit}安全隐患排查整治不彻底，{ref}同类隐患在复查中再次发现",
              "{unit}外包作业安全管理不到位，{ref}作业人员未按规定进行安全交底")),
)
REFERENCES = ("抽查记账凭证记字第{n}号", "合同编号DF-HT-{n}", "经查第{n}号工单", "发文字号滇峰发〔{n}〕",
              "调阅档案编号DA-{n}", "审计底稿编号SJ-{n}")
STATUSES = (("未整改", 15), ("整改中", 30), ("已整改", 18), ("已销号", 32), ("长期整改", 5))
SEVERITIES = (("一般", 70), ("较重", 20), ("严重", 7), (None, 3))
REMARKS = ("已约谈提醒", "纳入回头看", "已督办", "举一反三开展自查", "待上级审核", "已移交相关部门")
_QUARTER_CN = "一二三四"

HQ_DEPARTMENTS = ("党委办公室", "综合办公室", "党群工作部", "组织人事部", "纪委办公室", "财务部", "审计部",
                  "法律合规部", "企业管理部", "战略发展部", "安全环保部", "生产技术部", "设备管理部", "物资采购中心",
                  "市场营销部", "信息中心", "工会办公室", "团委", "质量管理部", "科技研发中心")
PLACES = ("昆明", "曲靖", "玉溪", "保山", "昭通", "丽江", "普洱", "临沧", "楚雄", "红河", "文山", "大理", "德宏",
          "个旧", "开远", "蒙自", "宣威", "安宁", "弥勒", "瑞丽")
SUBSIDIARIES = ("分公司", "项目部", "选矿厂", "冶炼厂", "物流公司", "检修公司", "销售中心", "物资供应站", "矿业公司")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "红梅", "国平", "春林", "永福")

# the merged ledger: the first 8 columns are the problem's, merged down over its measure rows (责任单位 over its
# run of problems); the rest are each measure row's own
MERGED_HEADERS = ("序号", "问题编号", "问题来源", "问题类别", "问题描述", "责任单位", "发现时间", "问题性质",
                  "整改措施", "责任人", "完成时限", "整改状态", "销号时间", "备注")
PROBLEM_COLUMNS = 8
UNIT_COLUMN = MERGED_HEADERS.index("责任单位")
MEASURE_SIZES = ((2, 45), (3, 35), (4, 20))  # measure rows per problem, weights
UNIT_RUN = (1, 6)  # problems per merged 责任单位 cell
MEASURES = ("召开专题会议研究整改，逐条制定整改方案，明确责任人和时限", "组织相关人员专题学习有关规定，开展警示教育",
            "对相关责任人进行提醒谈话，责令作出书面检查", "修订完善相关管理制度，堵塞制度漏洞",
            "举一反三开展专项自查，建立问题台账逐项销号", "追回违规款项并调整账务处理",
            "补办相关审批手续，完善档案资料", "将整改情况纳入年度考核，加强日常监督检查", "开展“回头看”，巩固整改成效",
            "建立长效机制，定期通报整改进展")


# --- the synthetic ledger -------------------------------------------------------------------------


def ledger_path(rows: int, shared: bool = False, merged: bool = False) -> Path:
    size = f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)
    kind = "_merged" if merged else "_sst" if shared else ""
    return OUT_DIR / f"{PERIOD.year}年第{_QUARTER_CN[PERIOD.quarter - 1]}季度问题整改台账_{size}{kind}.xlsx"


def _stamp(rows: int, shared: bool, merged: bool = False) -> str:
    if merged:
        return f"bench_import merged ledger v{MERGED_GENERATOR_VERSION}, seed {SEED}, {rows} rows"
    strings = ", shared strings" if shared else ""  # inline strings: the stamp of the files written before either
    return f"bench_import ledger v{GENERATOR_VERSION}, seed {SEED}, {rows} rows{strings}"


def _is_current(path: Path, rows: int, shared: bool, merged: bool = False) -> bool:
    """A cached file written by this generator version for this row count and kind of ledger."""
    try:
        with zipfile.ZipFile(path) as z:
            return _stamp(rows, shared, merged) in z.read("docProps/core.xml").decode()
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _date_text(day: dt.date, rng: random.Random) -> str | dt.date:
    """A deadline as ledgers write it: a real date or one of the text forms the importer reads."""
    y, m, d = day.year, day.month, day.day
    form = rng.choices(range(7), weights=(20, 25, 25, 10, 10, 5, 5))[0]
    if form == 0:
        return day
    if form == 1:
        return f"{y}.{m}.{d}"
    if form == 2:
        return f"{y}年{m}月{d}日"
    if form == 3:
        return f"{y}/{m}/{d}"
    if form == 4:
        return day.isoformat()
    if form == 5:
        return f"{y}年{m}月底"
    return f"{y}年{_QUARTER_CN[(m - 1) // 3]}季度末"


def _problem(i: int, rng: random.Random, units: list[str], people: list[str]) -> list:
    """Row i of the ledger, one value per header (None for a blank cell)."""
    end = PERIOD.end
    prefix, forms = rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]
    category, templates = rng.choice(CATEGORIES)
    unit = rng.choice(units)
    found = dt.date(2024, 1, 2) + dt.timedelta(days=rng.randrange((end - dt.date(2024, 1, 2)).days - 5))
    ref = rng.choice(REFERENCES).format(n=f"{found.year}{i:06d}")
    description = rng.choice(templates).format(unit=unit, ref=ref + "，")
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    due = found + dt.timedelta(days=rng.choice((30, 45, 60, 90, 120, 180)))
    deadline: str | dt.date = "长期坚持" if status == "长期整改" and rng.random() < 0.6 else _date_text(due, rng)
    closed = None
    if status == "已销号":
        closed = min(found + dt.timedelta(days=rng.randint(7, 150)), end)
        if rng.random() < 0.15:
            closed = f"{closed.year}.{closed.month}.{closed.day}"
    severity = rng.choices([s for s, _ in SEVERITIES], weights=[w for _, w in SEVERITIES])[0]
    remarks = rng.choice(REMARKS) if rng.random() < 0.15 else None
    code = f"{prefix}-{found.year}-{i:06d}"
    return [i, code, rng.choice(forms), category, description, unit, rng.choice(people), found, deadline, status,
            closed, severity, remarks]


def write_ledger(path: Path, rows: int, shared: bool = False) -> None:
    """Write the synthetic ledger, seeded and deterministic: streaming rows with strings inline (constant_memory),
    or, shared, held in memory and written with a shared-string table as Excel does."""
    import xlsxwriter  # only the generator needs it

    rng = random.Random(SEED)
    units = list(HQ_DEPARTMENTS) + [p + s for p in PLACES for s in SUBSIDIARIES]
    people = [s + g for s in SURNAMES for g in GIVEN]
    tmp = path.with_name(path.stem + ".partial.xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": not shared})
    book.set_properties({"title": SHEET, "author": "纪委办公室", "company": COMPANY, "comments": _stamp(rows, shared),
                         "created": dt.datetime(2025, 4, 8, 9, 0)})
    title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    header = book.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True,
                              "bg_color": "#D9E1F2"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = _sheet_head(book, HEADERS, (6, 16, 12, 14, 60, 18, 10, 12, 16, 10, 12, 10, 16), 9, title, header)
    _write_rows(sheet, (_problem(i, rng, units, people) for i in range(1, rows + 1)), 3, date)
    _footer(sheet, rows + 3, f"共 {rows} 个问题",
            "注：整改状态按未整改、整改中、已整改、已销号、长期整改填写；已销号的问题须填写销号时间。")
    book.close()
    os.replace(tmp, path)


def _sheet_head(book, headers: tuple[str, ...], widths: tuple[int, ...], date_col: int, title, header):
    """The ledger's sheet: column widths, the merged title, the 填报单位/填报日期 line, the header, frozen panes."""
    sheet = book.add_worksheet(SHEET)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.merge_range(0, 0, 0, len(headers) - 1, f"{COMPANY}{PERIOD.label}问题整改台账", title)
    sheet.write_string(1, 0, "填报单位：纪委办公室（盖章）")
    sheet.write_string(1, date_col, "填报日期：2025年4月8日")
    sheet.write_row(2, 0, headers, header)
    sheet.freeze_panes(3, 0)
    return sheet


def _write_rows(sheet, rows, first: int, date) -> None:
    """Rows of cells from row ``first`` on: dates as dates, whole numbers as numbers, text as text, None blank."""
    for r, row in enumerate(rows, first):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, col, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, int):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, value)


def _footer(sheet, r: int, total: str, note: str) -> None:
    """合计, a note and the sign-off under the table, as offices end a ledger."""
    sheet.write_string(r, 0, "合计")
    sheet.write_string(r, 4, total)
    sheet.write_string(r + 2, 0, note)
    sheet.write_string(r + 3, 0, "填报人：李明")
    sheet.write_string(r + 3, 5, "审核人：王芳")


def merged_layout(rows: int) -> tuple[list[int], list[int]]:
    """The merged ledger's shape: measure rows per problem (the last problem cut to fit) and problems per run of
    one 责任单位. A generator of its own, so that the measured child knows how many problems to expect."""
    rng = random.Random(SEED + 1)
    sizes, left = [], rows
    while left:
        size = min(rng.choices([n for n, _ in MEASURE_SIZES], weights=[w for _, w in MEASURE_SIZES])[0], left)
        sizes.append(size)
        left -= size
    runs, left = [], len(sizes)
    while left:
        run = min(rng.randint(*UNIT_RUN), left)
        runs.append(run)
        left -= run
    return sizes, runs


def _measure_statuses(status: str, n: int, rng: random.Random) -> list[str]:
    """The statuses of a problem's n measures, adding up to the problem's status as the importer combines them."""
    if status in ("已销号", "未整改"):
        return [status] * n
    others = {"已整改": ("已整改", "已销号"), "长期整改": ("长期整改", "已整改"),
              "整改中": ("整改中", "未整改", "已整改")}[status]
    statuses = [rng.choice(others) for _ in range(n)]
    statuses[rng.randrange(n)] = status  # at least one measure makes the problem's status
    return statuses


def _merged_problem(i: int, n: int, unit: str, rng: random.Random, people: list[str]) -> tuple[list, list[list]]:
    """Problem i of the merged ledger: its cells (one per problem column, None for a blank) and its n measure
    rows (one value per measure column)."""
    end = PERIOD.end
    prefix, forms = rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]
    category, templates = rng.choice(CATEGORIES)
    found = dt.date(2024, 1, 2) + dt.timedelta(days=rng.randrange((end - dt.date(2024, 1, 2)).days - 5))
    ref = rng.choice(REFERENCES).format(n=f"{found.year}{i:06d}")
    description = rng.choice(templates).format(unit=unit, ref=ref + "，")
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    severity = rng.choices([s for s, _ in SEVERITIES], weights=[w for _, w in SEVERITIES])[0]
    problem = [i, f"{prefix}-{found.year}-{i:06d}", rng.choice(forms), category, description, unit, found, severity]
    measures = []
    due = found
    # distinct texts: measure rows that equal each other once the merges are filled would be repeats
    for text, measure_status in zip(rng.sample(MEASURES, n), _measure_statuses(status, n, rng), strict=True):
        due += dt.timedelta(days=rng.choice((15, 30, 45, 60, 90)))  # each measure due later than the one before
        long_term = measure_status == "长期整改" and rng.random() < 0.6
        deadline: str | dt.date = "长期坚持" if long_term else _date_text(due, rng)
        closed = None
        if measure_status == "已销号":
            closed = min(found + dt.timedelta(days=rng.randint(7, 150)), end)
            if rng.random() < 0.15:
                closed = f"{closed.year}.{closed.month}.{closed.day}"
        remarks = rng.choice(REMARKS) if rng.random() < 0.1 else None
        measures.append([text, rng.choice(people), deadline, measure_status, closed, remarks])
    return problem, measures


def write_merged_ledger(path: Path, rows: int) -> None:
    """Write the merged ledger, seeded and deterministic, in xlsxwriter's normal mode: every cell is held in
    memory until the file is closed (a peak of 470 MB and 12 s at 100,000 rows), as a merge down a column cannot
    be written row by row."""
    import xlsxwriter  # only the generator needs it

    rng = random.Random(SEED)
    units = list(HQ_DEPARTMENTS) + [p + s for p in PLACES for s in SUBSIDIARIES]
    people = [s + g for s in SURNAMES for g in GIVEN]
    sizes, runs = merged_layout(rows)
    tmp = path.with_name(path.stem + ".partial.xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(tmp))
    book.set_properties({"title": SHEET, "author": "纪委办公室", "company": COMPANY,
                         "comments": _stamp(rows, False, merged=True), "created": dt.datetime(2025, 4, 8, 9, 0)})
    title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    header = book.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True,
                              "bg_color": "#D9E1F2"})
    text = book.add_format({"valign": "vcenter", "text_wrap": True})
    date = book.add_format({"valign": "vcenter", "num_format": "yyyy-mm-dd"})
    sheet = _sheet_head(book, MERGED_HEADERS, (6, 16, 12, 14, 60, 18, 12, 10, 40, 10, 16, 10, 12, 16), 10, title,
                        header)

    def cell(first: int, last: int, col: int, value: object) -> None:
        fmt = date if isinstance(value, dt.date) else text
        if first < last:
            sheet.merge_range(first, col, last, col, "" if value is None else value, fmt)
        elif value is not None:
            sheet.write(first, col, value, fmt)

    r, i = 3, 0
    for run in runs:
        unit = rng.choice(units)
        cell(r, r + sum(sizes[i:i + run]) - 1, UNIT_COLUMN, unit)
        for size in sizes[i:i + run]:
            i += 1
            problem, measures = _merged_problem(i, size, unit, rng, people)
            for col, value in enumerate(problem):
                if col != UNIT_COLUMN:
                    cell(r, r + size - 1, col, value)
            for measure in measures:
                for col, value in enumerate(measure, PROBLEM_COLUMNS):
                    cell(r, r, col, value)
                r += 1
    _footer(sheet, r, f"共 {len(sizes)} 个问题、{rows} 项整改措施",
            "注：每个问题的整改措施分行填写，问题所在单元格向下合并；"
            "整改状态按未整改、整改中、已整改、已销号、长期整改填写；已销号的措施须填写销号时间。")
    book.close()
    os.replace(tmp, path)


def ensure_ledger(rows: int, shared: bool = False, merged: bool = False) -> tuple[Path, bool]:
    """The cached ledger for this row count and kind, written if missing or stale; whether it was reused."""
    path = ledger_path(rows, shared, merged)
    if path.exists() and _is_current(path, rows, shared, merged):
        return path, True
    if merged:
        write_merged_ledger(path, rows)
    else:
        write_ledger(path, rows, shared)
    return path, False


# --- the measured steps ---------------------------------------------------------------------------


def import_file(path: Path, db: Path) -> tuple[ParsedFile, ImportResult, float]:
    """One full import into a new database file; returns the parse, the result and the parse time. The parse is
    tuned as in the worker process the dashboard and the CLI parse in (worker.tuned); its transfer is not counted
    (bench_import_memory.py measures the worker)."""
    t0 = time.perf_counter()
    with tuned():
        parsed = parse_file(path.name, path.read_bytes())
    t_parse = time.perf_counter() - t0
    con = connect(db)
    try:
        result = store(con, parsed, scoring=scoring_config())
    finally:
        con.close()
    return parsed, result, t_parse


class Expected(NamedTuple):
    """What a clean import of a synthetic ledger takes: its table's rows, and the problems they make (as many, or
    fewer where measure rows continue a problem)."""

    rows: int
    problems: int


def expected(rows: int, merged: bool) -> Expected:
    return Expected(rows, len(merged_layout(rows)[0]) if merged else rows)


def checked_import(path: Path, db: Path, expect: Expected) -> tuple[float, float]:
    """One full import, checked to have taken every row: its seconds in all and in parse_file."""
    t0 = time.perf_counter()
    parsed, result, t_parse = import_file(path, db)
    total = time.perf_counter() - t0
    check_import(parsed, result, expect)
    return total, t_parse


def import_failure(parsed: ParsedFile, result: ImportResult, expect: Expected) -> str | None:
    """Why an import does not count, or None. Every synthetic row must import, as a problem or as a measure of
    the problem above it, and each problem once (all are new in a fresh database): a benchmark of rejected or
    partial imports means nothing. rows_valid may count either the rows or the problems they make."""
    if (result.outcome == "imported" and parsed.period == PERIOD and result.problems_new == expect.problems
            and parsed.rows_valid in (expect.rows, expect.problems)):
        return None
    lines = [f"outcome={result.outcome!r} ({result.message})",
             f"rows_valid={parsed.rows_valid}, rows_invalid={parsed.rows_invalid} of {expect.rows} rows; "
             f"problems_new={result.problems_new} of {expect.problems}; period={parsed.period}"]
    if parsed.issues:
        lines.append(f"first issue (of {len(parsed.issues)}): {parsed.issues[0].message()}")
    return "\n  ".join(lines)


def check_import(parsed: ParsedFile, result: ImportResult, expect: Expected) -> None:
    if why := import_failure(parsed, result, expect):
        raise SystemExit(f"the synthetic ledger did not import cleanly:\n  {why}")


def first_import(path: Path, db: Path, expect: Expected) -> str | None:
    """An untimed import before any measurement: None if the ledger imports cleanly, else what went wrong, so
    that a rejected import is reported rather than timed."""
    try:
        parsed, result, _ = import_file(path, db)
    except FileRejected as exc:  # nothing in the file could be read
        first = f"\n  first issue (of {len(exc.issues)}): {exc.issues[0].message()}" if exc.issues else ""
        return f"outcome='rejected' (FileRejected: parse_file found nothing it could import){first}"
    return import_failure(parsed, result, expect)


def time_in_turns(path: Path, expect: Expected | None, repeat: int, tmp: Path) -> dict[str, float]:
    """Seconds of the fastest of N runs of each step, an import, a raw parse and a pandas read taking turns; the
    import's split into parse_file and connect + store + close. No import (expect None) when it was rejected."""
    best = dict.fromkeys(("import", "parse", "store", "raw", "pandas"), math.inf)
    for n in range(repeat):
        if expect is not None:
            total, t_parse = checked_import(path, tmp / f"import_{n}.duckdb", expect)
            if total < best["import"]:
                best.update({"import": total, "parse": t_parse, "store": total - t_parse})
        best["raw"] = min(best["raw"], _seconds(lambda: raw_calamine(path)))
        best["pandas"] = min(best["pandas"], _seconds(lambda: pandas_openpyxl(path)))
    return best


def _seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def raw_calamine(path: Path) -> list[list]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()


def pandas_openpyxl(path: Path) -> object:
    import pandas as pd

    return pd.read_excel(path, engine="openpyxl")


# --- where the time goes -------------------------------------------------------------------------

# (label, module, function): each step's time is taken by a timer put around the function for the run
PHASES = (
    ("zip scan against the limits (reader._check_xlsx)", reader, "_check_xlsx"),
    ("reading the sheets (reader._read_workbook: fastexcel)", reader, "_read_workbook"),
    ("locate the tables (parse._find_layouts)", parse, "_find_layouts"),
    ("normalise, validate, group measures (parse._parse_sheet)", parse, "_parse_sheet"),
    ("backup before writing (backup.before_write)", ledger.backup, "before_write"),
    ("insert observations (ledger._store_problems)", ledger, "_store_problems"),
    ("derived tables (derived.refresh)", derived, "refresh"),
)


@contextlib.contextmanager
def _timed(times: dict[str, float]) -> Iterator[None]:
    """Timers around PHASES and around the import's COMMIT, for the duration of the block."""
    saved = [(module, name, getattr(module, name)) for _, module, name in PHASES]
    for (label, _, _), (module, name, fn) in zip(PHASES, saved, strict=True):
        setattr(module, name, _timer(times, label, fn))
    transaction = ledger.transaction
    ledger.transaction = _timed_commit(times, transaction)
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
        ledger.transaction = transaction


def _timer(times: dict[str, float], label: str, fn: Callable) -> Callable:
    def timed(*args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            times[label] = times.get(label, 0.0) + time.perf_counter() - t0
    return timed


def _timed_commit(times: dict[str, float], transaction: Callable) -> Callable:
    @contextlib.contextmanager
    def timed(con: object) -> Iterator[object]:
        with contextlib.ExitStack() as stack:
            stack.enter_context(transaction(con))
            yield con
            t0 = time.perf_counter()
            stack.close()  # the COMMIT
            times["commit (with its checkpoint)"] = time.perf_counter() - t0
    return timed


def time_phases(path: Path, expect: Expected, repeat: int, tmp: Path) -> dict[str, float]:
    """Each step's seconds in the fastest of N imports; what no timer covers is 'the rest'."""
    best: dict[str, float] = {"import": math.inf}
    for n in range(repeat):
        times: dict[str, float] = {}
        with _timed(times):  # check_import, inside, runs no timed step
            total, _ = checked_import(path, tmp / f"phases_{n}.duckdb", expect)
        if total < best["import"]:
            times["the rest (hashing, period, connect, close …)"] = total - sum(times.values())
            best = {"import": total, **times}
    return best


# --- peak memory ----------------------------------------------------------------------------------

# A process started from a large one inherits its peak RSS on Linux (exec records the old address
# space's high-water mark), so the measured child is started by a fresh, tiny Python and its peak
# read there with RUSAGE_CHILDREN, whatever this process has grown to by then.
_LAUNCHER = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_rss_mb(*child_args: str) -> float:
    """Peak RSS, in MB, of a fresh process running this script with --child *child_args."""
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, str(Path(__file__).resolve()), "--child", *child_args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the measured child failed:\n{done.stderr}")
    maxrss = int(done.stdout.split()[-1])  # KiB on Linux, bytes on macOS
    return maxrss / 1e6 if sys.platform == "darwin" else maxrss * 1024 / 1e6


def run_child(what: str, file: str | None, db: str | None, expect: Expected) -> None:
    """In the measured child: nothing more than the modules (baseline), or one import."""
    if what == "import":
        assert file and db
        parsed, result, _ = import_file(Path(file), Path(db))
        check_import(parsed, result, expect)


# --- report ---------------------------------------------------------------------------------------


def _line(label: str, value: str) -> str:
    return f"  {label:<52}{value:>10}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000,
                    help="problem rows in the synthetic ledger, measure rows with --merged (default 100000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measured step; the best counts (default 3)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    ap.add_argument("--phases", action="store_true", help="also show where the import's time goes")
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument("--shared-strings", action="store_true",
                      help="the ledger with a shared-string table, as Excel and WPS write it (default: inline strings)")
    kind.add_argument("--merged", action="store_true",
                      help="the ledger with vertical merges and 2–4 measure rows per problem (shared strings)")
    ap.add_argument("--child", choices=("baseline", "import"), help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        ap.error("--rows and --repeat must be at least 1")
    expect = expected(args.rows, args.merged)
    if args.child:
        run_child(args.child, args.file, args.db, expect)
        return 0

    t0 = time.perf_counter()
    path, reused = ensure_ledger(args.rows, args.shared_strings, args.merged)
    made = "reused" if reused else f"written in {time.perf_counter() - t0:.1f} s"
    print(f"Synthetic ledger: {path.relative_to(ROOT)}")
    size = f"{path.stat().st_size / 1e6:.1f} MB, {made}"
    if args.merged:
        print(f"  {args.rows:,} rows: {expect.problems:,} problems of 2–4 measure rows, their cells and 责任单位 "
              f"merged down; a shared-string table, {size}")
    else:
        strings = "a shared-string table" if args.shared_strings else "strings inline"
        print(f"  {args.rows:,} problem rows, {strings}, {size}")

    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp_name:
        tmp = Path(tmp_name)
        failure = first_import(path, tmp / "first.duckdb", expect)
        if failure:
            print(f"\nThe ledger did not import cleanly, so the import is not timed:\n  {failure}")
        else:
            rss_base = peak_rss_mb("baseline")
            rss_import = peak_rss_mb("import", "--file", str(path), "--db", str(tmp / "rss.duckdb"),
                                     "--rows", str(args.rows), *(["--merged"] if args.merged else []))
        times = time_in_turns(path, None if failure else expect, args.repeat, tmp)
        phases = time_phases(path, expect, args.repeat, tmp) if args.phases and not failure else None
    t_raw, t_pandas = times["raw"], times["pandas"]

    print(f"\nTime, best of {args.repeat} run(s) taking turns:")
    if not failure:
        print(_line("import (parse_file + store, fresh DuckDB file)", f"{times['import']:.2f} s"))
        print(_line("  of which parse_file (read + parse + validate)", f"{times['parse']:.2f} s"))
        print(_line("  of which connect + store + close", f"{times['store']:.2f} s"))
    print(_line("raw calamine parse (the floor)", f"{t_raw:.2f} s"))
    print(_line('pandas.read_excel(engine="openpyxl")', f"{t_pandas:.2f} s"))
    if phases:
        print(f"\nWhere the import's time goes (timers on; fastest of {args.repeat}: {phases['import']:.2f} s):")
        for label, seconds in phases.items():
            if label != "import":
                print(_line(label, f"{seconds:.2f} s"))
    if not failure:
        print("\nPeak RSS of a fresh child process:")
        print(_line("import (nothing subtracted)", f"{rss_import:.0f} MB"))
        print(_line("baseline: only imports the modules", f"{rss_base:.0f} MB"))

    goal_vs_raw = GOAL_MERGED_VS_RAW if args.merged else GOAL_IMPORT_VS_RAW
    goals: list[tuple[str, str, bool | None]]  # None: a figure printed beside the goals, not one of them
    if failure:
        goals = [("import / raw parse: the import failed", f"goal ≤ {goal_vs_raw:g}", False)]
    else:
        vs_raw = times["import"] / t_raw
        vs_pandas = t_pandas / times["import"]
        goals = [
            (f"import / raw parse = {vs_raw:.2f}x", f"goal ≤ {goal_vs_raw:g}", vs_raw <= goal_vs_raw),
            (f"pandas-openpyxl / import = {vs_pandas:.1f}x",
             "no goal for this ledger" if args.merged else f"goal ≥ {GOAL_PANDAS_VS_IMPORT:g}",
             None if args.merged else vs_pandas >= GOAL_PANDAS_VS_IMPORT),
            (f"import peak RSS = {rss_import:.0f} MB", f"goal < {GOAL_PEAK_MB:g} MB", rss_import < GOAL_PEAK_MB),
        ]
    print("\nGoals:")
    for text, goal, ok in goals:
        print(f"  {'    ' if ok is None else 'PASS' if ok else 'FAIL'}  {text:<40}({goal})")
    counted = [ok for _, _, ok in goals if ok is not None]
    print(f"\n{sum(counted)} of {len(counted)} goals met.")
    if failure:
        return 1  # no figure for the import: as before, a ledger that does not import is an error
    return 1 if args.check and not all(counted) else 0


if __name__ == "__main__":
    sys.exit(main())
