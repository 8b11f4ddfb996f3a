"""The ``workbooks`` command: a quarter's update workbooks (一表同享) to send to the units, one xlsx per unit in a
folder, or all in one zip; and the lines ``import`` prints about a returned one."""

from __future__ import annotations

import argparse
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from analytics import actions, derived
from analytics.access import operator
from analytics.config import ledger_config, scoring_config
from analytics.db import open_db
from analytics.errors import DashboardError
from analytics.ingest.parse import ParsedFile
from analytics.periods import Period, parse_period
from analytics.workbooks.marker import Marker


def add_commands(sub: argparse._SubParsersAction,
                 with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    wbs = with_db(sub.add_parser("workbooks", help="生成各单位的问题整改更新表（一表同享）：列出该期末未销号的问题，"
                                                   "各单位填写后作为下一季度台账导入"))
    wbs.add_argument("--period", required=True, help="依据期间，如 2025Q2（更新表作为 2025Q3 的台账填报）")
    wbs.add_argument("--unit", action="append", metavar="单位",
                     help="只生成这个单位的（可重复；默认所有有未销号问题的单位）")
    wbs.add_argument("--out", required=True, type=Path, metavar="DIR或FILE",
                     help="输出文件夹（每个单位一个 .xlsx），或一个 .zip 文件，或只生成一个单位时的 .xlsx 文件")


def cmd_workbooks(args: argparse.Namespace) -> int:
    base = parse_period(args.period)  # a bad period exits 1 with the Chinese message, like export's
    scoring = scoring_config()
    derived.ensure(args.db, scoring)
    out: Path = args.out
    if out.suffix.lower() == ".xlsx" and len(args.unit or []) != 1:
        raise DashboardError("输出为 .xlsx 文件时须用 --unit 指定一个单位；多个单位请输出到文件夹或 .zip 文件")
    with open_db(args.db) as con:
        name, content = actions.update_workbooks(con, operator(), base, args.unit, cfg=scoring,
                                                   ledger_cfg=ledger_config())
    files = _files(name, content)
    try:
        if out.suffix.lower() == ".zip":
            out.write_bytes(content if name.endswith(".zip") else _zip(files))
            written = [out]
        elif out.suffix.lower() == ".xlsx":
            out.write_bytes(content)
            written = [out]
        else:
            out.mkdir(parents=True, exist_ok=True)
            written = []
            for file, data in files.items():
                (out / file).write_bytes(data)
                written.append(out / file)
    except OSError as exc:
        raise DashboardError(f"无法写入 {out}：{exc.strerror or exc}") from exc
    target = Period.from_index(base.index + 1)
    print(f"✓ 已生成 {len(files)} 个单位的更新表（依据{base.label}末未销号的问题，作为{target.label}台账填报）：")
    for path in written:
        print(f"  {path}")
    print("  各单位填写后原文件报送，用 python -m analytics import 或「台账导入」页导入；收集情况见「更新表」页")
    return 0


def _files(name: str, content: bytes) -> dict[str, bytes]:
    if not name.endswith(".zip"):
        return {name: content}
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def describe_return(con: object, parsed: ParsedFile, marker: Marker | None) -> list[str]:
    """What ``import`` says about a returned workbook before storing it: whose it is and what it changes."""
    if marker is None:
        return []
    if not actions.returned_workbook(con, parsed, marker):
        return [f"· 该文件是更新表（编号 {marker.workbook_id}，{marker.unit}，{marker.period}），但不是本数据库生成的"
                "或所属期间不符，按普通台账导入，不计入收集情况"]
    changes = actions.workbook_changes(con, operator(), parsed, marker)
    lines = [f"· 更新表：{marker.unit}，编号 {marker.workbook_id}，{marker.period}；有变化的问题 "
             f"{changes.changed_problems} 个，未变化 {changes.unchanged} 个，新增 {len(changes.new)} 个，"
             f"表中未列出（沿用上期状态）{len(changes.carried)} 个"]
    lines += [f"  {r.problem_code or '（无编号）'} {r.field}：{r.before or '—'} → {r.after or '—'}"
              for r in changes.changed.itertuples()]
    lines += [f"  沿用上期：{r.problem_code or '（无编号）'} {r.description}" for r in changes.carried.itertuples()]
    if changes.other_units:
        lines.append(f"  注意：表中有其他单位的问题（{'、'.join(changes.other_units)}）")
    return lines


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"workbooks": cmd_workbooks}
