"""Analytics at scale: each page's queries warm, and a whole `summary --json` process, at 1M vs 10k problems.

The synthetic database holds N problems over 12 quarters and 200 units, each
listed in every quarterly ledger from the quarter it was found (cumulative
ledgers, as offices keep them), with statuses moving towards 已销号, some
reopened, some marked recurred, plus supervision lists and score sheets. It is
written straight into the `observations` table in SQL (the importer has its own
benchmark) and the derived tables are built by the real code (analytics.derived).

Goals (issue 3): every page's queries together under 300 ms warm at 1M; the 1M
summary process within 2× the 10k one. Prints figures and ratios; `--check` exits
1 when a goal is missed. Databases are cached under benchmarks/out/.

    .venv/bin/python benchmarks/bench_analytics.py [--problems 1000000] [--small 10000] [--repeat 5] [--check]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics import derived, views  # noqa: E402
from analytics.config import scoring_config  # noqa: E402
from analytics.db import connect  # noqa: E402
from analytics.metrics import ALL, available_periods  # noqa: E402
from analytics.scoring import unit_scores  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
QUARTERS = 12
FIRST_QUARTER = 2023 * 4  # 2023Q1
UNITS = 200
VERSION = 4  # bump when the generator changes, so cached databases are rebuilt

SOURCES = ["巡视巡察", "审计", "日常监督", "专项监督", "信访举报", "沟通会商", "自查自纠", "其他"]
CATEGORIES = ["政治建设", "党内政治生活", "选人用人", "作风建设", "政治纪律", "廉洁建设", "两个责任", "政治文化",
              "安全生产"]
SEVERITIES = ["一般", "一般", "一般", "较重", "严重"]
# descriptions are composed (30 × 25 × 20 combinations), so texts vary the way real ledgers do
SUBJECTS = ["第一议题学习", "中心组学习", "民主生活会", "组织生活会", "干部选拔任用", "公务用车管理", "业务招待",
            "物资采购", "工程结算", "合同管理", "财务报销", "津贴补贴发放", "档案管理", "信访件办理", "任前廉洁谈话",
            "三重一大决策", "制度修订", "承包商管理", "检斤计量", "库存盘点", "资产处置", "招标评标", "党费收缴",
            "意识形态工作", "廉洁文化教育", "一岗双责落实", "述责述廉", "巡察整改", "审计整改", "安全生产检查"]
FAULTS = ["落实不到位", "记录不完整", "程序不规范", "审核把关不严", "台账与实际不符", "未按期开展", "日常监督缺位",
          "存在廉洁风险", "整改敷衍应付", "制度执行不严", "责任划分不清", "痕迹资料缺失", "集体研究不充分",
          "公示不及时", "审批手续不全", "跟踪问效不够", "流于形式", "底数不清", "超标准列支", "未建立台账",
          "风险防控薄弱", "监督检查走过场", "问题反弹回潮", "签字确认缺失", "信息报送滞后"]
DETAILS = ["抽查发现多处问题", "上级检查中发现", "群众反映较多", "涉及多个班组", "连续两个季度出现",
           "金额较大", "涉及关键岗位人员", "基层执行偏差明显", "专项检查中暴露", "回头看中再次发现",
           "审计抽样中发现", "与上级规定不一致", "未形成闭环管理", "资料补录痕迹明显", "职工意见集中",
           "跨部门推诿扯皮", "制度执行打折扣", "日常管理松懈", "监督提醒后仍未改正", "整改成效不明显"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def build(path: Path, problems: int) -> float:
    """Write the synthetic database; returns the seconds it took."""
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    con = connect(path)
    con.execute(f"""
        CREATE TEMP TABLE p AS
        SELECT i AS problem_id,
               {FIRST_QUARTER} + (hash(i || ':1') % {QUARTERS})::INTEGER AS found_no,
               'U' || lpad(CAST(hash(i || ':2') % {UNITS} AS VARCHAR), 3, '0') AS unit,
               {_sql_list(SOURCES)}[1 + (hash(i || ':3') % {len(SOURCES)})::INTEGER] AS source,
               {_sql_list(CATEGORIES)}[1 + (hash(i || ':4') % {len(CATEGORIES)})::INTEGER] AS category,
               {_sql_list(SEVERITIES)}[1 + (hash(i || ':5') % {len(SEVERITIES)})::INTEGER] AS severity,
               {_sql_list(SUBJECTS)}[1 + (hash(i || ':6') % {len(SUBJECTS)})::INTEGER]
                   || {_sql_list(FAULTS)}[1 + (hash(i || ':9') % {len(FAULTS)})::INTEGER] || '，'
                   || {_sql_list(DETAILS)}[1 + (hash(i || ':10') % {len(DETAILS)})::INTEGER] AS description,
               1 + (hash(i || ':7') % 4)::INTEGER AS quarters_to_close,
               hash(i || ':8') % 100 AS luck
        FROM range(1, {problems} + 1) t(i)
    """)
    # one observation per problem per quarter from the one it was found in; status moves towards 已销号
    con.execute(f"""
        INSERT INTO observations BY NAME
        SELECT q - {FIRST_QUARTER} + 1 AS import_id, problem_id, q AS period_no, '台账' AS sheet,
               CAST(problem_id % 1000000 AS INTEGER) + 4 AS excel_row,
               left(md5(unit || '|' || source || '|' || description), 20) AS fingerprint,
               'P-' || problem_id AS problem_code, NULL AS seq, source, category, description, unit,
               '张三' AS owner, '' AS leader, '' AS measures, '' AS progress, '' AS remarks,
               CASE WHEN luck BETWEEN 15 AND 17 AND q - found_no = quarters_to_close + 1 THEN '整改中'  -- reopened
                    WHEN q - found_no >= quarters_to_close AND luck >= 15 THEN '已销号'
                    WHEN q - found_no >= quarters_to_close THEN '已整改'
                    WHEN q = found_no AND luck % 3 = 0 THEN '未启动'
                    WHEN luck % 17 = 0 THEN '长期整改'
                    ELSE '整改中' END AS status,
               severity,
               luck % 41 = 0 AS recurred_mark,
               make_date(CAST(found_no // 4 AS INTEGER), CAST(found_no % 4 * 3 + 1 AS INTEGER), 1)
                   + CAST(luck % 80 AS INTEGER) AS found_date,
               make_date(CAST(found_no // 4 AS INTEGER), CAST(found_no % 4 * 3 + 1 AS INTEGER), 1)
                   + CAST(60 + luck * 2 AS INTEGER) AS deadline,
               false AS no_deadline,
               CASE WHEN q - found_no >= quarters_to_close THEN
                   make_date(CAST(found_no // 4 AS INTEGER), CAST(found_no % 4 * 3 + 1 AS INTEGER), 1)
                   + CAST(40 + luck * 3 AS INTEGER) ELSE DATE '0001-01-01' END AS closed_date
        FROM p, range({FIRST_QUARTER}, {FIRST_QUARTER + QUARTERS}) r(q)
        WHERE q >= found_no
        ORDER BY q, problem_id
    """)
    con.execute(f"""
        INSERT INTO imports (import_id, file_name, sha256, kind, period, rows_valid, rows_invalid, rows_skipped,
                             imported_at)
        SELECT q - {FIRST_QUARTER} + 1, 'synthetic-' || q, md5(CAST(q AS VARCHAR)), 'problems',
               CAST(q // 4 AS VARCHAR) || 'Q' || CAST(q % 4 + 1 AS VARCHAR), 0, 0, 0, now()
        FROM range({FIRST_QUARTER}, {FIRST_QUARTER + QUARTERS}) r(q)
    """)
    con.execute(f"""
        INSERT INTO tasks
        SELECT 1, q, '清单', m + 3, md5(CAST(m AS VARCHAR)), CAST(m AS VARCHAR), '方面' || (m % 11),
               '措施' || m, '要求', 'U' || lpad(CAST(m % {UNITS} AS VARCHAR), 3, '0'),
               CASE WHEN m % 3 = 0 THEN '每季度' END, NULL, '', (hash(m, q) % 3) > 0, ''
        FROM range({FIRST_QUARTER}, {FIRST_QUARTER + QUARTERS}) r(q), range(27) s(m)
    """)
    con.execute(f"""
        INSERT INTO assessments
        SELECT 1, q, '评分表', u + 2, 'U' || lpad(CAST(u AS VARCHAR), 3, '0'), d, 60 + hash(u, d, q) % 41, '纪委评价'
        FROM range({FIRST_QUARTER + 1}, {FIRST_QUARTER + QUARTERS}, 2) r(q), range({UNITS}) s(u),
             (SELECT unnest(['加强党的政治建设', '严肃党内政治生活', '突出政治标准选人用人', '加强干部作风建设',
                             '严明政治纪律和政治规矩', '惩治腐败与廉洁建设', '落实管党治党两个责任',
                             '培育积极健康的党内政治文化']) AS d)
    """)
    con.execute("UPDATE meta SET value = ? WHERE key = 'last_problem_id'", [str(problems)])
    con.execute("UPDATE meta SET value = ? WHERE key = 'last_import_id'", [str(QUARTERS)])
    con.execute("INSERT OR REPLACE INTO meta VALUES ('bench_version', ?)", [str(VERSION)])
    derived.bring_up_to_date(con, scoring_config())
    con.execute("CHECKPOINT")
    con.close()
    return time.perf_counter() - started


def database(problems: int) -> Path:
    """The cached synthetic database for this size, built if missing or stale; stale derived tables (older code,
    another configuration) are rebuilt as the app would (derived.ensure)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"analytics_{problems}.duckdb"
    if path.exists():
        con = connect(path, read_only=True)
        row = con.execute("SELECT value FROM meta WHERE key = 'bench_version'").fetchone()
        con.close()
        if row and row[0] == str(VERSION):
            started = time.perf_counter()
            derived.ensure(path, scoring_config())
            if time.perf_counter() - started > 1:
                print(f"  rebuilt the derived tables of {path.name} in {time.perf_counter() - started:.1f} s")
            return path
    seconds = build(path, problems)
    print(f"  built {path.name} in {seconds:.1f} s")
    return path


def page_calls(con) -> dict:
    """Each page's data function with the arguments the page passes by default (latest quarter, no filter)."""
    period, cfg = available_periods(con)[-1], scoring_config()
    worst = unit_scores(con, period, cfg=cfg).sort_values("score").iloc[0]["unit"]
    return {
        "总览": lambda: views.overview(con, period, ALL, cfg=cfg),
        "问题趋势": lambda: views.problem_trends(con, period, ALL),
        "整改销号": lambda: views.rectification(con, period, ALL, cfg=cfg),
        "八维评分": lambda: views.scores(con, period, ALL, cfg=cfg),
        "单位画像": lambda: views.unit_portrait(con, period, worst, ALL, cfg=cfg),
        "监督清单": lambda: views.supervision(con, period),
        "预警督办": lambda: views.follow_up(con, period, ALL, cfg=cfg),
    }


def time_pages(path: Path, repeat: int) -> dict[str, float]:
    con = connect(path, read_only=True)
    timings = {}
    for name, call in page_calls(con).items():
        call()  # warm: DuckDB's buffers, Python imports
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            runs.append(time.perf_counter() - started)
        timings[name] = min(runs)
    con.close()
    return timings


def time_summary_process(path: Path, repeat: int) -> float:
    command = [sys.executable, "-m", "analytics", "summary", "--json", "--db", str(path)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # warm the OS file cache
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    big, small = database(args.problems), database(args.small)
    con = connect(big, read_only=True)
    rows = con.execute("SELECT count(*) FROM problem_state").fetchone()[0]
    con.close()
    print(f"Synthetic data: {args.problems:,} problems, {QUARTERS} quarters, {UNITS} units "
          f"({rows:,} problem × quarter rows)\n")

    print(f"Each page's queries, warm, best of {args.repeat} ({args.problems:,} problems):")
    timings = time_pages(big, args.repeat)
    for name, seconds in timings.items():
        print(f"  {name:<6} {seconds * 1000:8.1f} ms")
    total = sum(timings.values())
    print(f"  {'合计':<6} {total * 1000:8.1f} ms\n")

    print(f"A whole `summary --json` process, median of {args.repeat}:")
    t_big, t_small = time_summary_process(big, args.repeat), time_summary_process(small, args.repeat)
    print(f"  {args.problems:>9,} problems  {t_big:6.2f} s")
    print(f"  {args.small:>9,} problems  {t_small:6.2f} s\n")

    goals = [(total < 0.300, f"all pages' queries together = {total * 1000:.0f} ms (goal < 300 ms)"),
             (t_big <= 2 * t_small, f"summary process 1M / 10k = {t_big / t_small:.2f}x (goal ≤ 2x)")]
    print("Goals:")
    for ok, text in goals:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return 1 if args.check and not all(ok for ok, _ in goals) else 0


if __name__ == "__main__":
    raise SystemExit(main())
