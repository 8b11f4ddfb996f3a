"""The commands that run the dashboard as a service: ``health`` (for monitoring), ``backup --to`` (the nightly copy
to another disk) and ``archive`` (the monthly snapshot into a folder). Each exits 0 on success and 1 on failure,
for scheduled jobs (deploy/); ``analytics.cli`` adds them to its parser.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from analytics import actions, audit, derived, export, health, offsite
from analytics.access import operator
from analytics.config import scoring_config, users_path
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.metrics import ALL

READ_ONLY = ("health",)  # commands that write nothing, not even the audit trail's configuration entries


def write_out(path: Path, content: bytes) -> None:
    """A file a command made, written where it was asked for; a refusal said in Chinese."""
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise DashboardError(f"无法写入 {path}：{exc.strerror or exc}") from exc


def add_commands(sub: argparse._SubParsersAction,
                 with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    heal = with_db(sub.add_parser("health", help="健康检查：数据库能否打开、审计日志是否完整（异常时以状态 1 退出）"))
    heal.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    back = with_db(sub.add_parser("backup", help="把数据库、审计日志和账户文件复制到另一文件夹（另一块磁盘），"
                                                 "按日期各成一份，只保留最近几份"))
    back.add_argument("--to", required=True, type=Path, metavar="DIR", help="备份文件夹，如另一块磁盘上的 /mnt/backup")
    back.add_argument("--keep", type=int, default=7, metavar="N", help="保留最近几份（默认 7）")

    arch = with_db(sub.add_parser("archive", help="把某期间的快照导出到文件夹（文件名带生成日期），并记入快照记录"))
    arch.add_argument("--to", required=True, type=Path, metavar="DIR", help="输出文件夹")
    arch.add_argument("--period", help="期间，如 2025Q2（默认最新一期）")
    arch.add_argument("--format", action="append", choices=list(export.FORMATS), dest="formats",
                      help="导出格式，可重复（默认 xlsx）")
    arch.add_argument("--mask-names", action="store_true", help="责任人姓名脱敏（张三 → 张*）")


def cmd_health(args: argparse.Namespace) -> int:
    found = health.check(args.db)
    print(health.to_json(found) if args.json else health.report(found))
    return 0 if found.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    made = offsite.take(args.db, args.to, args.keep, users_path())
    # a copy of everything left the data folder: recorded like any download
    audit.record(args.db, operator(), "backup", to=str(made.path), files=list(made.files), size=made.size,
                 removed=list(made.removed))
    print(f"✓ 已备份到 {made.path}（{'、'.join(made.files)}，共 {made.size / 1024 / 1024:,.1f} MB）")
    if made.removed:
        print(f"  保留最近 {args.keep} 份，删除了 {len(made.removed)} 份较早的备份：{'、'.join(made.removed)}")
    if offsite.same_disk(args.db, args.to):
        print("· 备份文件夹与数据库在同一文件系统上：磁盘损坏时两者会一起丢失，宜改用另一块磁盘")
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    if not Path(args.db).is_file():
        raise DashboardError(f"找不到数据库 {args.db}，请先导入台账")
    try:
        args.to.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DashboardError(f"无法建立文件夹 {args.to}（{exc.strerror or exc}）") from exc
    scoring = scoring_config()  # read once here, at the edge, and passed down
    derived.ensure(args.db, scoring)
    for fmt in dict.fromkeys(args.formats or ["xlsx"]):
        with open_db(args.db, read_only=True) as con:
            snapshot, content = actions.export(con, operator(), args.period, ALL, fmt, cfg=scoring,
                                               mask_names=args.mask_names)
        out = args.to / export.file_name(snapshot, fmt)
        partial = out.with_name(f".{out.name}.partial")
        try:
            partial.write_bytes(content)
            os.replace(partial, out)  # a file in the folder is whole
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise DashboardError(f"无法写入 {out}：{exc.strerror or exc}") from exc
        with open_db(args.db) as con:
            snapshot_id, _ = actions.record_export(con, operator(), snapshot, fmt, content, out.name)
        print(f"✓ 已导出 {out}（{snapshot.title}，{len(content) / 1024:.1f} KB，快照记录 #{snapshot_id}）")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "health": cmd_health, "backup": cmd_backup, "archive": cmd_archive}
