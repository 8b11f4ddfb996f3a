"""The command line, for people and for scheduled jobs: import, summary, imports, undo, export, report (研判报告),
backups, restore, users (accounts), audit (the audit trail), profiles (ledger mappings) and categories; health,
backup and archive for running it as a service (cli_ops); org (组织架构: cli_org), notices (督办文书: cli_notices),
workbooks (the units' update workbooks: cli_workbooks).

Whoever runs it holds the database file itself, so it acts with every permission (access.operator), and
its imports, undos, exports, restores and account changes are recorded in the audit trail like the app's.

Messages are Chinese; exit status is 0 on success, 1 when a file was
rejected or a command failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import re
import sys
from pathlib import Path

from analytics import (
    actions,
    audit,
    backup,
    cli_notices,
    cli_ops,
    cli_org,
    cli_workbooks,
    derived,
    export,
    org,
    org_import,
    profiles,
)
from analytics.access import ROLES, operator
from analytics.config import (
    FIELD_LABELS,
    STATUSES,
    database_path,
    keep_files_private,
    ledger_config,
    scoring_config,
    users_path,
)
from analytics.db import open_db
from analytics.errors import DashboardError, FileRejected
from analytics.ingest import answers as asked
from analytics.ingest.answers import IGNORE, Answers, Question, column_key
from analytics.ingest.parse import ParsedFile
from analytics.ingest.reader import check_file_size
from analytics.ingest.worker import parse_in_worker
from analytics.metrics import Scope
from analytics.periods import Period, find_periods, parse_period
from analytics.summary import summary
from analytics.users import UserStore, demo_accounts
from analytics.workbooks import marker as workbook_marker


def _period_arg(text: str) -> Period:
    try:
        return parse_period(text)
    except DashboardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="政治生态分析研判看板：台账导入与统计")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", type=Path, default=None,
                       help="数据库文件（默认 $DASHBOARD_DB 或 data/dashboard.duckdb）")
        return p

    imp = with_db(sub.add_parser("import", help="导入台账文件（xlsx/xlsm/xls/csv），多个文件按文件名中的季度先后导入"))
    imp.add_argument("--period", type=_period_arg, help="期间，如 2025Q1（不指定则从文件名或标题识别）")
    imp.add_argument("--skip-invalid", action="store_true",
                     help="只导入有效行，列出有错误的行（舍弃的问题不计入该期统计，该期数据不完整）")
    imp.add_argument("--map", action="append", default=[], metavar="列名=字段",
                     help="把一列对应到字段，如 --map 当前状态=status（字段名或中文名均可；=ignore 表示不导入该列）")
    imp.add_argument("--status", action="append", default=[], metavar="写法=状态",
                     help="一种状态写法的含义，如 --status 滞后=整改中（五种状态之一）")
    imp.add_argument("--source", help="没有写明来源的问题的来源，如 --source 巡视巡察")
    imp.add_argument("--company", help="台账所属公司（组织架构中的公司名或别名；不指定则从文件名、标题识别，"
                                       "只有一个公司时即为该公司）")
    imp.add_argument("--add-units", action="store_true",
                     help="台账中不在组织架构里的责任单位，新增到所属公司之下（不指定则列出这些单位并拒绝导入）")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")

    summ = with_db(sub.add_parser("summary", help="某期间的统计数字"))
    summ.add_argument("--period", type=_period_arg, help="期间，默认最新")
    summ.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    summ.add_argument("--company", help="只统计这个公司（组织架构中的公司名）")
    summ.add_argument("--unit", help="只统计这个单位及其下级（组织架构中的单位路径或名称，如 甲公司/海口分公司）；"
                                     "by_unit 为它的下级单位")
    summ.add_argument("--units", help="只含这些单位，用逗号分隔（默认全公司）")

    imps = with_db(sub.add_parser("imports", help="导入记录"))
    imps.add_argument("--json", action="store_true", help="输出 JSON")

    und = with_db(sub.add_parser("undo", help="撤销一次导入"))
    und.add_argument("import_id", type=int, metavar="ID")

    exp = with_db(sub.add_parser("export", help="导出某期间的快照（供纪委会、党委会等会议使用），并记入快照记录"))
    exp.add_argument("--period", required=True, help="期间，如 2025Q2")
    exp.add_argument("--units", help="只含这些单位，用逗号分隔，如 采购部,物流部（默认全公司）")
    exp.add_argument("--format", required=True, choices=list(export.FORMATS), dest="fmt", help="导出格式")
    exp.add_argument("--out", required=True, type=Path, metavar="FILE", help="输出文件")
    exp.add_argument("--mask-names", action="store_true", help="责任人姓名脱敏（张三 → 张*），用于更大范围传阅")

    rep = with_db(sub.add_parser("report", help="生成政治生态分析研判报告（Word，公文格式），或单位画像报告、月通报，"
                                                 "并记入快照记录"))
    rep.add_argument("--period", help="季度，如 2025Q2（研判报告、画像报告；默认最新）")
    rep.add_argument("--units", help="只含这些单位，用逗号分隔（默认全公司）")
    rep.add_argument("--unit", help="生成这个单位的画像报告")
    rep.add_argument("--month", help="生成截至该月末的月通报，如 2025-05")
    rep.add_argument("--out", required=True, type=Path, metavar="FILE", help="输出文件（.docx）")

    with_db(sub.add_parser("backups", help="列出数据库备份（每次导入、撤销、恢复之前自动备份）"))
    res = with_db(sub.add_parser("restore", help="用一个备份替换数据库（先备份当前数据库；数据库正被使用时拒绝）"))
    res.add_argument("backup", metavar="BACKUP", help="备份：backups 列出的序号（1 为最新）、文件名或路径")

    users = with_db(sub.add_parser("users", help="账户管理（账户文件：$DASHBOARD_USERS）；--db 决定记入哪个审计日志"))
    users_sub = users.add_subparsers(dest="users_command", required=True)
    users_sub.add_parser("list", help="列出账户")
    add = users_sub.add_parser("add", help="新增账户（密码从标准输入读取，或交互输入）")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--unit", help="所在单位（部门负责人必填；其他角色指定后只能查看该单位及其下级）")
    passwd = users_sub.add_parser("passwd", help="重置密码")
    passwd.add_argument("name", metavar="NAME")
    role = users_sub.add_parser("role", help="变更角色")
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--unit", help="所在单位（部门负责人必填；其他角色指定后只能查看该单位及其下级）")
    remove = users_sub.add_parser("remove", help="删除账户")
    remove.add_argument("name", metavar="NAME")
    users_sub.add_parser("demo", help="账户文件为空时创建演示账号 demo（纪委书记）和 demo-head（部门负责人）")

    prof = with_db(sub.add_parser("profiles", help="台账映射方案：导入时回答过的列、状态写法和来源，按表头格式保存"))
    prof.add_argument("--json", action="store_true", help="输出 JSON")
    prof.add_argument("--delete", metavar="KEY", help="删除一个映射方案（KEY 为列出的编号）")

    cats = with_db(sub.add_parser("categories", help="未归类的问题类别，及指定其所属维度"))
    cats.add_argument("--assign", nargs=2, metavar=("类别", "维度"), help="把一个问题类别归入一个维度")

    aud = with_db(sub.add_parser("audit", help="查看、导出或校验审计日志"))
    aud.add_argument("--out", type=Path, metavar="FILE", help="导出到文件（.csv 或 .xlsx）")
    aud.add_argument("--verify", action="store_true", help="只做完整性检查：有改动时以状态 1 退出")
    cli_ops.add_commands(sub, with_db)
    cli_org.add_commands(sub, with_db)
    cli_notices.add_commands(sub, with_db)
    cli_workbooks.add_commands(sub, with_db)
    return parser


def _print_issues(issues: list, limit: int = 200) -> None:
    for issue in issues[:limit]:
        print(f"  - {issue.message()}")
    if len(issues) > limit:
        print(f"  … 另有 {len(issues) - limit} 处错误未列出")


def in_quarter_order(paths: list[Path]) -> list[Path]:
    """Files in the order of the quarter their names carry (a glob sorts 第三季度 before 第二季度); others last."""
    def order(path: Path) -> tuple:
        found = find_periods(path.stem)
        return (0, min(found).index) if len(found) == 1 else (1, 0)

    return sorted(paths, key=order)


_FIELD_NAMES = {**{label: f for f, label in FIELD_LABELS.items()}, **{f: f for f in FIELD_LABELS},
                "忽略": IGNORE, "不导入": IGNORE, IGNORE: IGNORE}
_EXAMPLES = {"--map": "--map 当前状态=status", "--status": "--status 滞后=整改中"}


def _pairs(given: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for text in given:
        left, sep, right = text.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise DashboardError(f"{option} 应写成 左=右，如 {_EXAMPLES[option]}（收到「{text}」）")
        pairs.append((left.strip(), right.strip()))
    return pairs


def command_answers(args: argparse.Namespace) -> Answers:
    """--map, --status and --source as answers, checked."""
    cfg = ledger_config()
    problem_fields = set(cfg.aliases["problems"].values())
    columns = {}
    for header, fld in _pairs(args.map, "--map"):
        name = _FIELD_NAMES.get(fld)
        if name is None or (name != IGNORE and name not in problem_fields):
            choices = "、".join(f"{f}（{FIELD_LABELS.get(f, f)}）" for f in sorted(problem_fields))
            raise DashboardError(f"--map {header}={fld}：未知的字段「{fld}」，可选 {choices} 或 ignore")
        columns[column_key(header)] = name
    statuses = {}
    for word, status in _pairs(args.status, "--status"):
        if status not in STATUSES:
            raise DashboardError(f"--status {word}={status}：状态应为 {'/'.join(STATUSES)} 之一")
        statuses[word] = status
    source = args.source.strip() if args.source else None
    if source is not None and source not in cfg.source_names:
        raise DashboardError(f"--source {source}：来源应为 {'/'.join(cfg.source_names)} 之一")
    return Answers(columns, statuses, source)


def question_text(q: Question, parsed: ParsedFile) -> str:
    """A question as the command line asks it: what is unclear and the option that answers it."""
    sheet = f"工作表「{q.sheet}」"
    if q.kind == asked.MISSING:
        label = FIELD_LABELS.get(q.subject, q.subject)
        layout = next(s.layout for s in parsed.sheets if s.name == q.sheet)
        spare = "、".join(layout.unmapped) or "无"
        return f"{sheet}找不到「{label}」列：请指明哪一列是{label}，如 --map 列名={q.subject}（未识别的列：{spare}）"
    if q.kind == asked.STATUS:
        return (f"{sheet}的整改状态「{q.subject}」无法识别：请指明它的含义，如 --status {q.subject}=整改中"
                f"（{'/'.join(STATUSES)}）")
    if q.kind == asked.SOURCE:
        return (f"{sheet}有 {q.rows} 行没有问题来源，标题和文件名也未写明：请用 --source 指定"
                f"（{'/'.join(ledger_config().source_names)}）")
    if q.kind == asked.CATEGORY:
        return (f"{sheet}的问题类别「{q.subject}」（{q.rows} 个问题）未对应到任何维度，暂计入未归类：导入后可用 "
                f"python -m analytics categories --assign {q.subject} 维度名 归类")
    return f"{sheet}的「{q.subject}」列未导入：如需导入，用 --map {q.subject}=字段名；不需要则 --map {q.subject}=ignore"


def cmd_import(args: argparse.Namespace) -> int:
    failed, who, scoring = 0, operator(), scoring_config()
    given = command_answers(args)
    for path in in_quarter_order(args.files):
        data = None
        try:
            check_file_size(path.name, path.stat().st_size, ledger_config().limits)  # before reading it
            data = path.read_bytes()
            # parsed before the database is held for writing: the dashboard's readers do not wait on a parse
            parsed = parse_in_worker(path.name, data, args.period, saved=profiles.saved_in(args.db), given=given,
                                     scoring=scoring)
            for q in parsed.questions:
                print(f"{'?' if q.blocking else '·'} {path.name}：{question_text(q, parsed)}")
            workbook = workbook_marker.read(data)
            with open_db(args.db) as con:
                company, how, unknown = actions.import_place(con, who, parsed, args.company)
                if company is not None and how != "指定":
                    print(f"· {path.name}：所属公司 {company}（依据：{how}）")
                for q in unknown:
                    print(f"{'·' if args.add_units else '?'} {path.name}：{org_import.question_text(q, company or '')}"
                          + ("，将新增到公司之下" if args.add_units else ""))
                for line in cli_workbooks.describe_return(con, parsed, workbook):
                    print(line)
                result = actions.import_file(con, who, parsed, args.skip_invalid, cfg=scoring, company=args.company,
                                             add_units=args.add_units, workbook=workbook)
                remembered = result.outcome == "imported" and actions.remember_answers(con, who, parsed)
        except FileNotFoundError:
            print(f"✗ {path}：文件不存在")
            failed += 1
            continue
        except IsADirectoryError:
            print(f"✗ {path}：这是一个文件夹，不是文件")
            failed += 1
            continue
        except FileRejected as exc:
            actions.refused_file(args.db, who, path.name, data and hashlib.sha256(data).hexdigest(),
                                 exc.issues[0].reason if exc.issues else str(exc))
            print(f"✗ {path.name}：未导入")
            _print_issues(exc.issues)
            failed += 1
            continue
        mark = {"imported": "✓", "duplicate": "=", "rejected": "✗"}[result.outcome]
        print(f"{mark} {path.name}：{result.message}")
        if result.issues:
            _print_issues(result.issues)
        if parsed.period is None:
            print("  用 --period 指定所属期间，如 --period 2024Q3")
        if remembered:
            print("  已保存映射方案：同一格式的台账下次导入时不再询问（python -m analytics profiles）")
        failed += not result.ok
    return 1 if failed else 0


def cmd_profiles(args: argparse.Namespace) -> int:
    if args.delete:
        with open_db(args.db) as con:
            if not actions.delete_profile(con, operator(), args.delete):
                raise DashboardError(f"没有编号为 {args.delete} 的映射方案")
        print(f"✓ 已删除映射方案 {args.delete}")
        return 0
    with open_db(args.db, read_only=True) as con:
        frame = actions.ledger_profiles(con, operator())
    if args.json:
        return _print_records(frame)
    if frame.empty:
        print("还没有映射方案：导入时回答过的问题会按表头格式保存在这里")
    for r in frame.itertuples():
        print(f"{r.layout_key}  {r.name}  （{r.updated_by or '—'} {r.updated_at:%Y-%m-%d %H:%M}）")
        for header, fld in r.answers["columns"].items():
            print(f"    列「{header}」→ {'不导入' if fld == IGNORE else FIELD_LABELS.get(fld, fld)}")
        for word, status in r.answers["statuses"].items():
            print(f"    状态「{word}」→ {status}")
        if r.answers.get("source"):
            print(f"    来源 → {r.answers['source']}")
    return 0


def cmd_categories(args: argparse.Namespace) -> int:
    scoring = scoring_config()
    if args.assign:
        category, dimension = args.assign
        with open_db(args.db) as con:
            try:
                actions.assign_category(con, operator(), category, dimension, scoring)
            except ValueError as exc:
                raise DashboardError(f"{exc}，可选：{'、'.join(scoring.dimension_names)}") from None
        print(f"✓ 问题类别「{category}」归入「{dimension}」")
        return 0
    with derived.reading(args.db, scoring) as con:  # category_map as the dimensions configured now make it
        frame = profiles.unclassified_categories(con, scoring.unclassified)
    if frame.empty:
        print("没有未归类的问题类别")
    for r in frame.itertuples():
        print(f"  {r.category}：{r.problems} 个问题（用 --assign {r.category} 维度名 归类）")
    return 0


def _node_scope(con, company: str | None, unit: str | None) -> Scope:
    """--company / --unit as a scope of that node's subtree (refused, naming the choices, when there is no such)."""
    if not (company or unit):
        return Scope()
    register = org.load(con)
    keys = org.known_units(con, register)
    if company and company not in register.companies:
        raise DashboardError(f"组织架构中没有公司「{company}」" + (
            f"，可选：{'、'.join(register.companies)}" if register.companies else "（还没有组织架构）"))
    text = org.SEP.join(p for p in re.split(r"\s*[/›>]\s*", unit) if p) if unit else company
    if unit and company and not text.startswith(company + org.SEP) and text != company:
        text = company + org.SEP + text
    node = org.resolve_node(register, keys, text)
    if node is None:
        raise DashboardError(f"找不到单位「{unit}」（用 python -m analytics org list 查看组织架构中的单位）")
    return actions.scoped(con, operator(), Scope(units=(node,)))


def _summary_scope(con, args: argparse.Namespace) -> Scope:
    """--company / --unit (a node of the 组织架构), or --units (several, each with what is under it)."""
    if args.company or args.unit:
        return _node_scope(con, args.company, args.unit)
    return actions.scoped(con, operator(), Scope(units=_units_arg(args.units))) if args.units else Scope()


def cmd_summary(args: argparse.Namespace) -> int:
    scoring = scoring_config()
    with derived.reading(args.db, scoring) as con:  # never writes: a scheduled summary may run beside anything
        data = summary(con, args.period, _summary_scope(con, args), cfg=scoring)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(f"{data['period']}（截至 {data['as_of']}）")
    labels = {"total": "问题总数", "new": "本期新增", "closed": "已销号", "completed": "已完成整改", "open": "未完成",
              "overdue": "逾期", "recurred": "复发", "closure_rate": "销号率", "completion_rate": "整改完成率",
              "on_time_rate": "按期整改率"}
    for k, label in labels.items():
        v = data[k]
        print(f"  {label}：{'—' if v is None else (f'{v:.1%}' if k.endswith('rate') else v)}")
    return 0


def _print_records(frame) -> int:
    """--json: the rows as a JSON list of objects (dates ISO), for scheduled jobs."""
    print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
    return 0


def cmd_imports(args: argparse.Namespace) -> int:
    with open_db(args.db, read_only=True) as con:
        frame = actions.imports(con, operator())
    if args.json:
        return _print_records(frame)
    if frame.empty:
        print("还没有导入记录")
    for r in frame.itertuples():
        undone = r.undone_at is not None and str(r.undone_at) != "NaT"
        state = f"已撤销 {r.undone_at:%Y-%m-%d %H:%M}" if undone else "有效"
        print(f"#{r.import_id}  {r.imported_at:%Y-%m-%d %H:%M}  {r.period}  {r.file_name}  "
              f"{r.kind}  有效行 {r.rows_valid}  新增 {r.problems_new}  更新 {r.problems_updated}  {state}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    with open_db(args.db) as con:
        print(actions.undo(con, operator(), args.import_id, cfg=scoring_config()))
    return 0


def _units_arg(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    units = tuple(dict.fromkeys(u.strip() for u in re.split(r"[,，、]", text) if u.strip()))
    if not units:
        raise DashboardError("--units 没有给出单位名称")
    return units


def cmd_export(args: argparse.Namespace) -> int:
    period = parse_period(args.period)  # parsed here, not by argparse: a bad period exits 1 like an unknown one
    scope, scoring = Scope(units=_units_arg(args.units)), scoring_config()
    derived.ensure(args.db, scoring)
    # build read-only, then hold the file for writing only as long as recording takes (a PDF takes seconds)
    with open_db(args.db, read_only=True) as con:
        snapshot, content = actions.export(con, operator(), period, scope, args.fmt, cfg=scoring,
                                           mask_names=args.mask_names)
    cli_ops.write_out(args.out, content)
    with open_db(args.db) as con:
        snapshot_id, _ = actions.record_export(con, operator(), snapshot, args.fmt, content, args.out.name)
    print(f"✓ 已导出 {args.out}（{snapshot.title}，{snapshot.scope_label}，{len(content) / 1024:.1f} KB）")
    print(f"  快照记录 #{snapshot_id}，数据版本 {snapshot.data_version[:16]}…")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.unit and args.month:
        raise DashboardError("--unit 与 --month 只能选一个")
    kind = "month" if args.month else "unit" if args.unit else "quarter"
    period = parse_period(args.period) if args.period else None
    scope, scoring = Scope(units=_units_arg(args.units)), scoring_config()
    derived.ensure(args.db, scoring)
    with open_db(args.db, read_only=True) as con:
        built, content = actions.report(con, operator(), kind, period, scope, cfg=scoring, unit=args.unit,
                                        month=args.month)
    cli_ops.write_out(args.out, content)
    with open_db(args.db) as con:
        record_id, _ = actions.record_report(con, operator(), built, content, args.out.name)
    print(f"✓ 已生成 {args.out}（{built.title}，{built.scope_label}，{len(content) / 1024:.1f} KB）")
    print(f"  快照记录 #{record_id}，数据版本 {built.data_version[:16]}…")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    found = backup.list_backups(args.db)
    if not found:
        print(f"还没有备份（{backup.folder(args.db)}）")
        return 0
    print(f"备份文件夹：{backup.folder(args.db)}")
    for number, b in enumerate(found, 1):
        size = f"{b.size / 1024 / 1024:,.1f} MB"
        print(f"{number:>3}  {b.taken_at:%Y-%m-%d %H:%M:%S}  {size:>9}  {b.reason}  {b.path.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    message = backup.restore(args.db, args.backup)
    audit.record(args.db, operator(), "restore", backup=str(args.backup), result=message)
    print(f"✓ {message}")
    return 0


def _new_password(name: str) -> str:
    """A password from the terminal (asked twice), or the first line of standard input for scripts."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"{name} 的新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise DashboardError("两次输入的密码不一致")
    return first


def _demo_unit(db: Path) -> str | None:
    """The unit the demo department head belongs to: the one with most problems."""
    if not Path(db).exists():
        return None
    with open_db(db, read_only=True) as con:
        row = con.execute("SELECT unit FROM problem_state WHERE unit IS NOT NULL GROUP BY unit "
                          "ORDER BY count(DISTINCT problem_id) DESC, unit LIMIT 1").fetchone()
    return row[0] if row else None


def cmd_users(args: argparse.Namespace) -> int:
    store, who = UserStore(users_path()), operator()
    command = args.users_command
    if command == "list":
        accounts = store.accounts()
        print(f"账户文件：{store.path}（{len(accounts)} 个账户）")
        for a in accounts.values():
            print(f"  {a.name}  {a.role}{'：' + a.unit if a.unit else ''}{'  （演示账号）' if a.demo else ''}")
    elif command == "add":
        actions.add_user(args.db, store, who, args.name, args.role, _new_password(args.name), args.unit)
        print(f"✓ 已新增 {args.name}（{args.role}）")
    elif command == "passwd":
        actions.reset_password(args.db, store, who, args.name, _new_password(args.name))
        print(f"✓ 已重置 {args.name} 的密码")
    elif command == "role":
        actions.change_role(args.db, store, who, args.name, args.role, args.unit)
        print(f"✓ {args.name} 现为 {args.role}")
    elif command == "remove":
        actions.remove_user(args.db, store, who, args.name)
        print(f"✓ 已删除 {args.name}")
    else:
        made = demo_accounts(store, _demo_unit(args.db))
        for name in made:
            audit.record(args.db, who, "user_add", account=name, new_role=store.get(name).role, demo=True)
        print(f"✓ 已创建演示账号：{'、'.join(made)}（{store.path}）" if made else
              f"账户文件已有账户，未创建演示账号（{store.path}）")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    found = audit.check(args.db)
    problems = found.problems
    if args.verify:
        for p in problems:
            print(f"✗ {p}")
        for note in found.notes:
            print(f"· {note}")
        print("✓ 审计日志完整" if not problems else f"审计日志有 {len(problems)} 处问题")
        return 1 if problems else 0
    if args.out:
        fmt = args.out.suffix.lower().lstrip(".")
        content = actions.audit_export(args.db, operator(), fmt)
        try:
            args.out.write_bytes(content)
        except OSError as exc:
            raise DashboardError(f"无法写入 {args.out}：{exc.strerror or exc}") from exc
        print(f"✓ 已导出审计日志 {args.out}")
        return 0
    frame = actions.audit_log(args.db, operator())
    for r in frame.itertuples():
        print(f"{r.seq:>6}  {r.at}  {r.who}（{r.role}）  {r.action_label}  {r.outcome}  {r.details}")
    if problems:
        print(f"✗ 完整性检查：{'；'.join(problems)}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    keep_files_private()
    args = build_parser().parse_args(argv)
    if warning := UserStore(users_path()).exposure():
        print(f"警告：{warning}", file=sys.stderr)
    args.db = args.db or database_path()
    try:
        command = {"import": cmd_import, "summary": cmd_summary, "imports": cmd_imports, "undo": cmd_undo,
                   "export": cmd_export, "report": cmd_report, "backups": cmd_backups, "restore": cmd_restore,
                   "users": cmd_users, "audit": cmd_audit, "profiles": cmd_profiles, "categories": cmd_categories,
                   **cli_ops.COMMANDS, **cli_org.COMMANDS, **cli_notices.COMMANDS, **cli_workbooks.COMMANDS}
        # a scheduled summary should not write; audit and health only read
        if args.command not in ("summary", "audit", *cli_ops.READ_ONLY):
            audit.note_config_changes(args.db, operator())
        return command[args.command](args)
    except FileNotFoundError as exc:
        print(f"错误：找不到数据库 {exc}，请先导入台账", file=sys.stderr)
        return 1
    except DashboardError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
