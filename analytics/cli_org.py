"""``python -m analytics org import FILE | export FILE | list [--json]``: the 组织架构 from the command line
(analytics.cli adds it to its parser). Exit 0 on success, 1 on a refused file or a failure.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from analytics import actions, org
from analytics import org_register as io
from analytics.access import operator
from analytics.config import ledger_config, scoring_config
from analytics.db import open_db

READ_ONLY = ()


def add_commands(sub: argparse._SubParsersAction,
                 with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("org", help="组织架构：公司、分公司、部门及其别名和同类单位")
    org_sub = cmd.add_subparsers(dest="org_command", required=True)
    imp = with_db(org_sub.add_parser("import", help="用 xlsx 组织架构表替换现有组织架构（先检查整张表，有错不改动）"))
    imp.add_argument("file", type=Path, metavar="FILE")
    exp = with_db(org_sub.add_parser("export", help="导出组织架构表（xlsx，带下拉选项，可修改后再导入）"))
    exp.add_argument("file", type=Path, metavar="FILE")
    lst = with_db(org_sub.add_parser("list", help="列出组织架构，及台账中尚未登记的单位"))
    lst.add_argument("--json", action="store_true", help="输出 JSON")


def cmd_org(args: argparse.Namespace) -> int:
    who = operator()
    if args.org_command == "import":
        try:
            data = args.file.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            print(f"✗ {args.file}：文件不存在")
            return 1
        rows = io.read_xlsx(args.file.name, data, ledger_config().limits)
        with open_db(args.db) as con:
            changed = actions.save_org(con, who, rows, cfg=scoring_config(), source=args.file.name)
        print(f"✓ 组织架构已更新：{changed['nodes']} 个单位（新增 {changed['added']}，删除 {changed['removed']}）")
        if changed["claimed_imports"]:
            print(f"  此前导入的 {changed['claimed_imports']} 份台账归入「{changed['first_company']}」")
        return 0
    if args.org_command == "export":
        with open_db(args.db, read_only=True) as con:
            content = io.to_xlsx(actions.org_register(con, who))
        args.file.write_bytes(content)
        actions.downloaded(args.db, who, "组织架构表", content, file=str(args.file))
        print(f"✓ 已导出组织架构表：{args.file}")
        return 0
    with open_db(args.db, read_only=True) as con:
        register = actions.org_register(con, who)
        unknown = actions.unregistered_units(con, who)
    nodes = [{"key": register.key[n.node_id], "name": n.name, "kind": n.kind, "depth": register.key[n.node_id].count(
        org.SEP), "peer_group": n.peer_group, "head_count": n.head_count,
        "aliases": register.aliases.get(n.node_id, [])} for n in register.ordered()]
    unregistered = [{"company": r.company, "name": r.name, "problems": int(r.problems)} for r in unknown.itertuples()]
    if args.json:
        print(json.dumps({"nodes": nodes, "unregistered": unregistered}, ensure_ascii=False))
        return 0
    if not nodes:
        print("还没有组织架构：单位按台账中的名称统计（用 org export 导出空白表，填写后 org import 导入）")
    for n in nodes:
        extra = [f"别名：{'、'.join(n['aliases'])}" if n["aliases"] else "",
                 f"同类：{n['peer_group']}" if n["peer_group"] else "",
                 f"人数：{n['head_count']}" if n["head_count"] is not None else ""]
        print(f"{'  ' * n['depth']}{n['name']}（{n['kind']}）  {'  '.join(e for e in extra if e)}".rstrip())
    for u in unregistered:
        print(f"? 台账中的单位「{u['name']}」（{u['company']}，{u['problems']} 个问题）不在组织架构中")
    return 0


COMMANDS = {"org": cmd_org}
