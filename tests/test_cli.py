"""The command line as people and scheduled jobs use it: real processes, exit codes, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from analytics.config import scoring_config
from tests.conftest import ROOT
from tests.sample_ledgers import CSV, Q1, Q2


def cli(*args: str, db=None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DASHBOARD_DB", None) if env is None else None
    command = [sys.executable, "-m", "analytics", args[0], *(["--db", str(db)] if db else []), *args[1:]]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=120)


def test_import_summary_imports_undo(tmp_path, sample):
    db = tmp_path / "cli.duckdb"
    done = cli("import", str(sample(Q1)), str(sample(Q2)), db=db)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ 2024年第一季度问题整改台账.xlsx" in done.stdout and "新增问题 3 个，更新 12 个" in done.stdout

    summary = json.loads(cli("summary", "--json", db=db).stdout)
    expected_keys = {"period", "as_of", "total", "closed", "completed", "open", "overdue", "recurred", "closure_rate",
                     "completion_rate", "on_time_rate", "by_source", "by_dimension", "by_unit"}
    assert expected_keys <= summary.keys()
    assert (summary["period"], summary["as_of"], summary["total"], summary["closed"]) == ("2024Q2", "2024-06-30", 15, 5)
    assert summary["closure_rate"] == round(5 / 15, 4)
    assert sum(summary["by_unit"].values()) == 15 and sum(summary["by_dimension"].values()) == 15

    q1 = json.loads(cli("summary", "--period", "2024年第一季度", "--json", db=db).stdout)
    assert (q1["period"], q1["total"]) == ("2024Q1", 12)

    listing = json.loads(cli("imports", "--json", db=db).stdout)
    assert [r["file_name"] for r in listing] == [Q2, Q1]

    undone = cli("undo", str(listing[0]["import_id"]), db=db)
    assert undone.returncode == 0 and "已撤销" in undone.stdout
    assert json.loads(cli("summary", "--json", db=db).stdout)["period"] == "2024Q1"
    again = cli("undo", str(listing[0]["import_id"]), db=db)
    assert again.returncode == 1 and "撤销过" in again.stderr


def test_import_exits_non_zero_when_any_file_is_rejected(tmp_path, sample):
    db = tmp_path / "cli.duckdb"
    done = cli("import", str(sample(Q1)), str(sample(CSV)), str(tmp_path / "missing.xlsx"), db=db)
    assert done.returncode == 1
    assert "请指定所属期间" in done.stdout and "文件不存在" in done.stdout
    assert "用 --period 指定所属期间" in done.stdout  # the command line's own way to answer
    assert json.loads(cli("summary", "--json", db=db).stdout)["total"] == 12  # the good file still landed


def test_period_option_overrides_and_skip_invalid(tmp_path, sample):
    db = tmp_path / "cli.duckdb"
    assert cli("import", "--period", "2024Q2", str(sample(CSV)), db=db).returncode == 0
    bad = tmp_path / "2024Q3.csv"
    bad.write_text("问题来源,问题描述,责任单位,整改状态\n巡察,甲,销售部,整改中\n"
                   "巡察,乙,销售部,搁置\n", encoding="utf-8")
    rejected = cli("import", str(bad), db=db)
    assert rejected.returncode == 1 and "第 3 行" in rejected.stdout and "「整改状态」列（D 列）" in rejected.stdout
    kept = cli("import", "--skip-invalid", str(bad), db=db)
    assert kept.returncode == 0 and "跳过 1 行" in kept.stdout


def test_dashboard_db_variable_is_the_default(tmp_path, sample):
    db = tmp_path / "env.duckdb"
    env = {"DASHBOARD_DB": str(db)}
    assert cli("import", str(sample(Q1)), env=env).returncode == 0
    assert db.exists()
    assert json.loads(cli("summary", "--json", env=env).stdout)["total"] == 12


def test_bad_usage_and_missing_database(tmp_path):
    assert cli("summary", "--period", "下个季度", db=tmp_path / "x.duckdb").returncode == 2
    missing = cli("summary", "--json", db=tmp_path / "none.duckdb")
    assert missing.returncode == 1 and "找不到数据库" in missing.stderr


def test_summary_json_has_unit_scores_company_and_warnings(tmp_path, sample):
    db = tmp_path / "cli.duckdb"
    assert cli("import", str(sample(Q1)), str(sample(Q2)), db=db).returncode == 0
    s = json.loads(cli("summary", "--json", db=db).stdout)
    assert set(s["units"]) == set(s["by_unit"]) and len(s["units"]) == 10
    assert all(len(u["dimensions"]) == 8 for u in s["units"].values())
    # 财务部: its only problem (RC-2024-003) is 已销号 → 100 in every dimension
    assert s["units"]["财务部"] == {"total": 1, "closed": 1, "overdue": 0, "score": 100.0, "grade": "好",
                                  "dimensions": dict.fromkeys(s["units"]["财务部"]["dimensions"], 100.0)}
    # (shipped model, see test_scoring_model) 物流部: ZX-2024-004 open, 严重 (20), not yet due → 廉洁建设 80;
    # its one problem due (SJ-2024-002, closed 05-10 after 04-30) was late: 按期整改率 0% → 90 short, capped at 60;
    # 销号率 1/2 = 50% → 20 short: 两个责任 20; total 100 − .15 × 20 − .20 × 80 = 81.0
    logistics = s["units"]["物流部"]
    assert logistics["dimensions"]["惩治腐败与廉洁建设"] == 80.0
    assert logistics["dimensions"]["落实管党治党两个责任"] == 20.0
    assert (logistics["score"], logistics["grade"]) == (81.0, "较好")
    # 综合管理部: ZX-2024-002 open, 较重 (10), overdue (+8) → 加强干部作风建设 82; of 3 due only XC-2024-001 on time
    # (ZX-2024-001 closed 04-08, after 03-31): 33.3% → 56.7 short; 销号率 2/3 → 3.3 short: 两个责任 40;
    # total 100 − .12 × 18 − .20 × 60 = 85.84
    assert s["units"]["综合管理部"]["dimensions"]["加强干部作风建设"] == 82.0
    assert s["units"]["综合管理部"]["score"] == 85.8
    assert s["company"]["grade"] == scoring_config().grade_of(s["company"]["score"]).name
    assert set(s["company"]["dimensions"]) == set(s["by_dimension"])
    assert set(s["warnings"]) == {"工作提醒函", "工作督办单", "纪检建议书"}


def users_cli(tmp_path, *args: str, password: str) -> subprocess.CompletedProcess:
    """`users …` as a script runs it: the password on standard input, the accounts in tmp_path."""
    env = {**os.environ, "DASHBOARD_USERS": str(tmp_path / "users.json")}
    env.pop("DASHBOARD_AUDIT", None)
    command = [sys.executable, "-m", "analytics", "users", "--db", str(tmp_path / "d.duckdb"), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, input=password + "\n",
                          timeout=120)


def test_users_add_and_passwd_refuse_weak_passwords_saying_why(tmp_path):
    weak = [("zhaoliu", "密码至少 8 位"), ("ZHAOLIU8", "密码不能与用户名相同"), ("8uiloahz", "密码不能是用户名倒写"),
            ("aaaaaaaa", "密码不能是同一个字符的重复"), ("Password", "密码在常见密码名单中"),
            ("5201314520", "密码在常见密码名单中")]
    for password, why in weak:
        done = users_cli(tmp_path, "add", "zhaoliu8", "--role", "纪委委员", password=password)
        assert done.returncode == 1 and f"错误：{why}" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert users_cli(tmp_path, "add", "zhaoliu8", "--role", "纪委委员", password="long-enough-1").returncode == 0
    for password, why in weak:
        done = users_cli(tmp_path, "passwd", "zhaoliu8", password=password)
        assert done.returncode == 1 and why in done.stderr, done.stderr
    assert users_cli(tmp_path, "passwd", "zhaoliu8", password="another-good-one").returncode == 0


def test_users_add_refuses_a_name_over_the_limit(tmp_path):
    done = users_cli(tmp_path, "add", "a" * 33, "--role", "纪委委员", password="long-enough-1")
    assert done.returncode == 1 and "用户名最长 32 个字符（收到 33 个）" in done.stderr
