"""组织架构: two companies with three levels (tests/group_ledgers.py), figures at every level counted by hand,
same-named units that never merge, aliases, imports placed in their company, unknown units asked about, roll-up rules, and a
database without a register working as before.

The group as of 2025-06-30 (overdue: open with a deadline before it):

| problem | company | unit key                 | status | overdue |
|---------|---------|--------------------------|--------|---------|
| J-1     | 甲公司  | 甲公司›海口分公司›财务部 | 整改中 | yes     |
| J-2     | 甲公司  | 甲公司›海口分公司›财务部 | 已销号 |         |
| J-3     | 甲公司  | 甲公司›海口分公司›营业部 | 已整改 |         |
| J-4     | 甲公司  | 甲公司›海口分公司        | 整改中 | no      |
| J-5     | 甲公司  | 甲公司›三亚分公司›财务部 | 整改中 | yes     |
| J-6     | 甲公司  | 甲公司›纪检部            | 已销号 |         |
| J-1     | 乙公司  | 乙公司›财务部            | 整改中 | yes     |
| Y-2     | 乙公司  | 乙公司›财务部            | 已销号 |         |
| Y-3     | 乙公司  | 乙公司›文昌分公司›综合部 | 整改中 | no      |
"""

# ruff: noqa: E501  (the register cases: one a line)
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from analytics import actions, derived, org, rollup
from analytics import org_register as reg
from analytics.access import HEAD, SECRETARY, AccessDenied, User, operator
from analytics.cli import main as cli
from analytics.config import ledger_config
from analytics.db import ensure_schema, open_db
from analytics.errors import DashboardError
from analytics.export.snapshot import EVERY_PART
from analytics.ingest.parse import parse_file
from analytics.metrics import Scope
from analytics.org import SEP
from analytics.periods import parse_period
from tests import group_ledgers as group
from tests.conftest import CFG, HEADER, problem_row, write_xlsx

Q2 = parse_period("2025Q2")
LIMITS = ledger_config().limits
HAIKOU, SANYA, JIA, YI = "甲公司›海口分公司", "甲公司›三亚分公司", "甲公司", "乙公司"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return group.write_group(tmp_path_factory.mktemp("group"))


def _cli(*args: str) -> int:
    return cli(list(args))


@pytest.fixture(scope="module")
def group_db(files, tmp_path_factory) -> Path:
    """The register imported, then both ledgers, through the command line (their company inferred)."""
    db = tmp_path_factory.mktemp("groupdb") / "group.duckdb"
    assert _cli("org", "import", str(files / group.REGISTER), "--db", str(db)) == 0
    assert _cli("import", "--db", str(db), str(files / group.JIA), str(files / group.YI)) == 0
    return db


def summary_of(db: Path, capsys, *args: str) -> dict:
    capsys.readouterr()
    assert _cli("summary", "--json", "--db", str(db), *args) == 0
    return json.loads(capsys.readouterr().out)


def counts(figures: dict) -> tuple:
    return figures["total"], figures["closed"], figures["completed"], figures["overdue"]


# ---- figures at every level ----

@pytest.mark.parametrize(("args", "expected", "children"), [
    ((), (9, 3, 4, 3), {JIA: 6, YI: 3}),
    (("--company", "甲公司"), (6, 2, 3, 2), {HAIKOU: 4, SANYA: 1, "甲公司›纪检部": 1}),
    (("--unit", "甲公司/海口分公司"), (4, 1, 2, 1),
     {f"{HAIKOU}›财务部": 2, HAIKOU: 1, f"{HAIKOU}›营业部": 1}),  # J-4 is the 分公司's own problem
    (("--unit", "甲公司/海口分公司/财务部"), (2, 1, 1, 1), {f"{HAIKOU}›财务部": 2}),
    (("--company", "乙公司"), (3, 1, 1, 1), {"乙公司›财务部": 2, "乙公司›文昌分公司": 1}),
    (("--company", "乙公司", "--unit", "财务部"), (2, 1, 1, 1), {"乙公司›财务部": 2}),
])
def test_figures_at_every_level_are_the_hand_counted_ones(group_db, capsys, args, expected, children):
    figures = summary_of(group_db, capsys, *args)
    assert counts(figures) == expected
    assert figures["by_unit"] == children
    assert set(figures["units"]) == set(children)


def test_same_named_units_and_codes_in_two_companies_never_merge(group_db, capsys):
    """The attack: 乙公司's 财务部 and its problem J-1 merged into 甲公司's (one 财务部, one J-1, a changed company
    score, no warning)."""
    with open_db(group_db, read_only=True) as con:
        units = dict(con.execute("SELECT problem_code || '@' || unit, count(*) FROM problem_state "
                                 "GROUP BY ALL").fetchall())
        assert con.execute("SELECT count(DISTINCT problem_id) FROM problem_state WHERE problem_code = 'J-1'"
                           ).fetchone()[0] == 2
    assert units["J-1@甲公司›海口分公司›财务部"] == 1 and units["J-1@乙公司›财务部"] == 1
    jia, yi = (summary_of(group_db, capsys, "--company", c) for c in ("甲公司", "乙公司"))
    assert "乙公司›财务部" not in jia["units"] and not any(k.startswith("甲公司") for k in yi["units"])


def test_a_companys_score_rolls_up_from_its_children(group_db, capsys):
    """mean rule: 甲公司's dimension score is the mean of its three children's, each rolled up from its own."""
    jia = summary_of(group_db, capsys, "--company", "甲公司")
    for dim, score in jia["company"]["dimensions"].items():
        children = [u["dimensions"][dim] for u in jia["units"].values()]
        assert score == pytest.approx(sum(children) / len(children), abs=0.051)
    whole = summary_of(group_db, capsys)
    assert set(whole["units"]) == {JIA, YI}
    assert whole["units"][JIA]["score"] == jia["company"]["score"]


def test_aliases_and_run_together_names_resolve(group_db):
    with open_db(group_db, read_only=True) as con:
        found = dict(con.execute("SELECT name, unit FROM unit_map WHERE company = '甲公司'").fetchall())
    assert found == {"海口分公司财务部": f"{HAIKOU}›财务部", "海口财务部": f"{HAIKOU}›财务部",
                     "营业部": f"{HAIKOU}›营业部", "海口市分公司": HAIKOU, "三亚财务部": f"{SANYA}›财务部",
                     "纪检部": "甲公司›纪检部"}


def test_the_company_is_inferred_from_the_file_name_and_the_title(group_db):
    with open_db(group_db, read_only=True) as con:
        placed = dict(con.execute("SELECT file_name, company FROM imports").fetchall())
    assert placed == {group.JIA: JIA, group.YI: YI}


# ---- the register ----

def register_of(rows: list[list]) -> list[reg.Row]:
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    return reg.rows_from_frame(frame)


def test_resolving_names_within_a_company():
    con = duckdb.connect()
    ensure_schema(con)
    reg.save(con, register_of(group.REGISTER_ROWS), "test")
    r = org.load(con)
    assert r.resolve("甲公司", "财务部") == org.AMBIGUOUS  # two 分公司 have one
    assert r.resolve("乙公司", "财务部") == "乙公司›财务部"
    assert r.resolve("甲公司", "海口") == HAIKOU
    assert r.resolve("甲公司", "海口分公司 / 营业部") == f"{HAIKOU}›营业部"
    assert r.resolve("甲公司", "三亚分公司财务部") == f"{SANYA}›财务部"
    assert r.resolve("甲公司", "文昌分公司") is None  # 乙公司's
    assert r.company_named("填报单位：乙司纪委") == "乙公司"
    assert r.company_named("2025年台账") is None


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: [*rows, ["甲公司/无此分公司", "财务部", "部门", None, None, None]], "第 13 行「上级单位」列：找不到上级单位"),
    (lambda rows: [*rows, ["甲公司", "海口分公司", "分公司", None, None, None]], "第 13 行「单位名称」列：「甲公司 › 海口分公司」与第 3 行重复"),
    (lambda rows: [*rows, ["甲公司", "儋州分公司", "分公司", None, None, "海口"]], "第 13 行「别名」列：别名「海口」在甲公司内已指"),
    (lambda rows: [*rows, ["甲公司", "财务/审计部", "部门", None, None, None]], "含有 › / \\\\ > 等分隔符"),
    (lambda rows: [*rows, ["甲公司", "审计部", "处室", None, None, None]], "「类型」列：「处室」不是可选的类型"),
    (lambda rows: [*rows, ["甲公司", "审计部", "部门", "", "十个", None]], "「人数」列：「十个」不是人数"),
    (lambda rows: [*rows, [None, "审计部", "部门", None, None, None]], "公司不填上级单位"),
])
def test_a_bad_register_is_refused_whole_naming_row_and_column(group_db, tmp_path, change, message):
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    path = write_xlsx(tmp_path / "组织架构.xlsx", {"组织架构": change([list(r) for r in group.REGISTER_ROWS])})
    with open_db(db, read_only=True) as con:
        before = con.execute("SELECT * FROM org_nodes ORDER BY node_id").fetchall()
    with pytest.raises(DashboardError, match=message.replace("(", r"\(")):
        rows = reg.read_xlsx(path.name, path.read_bytes(), LIMITS)
        with open_db(db) as con:
            actions.save_org(con, operator(), rows, cfg=CFG, source=path.name)
    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT * FROM org_nodes ORDER BY node_id").fetchall() == before


def test_the_register_exports_with_drop_downs_and_imports_back_the_same(group_db, tmp_path):
    with open_db(group_db, read_only=True) as con:
        register = org.load(con)
    content = reg.to_xlsx(register)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["组织架构"]
    validations = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert validations["C2"] == '"公司,分公司,部门,区域,单位"' and "可选上级" in validations["A2"]
    assert book["可选上级"].sheet_state == "hidden"
    again = reg.read_xlsx("组织架构.xlsx", content, LIMITS)
    assert [(r.parent, r.name, r.kind, r.peer_group, r.head_count, set(r.aliases)) for r in again] == [
        (r.parent, r.name, r.kind, r.peer_group, r.head_count, set(r.aliases))
        for r in register_of(group.REGISTER_ROWS)]


def test_a_company_with_imports_cannot_be_removed(group_db, tmp_path):
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    rows = [r for r in register_of(group.REGISTER_ROWS) if not (r.name == "乙公司" or r.parent.startswith("乙公司"))]
    with open_db(db) as con, pytest.raises(DashboardError, match="公司「乙公司」已有导入的台账"):
        actions.save_org(con, operator(), rows, cfg=CFG, source="test")


def renamed_sales(db: Path) -> list[reg.Row]:
    """The register with 海口分公司's 营业部 renamed 市场营销部 saved into db: the ledgers' 营业部 no longer known."""
    rows = [r if r.name != "营业部" else reg.Row(r.parent, "市场营销部", r.kind, r.peer_group, r.head_count, (),
                                                r.where) for r in register_of(group.REGISTER_ROWS)]
    with open_db(db) as con:
        actions.save_org(con, operator(), rows, cfg=CFG, source="test")
    return rows


def test_an_alias_added_later_moves_the_problems_at_once(group_db, tmp_path, capsys):
    """Editing the register re-reads every figure's units: 营业部 renamed away, then given back as an alias."""
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    rows = renamed_sales(db)
    haikou = summary_of(db, capsys, "--unit", "甲公司/海口分公司")
    assert f"{HAIKOU}›营业部" not in haikou["by_unit"] and summary_of(db, capsys, "--company", "甲公司")["by_unit"][
        "甲公司›营业部"] == 1  # not registered: counted directly under its company
    with open_db(db) as con:
        assert actions.unregistered_units(con, operator())["name"].tolist() == ["营业部"]
        rows = [r if r.name != "市场营销部" else reg.Row(r.parent, r.name, r.kind, None, None, ("营业部",), r.where)
                for r in rows]
        actions.save_org(con, operator(), rows, cfg=CFG, source="test")
        assert derived.stale(con, CFG) == []
    assert summary_of(db, capsys, "--unit", "甲公司/海口分公司")["by_unit"][f"{HAIKOU}›市场营销部"] == 1


# ---- imports into a company ----

def ledger(path: Path, units: list[str], codes: list[str] | None = None) -> Path:
    rows = [problem_row(i + 1, (codes or [f"N-{i}" for i in range(len(units))])[i], unit=u, found="2025-04-01",
                        deadline="2025-09-30") for i, u in enumerate(units)]
    return write_xlsx(path, {"问题台账": [HEADER, *rows]})


def test_unknown_units_are_refused_by_the_cli_unless_added(group_db, tmp_path, capsys):
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    path = ledger(tmp_path / "乙公司2025年第二季度补充台账.xlsx", ["综合部", "安全环保部"])
    capsys.readouterr()
    assert _cli("import", "--db", str(db), str(path)) == 1
    out = capsys.readouterr().out
    assert "「安全环保部」不在乙公司的组织架构中" in out and "整个文件未导入" in out
    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 2
    assert _cli("import", "--db", str(db), "--add-units", str(path)) == 0
    assert "新增单位「乙公司 › 安全环保部」" in capsys.readouterr().out
    assert summary_of(db, capsys, "--company", "乙公司")["by_unit"]["乙公司›安全环保部"] == 1


def test_a_file_of_no_known_company_must_be_given_one(group_db, tmp_path, capsys):
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    path = ledger(tmp_path / "2025年第二季度台账.xlsx", ["纪检部"])
    capsys.readouterr()
    assert _cli("import", "--db", str(db), str(path)) == 1
    assert "请指定台账所属公司" in capsys.readouterr().err
    assert _cli("import", "--db", str(db), "--company", "甲公司", str(path)) == 0
    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT company FROM imports ORDER BY import_id DESC LIMIT 1").fetchone()[0] == JIA


def test_an_answer_is_remembered_as_an_alias(group_db, tmp_path):
    """The page's mapping step: 海口营业部 is 海口分公司's 营业部; the next ledger saying so asks nothing."""
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    path = ledger(tmp_path / "甲公司补充台账2025Q2.xlsx", ["海口营销中心"])
    parsed = parse_file(path.name, path.read_bytes())
    office = User("office", "纪委办")
    with open_db(db) as con:
        company, how, asked = actions.import_place(con, office, parsed)
        assert (company, how, [q.text for q in asked]) == (JIA, "文件名", ["海口营销中心"])
        result = actions.import_file(con, office, parsed, cfg=CFG,
                                     unit_answers={"海口营销中心": ("alias", f"{HAIKOU}›营业部")})
        assert result.ok, result.message
        again = ledger(tmp_path / "甲公司补充台账二.xlsx", ["海口营销中心"], ["M-1"])
        assert actions.import_place(con, office, parse_file(again.name, again.read_bytes()))[2] == []
        assert "海口营销中心" in org.load(con).aliases[org.load(con).by_key[f"{HAIKOU}›营业部"].node_id]


def test_an_answer_outside_the_company_is_refused(group_db, tmp_path):
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    path = ledger(tmp_path / "甲公司补充台账.xlsx", ["综合管理部"])
    parsed = parse_file(path.name, path.read_bytes())
    with open_db(db) as con, pytest.raises(DashboardError, match="不是甲公司的单位"):
        actions.import_file(con, operator(), parsed, cfg=CFG,
                            unit_answers={"综合管理部": ("alias", "乙公司›文昌分公司›综合部")})


# ---- scopes by subtree ----

HAIKOU_SECRETARY = User("hk", SECRETARY, HAIKOU)
OTHERS = ("三亚", "乙公司", "纪检部", "文昌", "J-5", "J-6", "Y-2", "Y-3", "备用金", "资金支付")


def text_of(data: object) -> str:
    if isinstance(data, dict):
        return " ".join(f"{k} {text_of(v)}" for k, v in data.items())
    if isinstance(data, list | tuple):
        return " ".join(map(text_of, data))
    if isinstance(data, pd.DataFrame):
        return data.to_csv()
    return str(data)


@pytest.mark.parametrize("view", ["overview", "problem_trends", "rectification", "scores", "follow_up"])
def test_a_subtree_scope_sees_no_other_subtree_in_any_view(group_db, view):
    """A 分公司's 纪委书记 sees 海口分公司 and what is under it, and nothing of 三亚分公司, 纪检部 or 乙公司, even when
    the sidebar asks for everything; the group's secretary sees those names (the check can fail)."""
    with derived.reading(group_db, CFG) as con:
        mine = text_of(actions.page_data(con, HAIKOU_SECRETARY, view, Q2, Scope(), cfg=CFG))
        asked = text_of(actions.page_data(con, HAIKOU_SECRETARY, view, Q2, Scope(units=("乙公司",)), cfg=CFG))
        everyone = text_of(actions.page_data(con, User("s", SECRETARY), view, Q2, Scope(), cfg=CFG))
    for name in OTHERS:
        assert name not in mine and name not in asked
    assert any(name in everyone for name in OTHERS)
    if view == "overview":
        assert "海口分公司" in mine


def test_a_subtree_scope_in_portraits_exports_and_options(group_db):
    with derived.reading(group_db, CFG) as con:
        assert set(actions.filter_options(con, HAIKOU_SECRETARY)["unit"]) == {
            HAIKOU, f"{HAIKOU}›财务部", f"{HAIKOU}›营业部"}
        with pytest.raises(AccessDenied):
            actions.page_data(con, HAIKOU_SECRETARY, "unit_portrait", Q2, Scope(), f"{SANYA}›财务部", cfg=CFG)
        portrait = text_of(actions.page_data(con, HAIKOU_SECRETARY, "unit_portrait", Q2, Scope(),
                                             f"{HAIKOU}›财务部", cfg=CFG))
        for fmt in ("xlsx", "html"):
            snapshot, content = actions.export(con, HAIKOU_SECRETARY, Q2, Scope(), fmt, cfg=CFG)
            # the html's own text and data, not the charting library bundled into it
            text = re.sub(r"<script[^>]*>.{100000,}?</script>", "", content.decode(), flags=re.S) \
                if fmt == "html" else _xlsx_text(content)
            assert "海口分公司" in text
            for name in OTHERS:
                assert name not in text, (fmt, name)
    assert all(name not in portrait for name in OTHERS)
    assert snapshot.parts <= EVERY_PART


def _xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)


def test_a_department_head_under_a_branch_sees_their_unit_only(group_db):
    head = User("cw", HEAD, f"{HAIKOU}›财务部")
    with derived.reading(group_db, CFG) as con:
        figures = actions.page_data(con, head, "rectification", Q2, Scope(), cfg=CFG)
    assert figures["by_unit"]["unit"].tolist() == [f"{HAIKOU}›财务部"]


def test_an_account_named_as_the_ledgers_named_its_unit_is_resolved(group_db):
    """An account made before the register (unit 海口市分公司, an alias) sees 海口分公司's subtree."""
    with derived.reading(group_db, CFG) as con:
        assert org.units_under(con, "海口市分公司")[0] == HAIKOU
        assert org.units_under(con, "财务部") == ("财务部",)  # ambiguous: matches nothing rather than too much


# ---- roll-up rules ----

RAW = pd.DataFrame({
    "unit": ["A›x", "A›x", "A›y›p", "A›y›p", "A›y›q", "A›y›q", "A›y", "A›y"],
    "dimension": ["d1", "d2"] * 4,
    "score": [90.0, 80.0, 70.0, 60.0, 100.0, 100.0, 40.0, 40.0],
})


def test_rollup_by_the_mean_of_children_level_by_level():
    """A›y = mean(p, q, its own rows) = (70+100+40)/3 = 70 on d1; A = mean(x, y) = (90+70)/2 = 80 on d1."""
    children = rollup.node_scores(RAW, "A", "mean").set_index(["unit", "dimension"])["score"]
    assert children[("A›y", "d1")] == pytest.approx(70.0) and children[("A›y", "d2")] == pytest.approx(200 / 3)
    assert rollup.node_scores(RAW, None, "mean").set_index("dimension")["score"]["d1"] == pytest.approx(80.0)


def test_rollup_weighted_by_problems_and_head_count():
    problems = {"A›x": 1, "A›y›p": 3, "A›y›q": 1, "A›y": 0}
    # y: own rows weigh as the others' mean (2): (70*3 + 100*1 + 40*2) / 6 = 65; A: (90*1 + 65*4) / 5 = 70
    top = rollup.node_scores(RAW, None, "problems", problems).set_index("dimension")["score"]
    assert top["d1"] == pytest.approx((90 * 1 + 65 * 4) / 5)
    heads = {"A›x": 10, "A›y": 30}  # y registered with 30 people: its own count, not its units'
    assert rollup.node_scores(RAW, None, "head_count", heads=heads).set_index("dimension")["score"]["d1"] == \
        pytest.approx((90 * 10 + 70 * 30) / 40)


def test_node_of_a_set_of_units():
    assert rollup.node_of(["A›y›p", "A›y›q", "A›y"]) == "A›y"
    assert rollup.node_of(["A›x", "B›x"]) is None
    assert rollup.node_of(None) is None


# ---- a database without a register ----

def test_a_database_without_a_register_keeps_its_figures(demo_db, tmp_path, capsys):
    """The bundled demo (no register): units are the ledgers' names, the company score the mean over units, and
    registering its one company changes no figure, only the units' keys (now under the company)."""
    db = Path(shutil.copy(demo_db, tmp_path / "demo.duckdb"))
    before = summary_of(db, capsys)
    with open_db(db, read_only=True) as con:
        assert org.load(con).empty
        units = [u for u in org.known_units(con)]
    assert SEP not in "".join(units) and set(before["by_unit"]) == set(units)
    rows = [reg.Row("", "演示公司", "公司"), *[reg.Row("演示公司", u, "部门") for u in units]]
    with open_db(db) as con:
        changed = actions.save_org(con, operator(), rows, cfg=CFG, source="test")
    assert changed["claimed_imports"] > 0
    after = summary_of(db, capsys)
    assert set(after["by_unit"]) == {"演示公司"}
    company = summary_of(db, capsys, "--company", "演示公司")
    assert {k: company[k] for k in ("total", "closed", "overdue", "company")} == {
        k: before[k] for k in ("total", "closed", "overdue", "company")}
    assert {k.split(SEP, 1)[1]: v for k, v in company["by_unit"].items()} == before["by_unit"]


def test_a_scoped_account_keeps_nothing_that_spans_every_unit():
    """A 分公司's 纪委书记 holds the secretary's role, but not its rights over the whole database."""
    from analytics.access import WHOLE_ONLY, can
    whole = User("s", SECRETARY)
    assert all(can(whole, p) for p in WHOLE_ONLY)
    assert not any(can(HAIKOU_SECRETARY, p) for p in WHOLE_ONLY)
    assert can(HAIKOU_SECRETARY, "all_units") and can(HAIKOU_SECRETARY, "export")


@pytest.mark.parametrize(("content", "message"), [
    (b"PK\x03\x04 not really a zip", "无法作为组织架构表读取"),
    ("上级单位,单位名称\n,甲公司\n".encode(), "无法作为组织架构表读取"),  # a CSV named .xlsx
    (b"", "文件为空"),
])
def test_a_file_that_is_no_register_is_refused_in_chinese(content, message):
    with pytest.raises(DashboardError, match=message):
        reg.read_xlsx("组织架构.xlsx", content, LIMITS)


def test_a_register_beyond_its_limits_is_refused_before_it_is_read(tmp_path):
    """The attack: a 'register' of 30,000 rows, read in the server process: refused by the hardened reader's row
    limit for registers (20,000), not parsed."""
    rows = [["上级单位", "单位名称", "类型"], [None, "甲公司", "公司"],
            *[["甲公司", f"单位{i}", "部门"] for i in range(30_000)]]
    path = write_xlsx(tmp_path / "大表.xlsx", {"组织架构": rows})
    with pytest.raises(DashboardError, match="无法作为组织架构表读取"):
        reg.read_xlsx(path.name, path.read_bytes(), LIMITS)


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    """An alias written as =HYPERLINK(…) is a name like any other: stored as given and exported as text."""
    con = duckdb.connect()
    ensure_schema(con)
    reg.save(con, [reg.Row("", "甲公司", "公司"), reg.Row("甲公司", "财务部", "部门", aliases=('=HYPERLINK("x")',))],
             "test")
    book = openpyxl.load_workbook(io.BytesIO(reg.to_xlsx(org.load(con))))
    cell = book["组织架构"]["F3"]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"
