"""``python -m analytics notices list|draft``: the 督办文书 register and a draft for a unit, for people and scheduled
jobs; ``analytics.cli`` adds them to its parser. Exit 0 on success, 1 when refused or failed, 2 for a usage error.

A draft from the command line is the 纪委办's (a job run on its behalf: access.OFFICE); signing stays with the
纪委书记 in the app.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from analytics import actions, cli_ops, derived, notices
from analytics.access import OFFICE, operator
from analytics.config import scoring_config
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.periods import parse_period


def add_commands(sub: argparse._SubParsersAction,
                 with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    found = with_db(sub.add_parser("notices", help="督办文书（工作提醒函、工作督办单、纪检建议书）：登记簿与拟稿"))
    found_sub = found.add_subparsers(dest="notices_command", required=True)
    listing = found_sub.add_parser("list", help="列出督办文书及其办理状态（含逾期未回复）")
    listing.add_argument("--json", action="store_true", help="输出 JSON")
    draft = found_sub.add_parser("draft", help="为一个单位起草督办文书（列出该单位本期达到该级预警的问题），写成 Word")
    draft.add_argument("--type", required=True, dest="kind", metavar="类型",
                       help=f"文书类型：{'、'.join(notices.KINDS)}，或简称 {'、'.join(notices.SHORT_KINDS)}")
    draft.add_argument("--unit", required=True, help="主送（责任）单位")
    draft.add_argument("--period", required=True, help="期间，如 2025Q2")
    draft.add_argument("--reply-by", help="回复时限，如 2025-07-31（默认起草之日加 notices.toml 的 reply_days 天）")
    draft.add_argument("--out", required=True, type=Path, metavar="FILE", help="输出的 Word 文件（.docx）")
    draft.add_argument("--pdf", action="store_true", help="同时在旁边写一份 PDF（需要 Chromium 和中文字体）")


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DashboardError(f"--reply-by 应为日期，如 2025-07-31（收到「{text}」）") from None


def cmd_notices(args: argparse.Namespace) -> int:
    ncfg = notices.notices_config()  # read once here, at the edge, and passed down
    if args.notices_command == "list":
        with open_db(args.db, read_only=True) as con:
            frame = actions.notice_register(con, operator(), dt.date.today())
        if args.json:
            print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
            return 0
        if frame.empty:
            print("还没有督办文书")
        for r in frame.itertuples():
            print(f"#{r.notice_id}  {r.number}  {r.kind}  主送 {r.unit}  {r.period}  问题 {r.problems} 个  "
                  f"回复时限 {r.reply_by:%Y-%m-%d}  {r.state}")
        return 0
    period, scoring = parse_period(args.period), scoring_config()
    kind, reply_by = notices.kind_of(args.kind), _date(args.reply_by)
    office = dataclasses.replace(operator(), role=OFFICE)
    derived.ensure(args.db, scoring)
    with open_db(args.db) as con:
        notice_id, number = actions.draft_notice(con, office, ncfg, period, cfg=scoring, kind=kind, unit=args.unit,
                                                 reply_by=reply_by)
        files = [(args.out, *actions.notice_file(con, office, notice_id, "docx"))]
        if args.pdf:
            files.append((args.out.with_suffix(".pdf"), *actions.notice_file(con, office, notice_id, "pdf")))
    for path, _, content in files:
        cli_ops.write_out(path, content)
        actions.downloaded(args.db, office, "督办文书", content, number=number, file=path.name)
    print(f"✓ 已起草 {number}（{kind}，主送 {args.unit}，拟稿待签发）：{'、'.join(str(p) for p, _, _ in files)}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"notices": cmd_notices}
