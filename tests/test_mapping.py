"""When the importer cannot decide it asks, once: questions, answers on the command line and the page, ledger
profiles remembered per header layout, categories assigned, and the notice for a quarter imported incomplete."""

from __future__ import annotations

import json

import duckdb
import pytest

from analytics import db
from analytics.ingest import answers as asked
from analytics.ingest.answers import Answers
from analytics.ingest.parse import parse_file
from tests.conftest import load, write_xlsx
from tests.test_cli import cli
from tests.test_import_page import click_import, open_page, text, upload

# an office's own layout: 进度 is no header we know, 搁置 no status word we know, and nothing names the source
OWN_HEADER = ["序号", "问题摘要", "主责部门", "时限要求", "办理状态", "进度说明"]


def own_ledger(path, rows):
    return write_xlsx(path, {"Sheet1": [OWN_HEADER, *rows]})


Q2_ROWS = [[1, "预付款未及时核销", "财务部", "9月30日前", "搁置", "已约谈"],
           [2, "合同归档不完整", "法务部", "年底前", "整改中", "补齐中"]]
Q3_ROWS = [[1, "预付款未及时核销", "财务部", "9月30日前", "搁置", "已约谈"],
           [2, "合同归档不完整", "法务部", "年底前", "已完成", "已归档"],
           [3, "差旅报销超标准", "综合部", "立行立改", "搁置", "追回"]]


def kinds(parsed) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for q in parsed.questions:
        found.setdefault(q.kind, []).append(q.subject)
    return found


def test_what_the_importer_cannot_decide_is_asked_not_guessed(tmp_path):
    path = own_ledger(tmp_path / "2025年第二季度整改台账.xlsx", Q2_ROWS)
    parsed = parse_file(path.name, path.read_bytes())
    assert kinds(parsed) == {asked.COLUMN: ["进度说明"], asked.STATUS: ["搁置"], asked.SOURCE: [""]}
    assert {q.kind for q in parsed.blocking} == {asked.STATUS, asked.SOURCE}  # an unknown column is optional
    answered = parse_file(path.name, path.read_bytes(), answers_for=lambda key: Answers(
        {"进度说明": "progress"}, {"搁置": "整改中"}, "日常监督"))
    assert not answered.questions and not answered.issues
    rows = answered.sheets[0].rows
    assert rows["status"].to_pylist() == ["整改中", "整改中"]
    assert rows["source"].to_pylist() == ["日常监督", "日常监督"]
    assert rows["progress"].to_pylist() == ["已约谈", "补齐中"]
    assert rows["status_basis"].to_pylist()[0] == "办理状态（E列）「搁置」"


def test_the_command_line_says_what_it_would_ask_then_remembers_the_answers(tmp_path):
    base = tmp_path / "own.duckdb"
    audit_file = tmp_path / "audit.jsonl"
    env = {"DASHBOARD_AUDIT": str(audit_file)}
    q2 = own_ledger(tmp_path / "2025年第二季度整改台账.xlsx", Q2_ROWS)
    refused = cli("import", str(q2), db=base, env=env)
    assert refused.returncode == 1
    assert "--status 搁置=整改中" in refused.stdout and "--source" in refused.stdout
    assert "--map 进度说明=字段名" in refused.stdout

    done = cli("import", "--status", "搁置=整改中", "--source", "日常监督", "--map", "进度说明=整改进展", str(q2),
               db=base, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已保存映射方案" in done.stdout

    # next quarter, the same layout: no question, no option
    q3 = own_ledger(tmp_path / "2025年第三季度整改台账.xlsx", Q3_ROWS)
    again = cli("import", str(q3), db=base, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "?" not in again.stdout and "新增问题 1 个，更新 2 个" in again.stdout

    listed = json.loads(cli("profiles", "--json", db=base, env=env).stdout)
    assert len(listed) == 1
    assert listed[0]["answers"] == {"columns": {"进度说明": "progress"}, "statuses": {"搁置": "整改中"},
                                    "source": "日常监督", "categories": {}}
    trail = [json.loads(line) for line in audit_file.read_text().splitlines()]
    saved = [e for e in trail if e["action"] == "profile_save"]
    assert len(saved) == 1 and saved[0]["details"]["statuses"] == {"搁置": "整改中"}

    deleted = cli("profiles", "--delete", listed[0]["layout_key"], db=base, env=env)
    assert deleted.returncode == 0 and json.loads(cli("profiles", "--json", db=base, env=env).stdout) == []


def test_bad_answers_are_refused_with_the_form_to_use(tmp_path):
    q2 = own_ledger(tmp_path / "2025年第二季度整改台账.xlsx", Q2_ROWS)
    for option, value, said in (("--status", "搁置=暂缓", "状态应为"), ("--map", "进度说明=进度", "未知的字段"),
                                ("--map", "进度说明", "应写成 左=右"), ("--source", "上级交办", "来源应为")):
        done = cli("import", option, value, str(q2), db=tmp_path / "x.duckdb")
        assert done.returncode == 1 and said in done.stderr, (option, value, done.stderr)


def test_a_required_column_is_asked_for_and_the_answer_maps_it(tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"S": [
        ["问题描述", "对象", "整改时限", "整改状态"],
        ["预付款未及时核销", "甲", "2025-09-30", "整改中"],
        ["合同归档不完整", "乙", "2025-12-31", "已完成"],
    ]})
    parsed = parse_file(path.name, path.read_bytes())
    assert [(q.kind, q.subject) for q in parsed.blocking] == [(asked.MISSING, "unit")]
    answered = parse_file(path.name, path.read_bytes(), answers_for=lambda key: Answers({"对象": "unit"}))
    assert not answered.issues and answered.sheets[0].rows["unit"].to_pylist() == ["甲", "乙"]


def test_unknown_headers_are_judged_by_their_values(tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"S": [
        ["问题描述", "承办科室", "办结要求", "进度", "整改状态"],
        ["预付款未及时核销", "财务部", "2025-09-30", "已完成", "整改中"],
        ["合同归档不完整", "法务部", "2025-12-31", "整改中", "整改中"],
        ["差旅报销超标准", "综合办公室", "2025-05-31", "已销号", "整改中"],
    ]})
    parsed = parse_file(path.name, path.read_bytes())
    layout = parsed.sheets[0].layout
    assert {layout.headers[c]: f for c, f in layout.sniffed.items()} == {"承办科室": "unit", "办结要求": "deadline",
                                                                         "进度": "status"}
    rows = parsed.sheets[0].rows
    assert rows["unit"].to_pylist() == ["财务部", "法务部", "综合办公室"]
    # 进度 is a status column found by its values: 已完成 and 已销号 there outrank 整改中 in 整改状态
    assert rows["status"].to_pylist() == ["已整改", "整改中", "已销号"]


def test_the_page_asks_in_a_mapping_step_and_saves_a_profile(monkeypatch, tmp_path):
    base = tmp_path / "page.duckdb"
    q2 = own_ledger(tmp_path / "2025年第二季度整改台账.xlsx", Q2_ROWS)
    at = upload(open_page(monkeypatch, base), q2)
    assert "映射确认" in text(at) and "有 2 项需要在「映射确认」中选择" in text(at)
    status = next(s for s in at.selectbox if "「搁置」" in s.label)
    status.set_value("整改中").run()
    source = next(s for s in at.selectbox if "没有写明问题来源" in s.label)
    source.set_value("日常监督").run()
    assert not at.exception, at.exception
    assert "需要在「映射确认」中选择" not in text(at)
    click_import(at)
    con = duckdb.connect(str(base), read_only=True)
    try:
        assert con.execute("SELECT count(*), min(source) FROM problem_state").fetchone() == (2, "日常监督")
        saved = json.loads(con.execute("SELECT answers FROM ledger_profiles").fetchone()[0])
    finally:
        con.close()
    assert saved["statuses"] == {"搁置": "整改中"} and saved["source"] == "日常监督"
    # the next quarter's ledger of the same layout asks nothing
    q3 = own_ledger(tmp_path / "2025年第三季度整改台账.xlsx", Q3_ROWS)
    at = upload(at, q3)
    assert "需要在「映射确认」中选择" not in text(at) and "✓ 2025年第三季度整改台账.xlsx" in text(at)


def test_a_category_matching_no_dimension_can_be_assigned(con, tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"S": [
        ["问题来源", "问题类别", "问题描述", "责任单位", "整改状态"],
        ["审计", "财务管理", "预付款未及时核销", "财务部", "整改中"],
        ["审计", "政治生活", "组织生活会流于形式", "党群部", "整改中"],
    ]})
    assert load(con, path).outcome == "imported"
    dims = dict(con.execute("SELECT category, dimension FROM problem_state").fetchall())
    # 政治生活 is part of a dimension's name; 财务管理 names none
    assert dims == {"财务管理": "未归类", "政治生活": "严肃党内政治生活"}


def test_the_command_line_assigns_a_category_and_the_scores_follow(tmp_path):
    base = tmp_path / "cat.duckdb"
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"S": [
        ["问题来源", "问题类别", "问题描述", "责任单位", "整改状态"],
        ["审计", "财务管理", "预付款未及时核销", "财务部", "整改中"],
    ]})
    env = {"DASHBOARD_AUDIT": str(tmp_path / "audit.jsonl")}
    done = cli("import", str(path), db=base, env=env)
    assert done.returncode == 0 and "问题类别「财务管理」（1 个问题）未对应到任何维度" in done.stdout
    assert "财务管理：1 个问题" in cli("categories", db=base, env=env).stdout
    done = cli("categories", "--assign", "财务管理", "惩治腐败与廉洁建设", db=base, env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(cli("summary", "--json", db=base, env=env).stdout)
    assert summary["by_dimension"] == {"惩治腐败与廉洁建设": 1}
    assert "没有未归类" in cli("categories", db=base, env=env).stdout
    wrong = cli("categories", "--assign", "财务管理", "财务", db=base, env=env)
    assert wrong.returncode == 1 and "未知的维度" in wrong.stderr


def test_skip_invalid_counts_the_dropped_problems_and_the_pages_say_so(monkeypatch, tmp_path):
    base = tmp_path / "skip.duckdb"
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"S": [
        ["问题来源", "问题描述", "责任单位", "整改措施", "整改时限", "整改状态"],
        ["审计", "预付款未及时核销", "财务部", "清理预付款", "2025-09-30", "整改中"],
        [None, None, None, "建立预付款台账", "2025-08-31", "整改中"],  # its second measure
        ["审计", "合同归档不完整", "法务部", "补齐合同", "下个月", "整改中"],  # a bad deadline
        [None, None, None, "建立归档制度", "2025-12-31", "整改中"],  # its second measure
        ["审计", "差旅报销超标准", "综合部", "追回款项", "2025-05-31", "已完成"],
    ]})
    con = db.connect(base)
    try:
        result = load(con, path, skip_invalid=True)
    finally:
        con.close()
    assert result.outcome == "imported" and result.problems_dropped == 1
    assert "舍弃问题 1 个" in result.message and "统计数据不完整" in result.message
    con = db.connect(base, read_only=True)
    try:
        assert con.execute("SELECT problems_dropped FROM imports").fetchone() == (1,)
        # the first problem's two measures; the dropped problem's two are gone with it
        assert con.execute("SELECT list(measure ORDER BY measure_no) FROM measures").fetchone() == (
            ["清理预付款", "建立预付款台账"],)
    finally:
        con.close()
    monkeypatch.setenv("DASHBOARD_DB", str(base))
    from tests.conftest import logged_in
    at = logged_in().run()
    assert not at.exception
    assert any("1 个问题因台账中的错误未导入" in w.value for w in at.warning)


def test_a_database_of_the_previous_release_gains_the_new_columns(tmp_path):
    """The release before profiles and measures: its observations and imports lacked the new columns."""
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE imports (import_id INTEGER PRIMARY KEY, file_name VARCHAR NOT NULL, sha256 VARCHAR NOT "
                "NULL, kind VARCHAR NOT NULL, period VARCHAR NOT NULL, period_origin VARCHAR, sheets VARCHAR, "
                "rows_valid INTEGER NOT NULL, rows_invalid INTEGER NOT NULL, rows_skipped INTEGER NOT NULL, "
                "problems_new INTEGER NOT NULL DEFAULT 0, problems_updated INTEGER NOT NULL DEFAULT 0, "
                "imported_at TIMESTAMP NOT NULL, imported_by VARCHAR, undone_at TIMESTAMP)")
    old.execute("CREATE TABLE observations (import_id INTEGER NOT NULL, problem_id BIGINT NOT NULL, period_no INTEGER "
                "NOT NULL, sheet VARCHAR, excel_row INTEGER, fingerprint VARCHAR, problem_code VARCHAR, seq VARCHAR, "
                "source VARCHAR, category VARCHAR, description VARCHAR, unit VARCHAR, owner VARCHAR, leader VARCHAR, "
                "measures VARCHAR, progress VARCHAR, remarks VARCHAR, status VARCHAR NOT NULL, severity VARCHAR, "
                "recurred_mark BOOLEAN, found_date DATE, deadline DATE, no_deadline BOOLEAN, closed_date DATE)")
    old.close()
    con = db.connect(path)
    try:
        columns = {r[0] for r in con.execute("DESCRIBE observations").fetchall()}
        assert {"co_units", "parent", "deadline_text", "long_term", "immediate", "status_basis", "measure_count",
                "category_guess"} <= columns
        assert "problems_dropped" in {r[0] for r in con.execute("DESCRIBE imports").fetchall()}
        ledger = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"S": [
            ["问题来源", "问题描述", "责任单位", "整改状态"], ["审计", "预付款未及时核销", "财务部", "整改中"]]})
        assert load(con, ledger).outcome == "imported"
    finally:
        con.close()


@pytest.mark.parametrize(("category", "dimension"), [
    pytest.param("政治生活", "严肃党内政治生活", id="part-of-a-name"),
    pytest.param("作风问题", "加强干部作风建设", id="holds-a-keyword"),
    pytest.param("政治", "未归类", id="part-of-several-names"),
    pytest.param("财务管理", "未归类", id="names-none"),
])
def test_a_category_names_a_dimension_by_its_name_or_keyword(category, dimension):
    from analytics.config import scoring_config
    assert scoring_config().classify(category) == dimension


def test_without_a_category_the_description_decides(con, tmp_path):
    path = write_xlsx(tmp_path / "2025年第二季度审计整改台账.xlsx", {"S": [
        ["问题来源", "问题描述", "责任单位", "整改状态"],
        ["审计", "违反中央八项规定精神公款吃喝", "财务部", "整改中"],
        ["审计", "仓库地面破损", "物流部", "整改中"],
    ]})
    assert load(con, path).outcome == "imported"
    dims = dict(con.execute("SELECT description, dimension FROM problem_state").fetchall())
    assert dims == {"违反中央八项规定精神公款吃喝": "加强干部作风建设", "仓库地面破损": "未归类"}


def test_the_profiles_page_lists_edits_and_deletes_a_profile(monkeypatch, tmp_path):
    from tests.conftest import logged_in

    base = tmp_path / "page.duckdb"
    monkeypatch.setenv("DASHBOARD_AUDIT", str(tmp_path / "audit.jsonl"))
    q2 = own_ledger(tmp_path / "2025年第二季度整改台账.xlsx", Q2_ROWS)
    done = cli("import", "--status", "搁置=整改中", "--source", "日常监督", str(q2), db=base,
               env={"DASHBOARD_AUDIT": str(tmp_path / "audit.jsonl")})
    assert done.returncode == 0, done.stdout
    monkeypatch.setenv("DASHBOARD_DB", str(base))
    at = logged_in(default_timeout=60).run()
    at.switch_page("app_pages/profiles.py").run()
    assert not at.exception and at.title[0].value == "映射方案"
    assert any("搁置" in str(d.value.to_dict()) for d in at.dataframe)  # the status answer, shown to edit
    key = json.loads(cli("profiles", "--json", db=base).stdout)[0]["layout_key"]
    at.selectbox(key=f"profile_source_{key}").set_value("审计").run()
    at.button(key=f"profile_save_{key}").click().run()
    assert not at.exception
    assert json.loads(cli("profiles", "--json", db=base).stdout)[0]["answers"]["source"] == "审计"
    at.checkbox(key=f"profile_confirm_{key}").check().run()
    at.button(key=f"profile_delete_{key}").click().run()
    assert not at.exception and json.loads(cli("profiles", "--json", db=base).stdout) == []
    trail = [json.loads(line)["action"] for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert trail.count("profile_save") == 2 and trail.count("profile_delete") == 1
