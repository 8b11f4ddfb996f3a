"""组织架构 on the pages (AppTest, headless): the register page maps a ledger's unknown unit, 集团视图 sets the two
companies side by side, and a 分公司's 纪委书记 sees nothing of another subtree on any page (the bytes sent to the
browser, tables and charts included)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analytics import actions, org
from analytics.access import SECRETARY, operator
from analytics.cli import main as cli
from analytics.db import open_db
from analytics.users import UserStore
from tests import group_ledgers as group
from tests.conftest import PASSWORD, logged_in
from tests.test_access import page_bytes
from tests.test_org import HAIKOU, renamed_sales
from tests.test_pages_meetings import open_page

OTHERS = ("三亚", "乙公司", "文昌", "备用金", "资金支付")
PAGES = ["app_pages/overview.py", "app_pages/trends.py", "app_pages/rectification.py", "app_pages/scores.py",
         "app_pages/follow_up.py", "app_pages/export_snapshot.py", "app_pages/meetings.py", "app_pages/notices.py",
         "app_pages/workbooks.py"]


@pytest.fixture(scope="module")
def group_db(tmp_path_factory) -> Path:
    files = group.write_group(tmp_path_factory.mktemp("files"))
    db = tmp_path_factory.mktemp("db") / "group.duckdb"
    assert cli(["org", "import", str(files / group.REGISTER), "--db", str(db)]) == 0
    assert cli(["import", "--db", str(db), str(files / group.JIA), str(files / group.YI)]) == 0
    return db


@pytest.fixture
def haikou_account(monkeypatch, tmp_path, accounts_file) -> str:
    """The accounts file with one more: 海口分公司's 纪委书记."""
    path = Path(shutil.copy(accounts_file, tmp_path / "users.json"))
    UserStore(path).add("haikou", SECRETARY, PASSWORD, HAIKOU)
    monkeypatch.setenv("DASHBOARD_USERS", str(path))
    return "haikou"


@pytest.mark.parametrize("page", PAGES)
def test_a_branch_secretary_sees_no_other_subtree_on_any_page(monkeypatch, group_db, haikou_account, page):
    at = open_page(monkeypatch, group_db, page, haikou_account)
    shown = page_bytes(at)
    assert [name for name in OTHERS if name.encode() in shown] == []
    assert "海口分公司".encode() in shown


def test_the_group_secretary_sees_both_companies_side_by_side(monkeypatch, group_db):
    at = open_page(monkeypatch, group_db, "app_pages/group.py", "secretary")
    assert at.title[0].value == "集团视图"
    table = at.dataframe[0].value
    assert table["company"].tolist() == ["甲公司", "乙公司"] and table["total"].tolist() == [6, 3]
    assert all(name.encode() in page_bytes(at) for name in ("甲公司", "乙公司"))


def test_the_unit_filter_lists_the_tree(monkeypatch, group_db):
    at = open_page(monkeypatch, group_db, "app_pages/overview.py", "secretary")
    options = at.sidebar.multiselect(key="filter_units").options
    assert options[:3] == ["甲公司", "甲公司 › 海口分公司", "甲公司 › 海口分公司 › 财务部"]
    at.sidebar.multiselect(key="filter_units").set_value([HAIKOU]).run()
    assert not at.exception
    total = next(m for m in at.metric if m.label == "问题总数")
    assert total.value == "4"  # 海口分公司 and what is under it: J-1 … J-4


def test_the_register_page_maps_a_ledgers_unknown_unit(monkeypatch, group_db, tmp_path):
    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    renamed_sales(db)
    at = open_page(monkeypatch, db, "app_pages/org.py", "office")
    assert at.title[0].value == "组织架构"
    assert any("营业部" in m.value for m in at.markdown)
    at.selectbox(key="org_how_甲公司_营业部").set_value("记为已有单位的别名")
    at.selectbox(key="org_target_甲公司_营业部").set_value(f"{HAIKOU}›市场营销部")
    next(b for b in at.button if b.key == "org_ok_甲公司_营业部").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("组织架构已保存" in s.value for s in at.success)
    with open_db(db, read_only=True) as con:
        register = org.load(con)
        assert "营业部" in register.aliases[register.by_key[f"{HAIKOU}›市场营销部"].node_id]
        assert actions.unregistered_units(con, operator()).empty


@pytest.mark.parametrize("account", ["head", "haikou"])
def test_a_scoped_account_has_no_register_or_group_page(monkeypatch, group_db, haikou_account, account):
    """The register and the companies side by side span every unit: not for a 部门负责人, nor a 分公司's
    纪委书记 (whose role keeps the register when it is the whole company's)."""
    monkeypatch.setenv("DASHBOARD_DB", str(group_db))
    at = logged_in(account).run()
    for page in ("app_pages/org.py", "app_pages/group.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in their navigation
            at.switch_page(page)


def test_the_import_page_asks_for_the_company_and_each_unknown_unit_and_remembers(monkeypatch, group_db, tmp_path):
    """台账导入's 单位确认: a ledger naming no company is given one; its unit 海口营销中心 is answered as 海口分公司's
    营业部 and imported under it, the answer kept as an alias."""
    from tests.conftest import HEADER, problem_row, write_xlsx
    from tests.test_import_page import click_import, period_box, text, upload

    db = Path(shutil.copy(group_db, tmp_path / "g.duckdb"))
    ledger = write_xlsx(tmp_path / "2025年第二季度补充台账.xlsx", {"台账": [
        HEADER, problem_row(1, "N-1", unit="海口营销中心", found="2025-04-01", deadline="2025-09-30")]})
    at = open_page(monkeypatch, db, "app_pages/import_ledgers.py", "office")
    upload(at, ledger)
    assert period_box(at).value == "2025Q2"
    assert "请选择所属公司" in text(at)
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "所属公司")).set_value("甲公司").run()
    question = next(s for s in at.selectbox if "海口营销中心" in s.label)
    assert "不在甲公司的组织架构中" in question.label
    question.set_value("就是：海口分公司 › 营业部").run()
    assert not at.exception
    click_import(at)
    assert "组织架构：「海口营销中心」记为「甲公司 › 海口分公司 › 营业部」的别名" in text(at)
    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT DISTINCT unit FROM problem_state WHERE problem_code = 'N-1'").fetchall() == [
            (f"{HAIKOU}›营业部",)]
        register = org.load(con)
        assert "海口营销中心" in register.aliases[register.by_key[f"{HAIKOU}›营业部"].node_id]
