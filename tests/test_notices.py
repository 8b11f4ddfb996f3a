"""督办文书: drafted from the warnings, numbered per kind and year, followed 拟稿 → 签发 → 送达 → 已回复 → 办结 (or
退回重报), each step by its role and in the audit trail; a reply not in by its date is a warning; the Word document
checked as a reader would."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import docx
import pytest

from analytics import actions, alerts, audit, derived, notices
from analytics.access import AccessDenied, User
from analytics.config import audit_path
from analytics.db import database_file
from analytics.errors import ConfigError
from analytics.notices import CLOSED, DELIVER, DELIVERED, DRAFT, REPLIED, REPLY, RETURN, SIGN, SIGNED, VERIFY
from analytics.periods import parse_period
from tests.conftest import CFG, HEADER, load, problem_row, write_xlsx

Q2 = parse_period("2025Q2")  # ends 2025-06-30: days overdue are counted to that day
NCFG = notices.NoticeConfig(issuer="测试集团纪委", numbers=(("工作提醒函", "X纪提〔{year}〕{seq}号"),
                                                            ("工作督办单", "X纪督〔{year}〕{seq}号"),
                                                            ("纪检建议书", "X纪建〔{year}〕{seq}号")))
OFFICE, SECRETARY = User("办公室小王", "纪委办"), User("书记", "纪委书记")
ADMIN, MEMBER = User("管理员", "管理员"), User("委员", "纪委委员")
HEAD, OTHER_HEAD = User("采购部长", "部门负责人", "采购部"), User("物流部长", "部门负责人", "物流部")
NOW = dt.datetime(2025, 7, 3, 9, 30)
# 采购部's four open problems in four dimensions (no unit-level warning), 物流部's one
ROWS = [
    problem_row(1, "N-1", unit="采购部", category="作风建设", deadline="2025-05-15"),  # 46 days overdue: 督办单
    problem_row(2, "N-2", unit="采购部", category="廉洁建设", deadline="2025-05-01"),  # 60 days overdue: 督办单
    problem_row(3, "N-3", "未启动", unit="采购部", category="选人用人", deadline="2025-07-10"),  # 10 days left: 提醒函
    problem_row(4, "N-4", unit="采购部", category="安全生产", deadline="2025-01-31"),  # 150 days overdue: 建议书
    problem_row(5, "N-5", unit="物流部", deadline="2025-05-20"),  # 41 days overdue: 督办单
    problem_row(6, "N-6", "已销号", unit="物流部", closed="2025-04-01", deadline="2025-03-31"),
]


@pytest.fixture
def ledger(con, tmp_path):
    result = load(con, write_xlsx(tmp_path / "2025年第二季度问题整改台账.xlsx", {"台账": [HEADER, *ROWS]}), "2025Q2")
    assert result.outcome == "imported", [i.message() for i in result.issues]
    derived.bring_up_to_date(con, CFG)
    return con


def ids(con, *codes: str) -> list[int]:
    found = dict(con.execute("SELECT problem_code, problem_id FROM problem_state").fetchall())
    return [found[c] for c in codes]


def draft(con, kind="督办单", unit="采购部", now=NOW, **options) -> tuple[int, str]:
    return actions.draft_notice(con, OFFICE, NCFG, Q2, cfg=CFG, kind=kind, unit=unit, now=now, **options)


def step(con, user, notice_id, name, at=NOW, **options) -> str:
    return actions.notice_step(con, user, notice_id, name, ncfg=NCFG, now=at, **options)


def trail(con) -> list[dict]:
    path = audit_path(database_file(con))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_warnings_the_fixture_gives(ledger):
    """The hand computation below assumes these tiers (thresholds 20 / 30 / 30 / 90 days, data/scoring.toml)."""
    found = alerts.warnings(ledger, Q2, cfg=CFG)
    assert sorted(zip(found["problem_code"], found["tier"], found["rule"], strict=True)) == [
        ("N-1", "工作督办单", "已逾期 46 天，超过 30 天"), ("N-2", "工作督办单", "已逾期 60 天，超过 30 天"),
        ("N-3", "工作提醒函", "距整改时限还有 10 天（20 天内到期）"),
        ("N-4", "纪检建议书", "已逾期 150 天，超过 90 天"), ("N-5", "工作督办单", "已逾期 41 天，超过 30 天")]


# ---- drafting and numbering ----

def test_a_draft_for_a_unit_lists_its_problems_of_that_tier_with_deadline_and_rule(ledger):
    notice_id, number = draft(ledger)
    assert number == "X纪督〔2025〕1号"
    found = actions.notice_detail(ledger, OFFICE, notice_id)
    n = found["notice"]
    assert (n["kind"], n["unit"], n["period"], n["status"], n["issuer"]) == ("工作督办单", "采购部", "2025Q2", DRAFT,
                                                                             "测试集团纪委")
    # 15 days after 2025-07-03 (reply_days of the configuration)
    assert n["reply_by"] == dt.date(2025, 7, 18)
    listed = found["problems"]
    # N-2's deadline comes first; N-3 (提醒函) and N-4 (建议书) are of other tiers, N-5 of another unit
    assert listed["problem_code"].tolist() == ["N-2", "N-1"]
    assert [d.date() for d in listed["deadline"]] == [dt.date(2025, 5, 1), dt.date(2025, 5, 15)]
    assert listed["rule"].tolist() == ["已逾期 60 天，超过 30 天", "已逾期 46 天，超过 30 天"]
    assert found["steps"][["step_name", "status", "by_name", "by_role"]].values.tolist() == [
        ["拟稿", DRAFT, "办公室小王", "纪委办"]]


def test_chosen_problems_make_a_draft_of_their_highest_tier(ledger):
    notice_id, number = actions.draft_notice(ledger, OFFICE, NCFG, Q2, cfg=CFG, problem_ids=ids(ledger, "N-3", "N-4"),
                                             now=NOW)
    assert number == "X纪建〔2025〕1号"  # N-4 is a 纪检建议书
    listed = actions.notice_detail(ledger, OFFICE, notice_id)["problems"]
    assert listed["problem_code"].tolist() == ["N-4", "N-3"]


def test_chosen_problems_of_two_units_or_without_a_warning_are_refused(ledger):
    """Attack: one document addressed to one unit listing another unit's problem, or an unwarned one."""
    with pytest.raises(notices.NoticeRefused, match="同一个责任单位"):
        actions.draft_notice(ledger, OFFICE, NCFG, Q2, cfg=CFG, problem_ids=ids(ledger, "N-1", "N-5"), now=NOW)
    with pytest.raises(notices.NoticeRefused, match="未触发预警"):
        actions.draft_notice(ledger, OFFICE, NCFG, Q2, cfg=CFG, problem_ids=ids(ledger, "N-6"), now=NOW)


def test_a_unit_without_a_warning_of_that_tier_gets_no_draft_and_no_number(ledger):
    with pytest.raises(notices.NoticeRefused, match="物流部在2025年第二季度没有达到「纪检建议书」一级的预警"):
        draft(ledger, "建议书", "物流部")
    assert draft(ledger, "督办单", "物流部")[1] == "X纪督〔2025〕1号"  # the refusal took no number


def test_numbers_run_per_kind_and_year_without_gaps_or_duplicates(ledger):
    """Attack: two kinds sharing a sequence, a new year carrying on the old one's, or a refused draft leaving a gap."""
    assert draft(ledger)[1] == "X纪督〔2025〕1号"
    assert draft(ledger, "提醒函")[1] == "X纪提〔2025〕1号"
    with pytest.raises(notices.NoticeRefused, match="回复时限"):
        draft(ledger, reply_by=dt.date(2025, 7, 1))  # before the drafting day: refused inside, nothing kept
    assert draft(ledger, "工作督办单", "物流部")[1] == "X纪督〔2025〕2号"
    assert draft(ledger, now=dt.datetime(2026, 1, 5, 8, 0))[1] == "X纪督〔2026〕1号"
    rows = ledger.execute("SELECT kind, year, seq FROM notices ORDER BY notice_id").fetchall()
    assert rows == [("工作督办单", 2025, 1), ("工作提醒函", 2025, 1), ("工作督办单", 2025, 2), ("工作督办单", 2026, 1)]
    with pytest.raises(Exception, match=r"(?i)duplicate|constraint"):  # the table itself refuses a second 2号
        ledger.execute("INSERT INTO notices SELECT notice_id + 10, kind, year, seq, number, issuer, unit, period, "
                       "title, basis, reply_by, status, drafted_at, drafted_by FROM notices WHERE notice_id = 3")


# ---- the lifecycle ----

def test_the_lifecycle_end_to_end_with_a_reply_sent_back_once(ledger):
    notice_id, number = draft(ledger)
    day = NOW
    assert step(ledger, SECRETARY, notice_id, SIGN, day + dt.timedelta(hours=2)) == SIGNED
    assert step(ledger, OFFICE, notice_id, DELIVER, day + dt.timedelta(days=1)) == DELIVERED
    first = notices.ReplyFile("整改情况报告.docx", b"first reply")
    assert step(ledger, OFFICE, notice_id, REPLY, day + dt.timedelta(days=5), reply_text="已整改一项",
                reply_file=first) == REPLIED
    assert step(ledger, OFFICE, notice_id, RETURN, day + dt.timedelta(days=6), note="佐证材料不全",
                reply_by=dt.date(2025, 7, 25)) == DELIVERED
    assert step(ledger, OFFICE, notice_id, REPLY, day + dt.timedelta(days=9),
                reply_text="两项均已整改并附佐证") == REPLIED
    assert step(ledger, OFFICE, notice_id, VERIFY, day + dt.timedelta(days=10)) == CLOSED

    found = actions.notice_detail(ledger, OFFICE, notice_id)
    assert found["notice"]["status"] == CLOSED and found["notice"]["reply_by"] == dt.date(2025, 7, 25)
    assert found["steps"][["step_name", "status", "by_name"]].values.tolist() == [
        ["拟稿", DRAFT, "办公室小王"], ["签发", SIGNED, "书记"], ["送达", DELIVERED, "办公室小王"],
        ["登记回复", REPLIED, "办公室小王"], ["退回重报", DELIVERED, "办公室小王"], ["登记回复", REPLIED, "办公室小王"],
        ["核验通过", CLOSED, "办公室小王"]]
    assert [t.to_pydatetime() for t in found["steps"]["step_at"]][1] == dt.datetime(2025, 7, 3, 11, 30)
    assert found["steps"]["note"].tolist()[4] == "佐证材料不全"
    replies = found["replies"]
    assert replies["text"].tolist() == ["已整改一项", "两项均已整改并附佐证"]
    assert replies["file_name"].tolist()[0] == "整改情况报告.docx" and replies["file_size"].tolist()[0] == 11
    assert actions.reply_file(ledger, OFFICE, notice_id, 1) == ("整改情况报告.docx", b"first reply")

    # every step in the audit trail, with the document's number and the status it led to
    entries = [e for e in trail(ledger) if e["action"].startswith("notice_")]
    assert [(e["action"], e["who"], e["details"].get("status")) for e in entries] == [
        ("notice_draft", "办公室小王", None), ("notice_sign", "书记", SIGNED),
        ("notice_deliver", "办公室小王", DELIVERED),
        ("notice_reply", "办公室小王", REPLIED), ("notice_return", "办公室小王", DELIVERED),
        ("notice_reply", "办公室小王", REPLIED), ("notice_verify", "办公室小王", CLOSED)]
    assert {e["details"]["number"] for e in entries} == {number}
    assert sorted(entries[0]["details"]["problems"]) == sorted(ids(ledger, "N-1", "N-2"))
    assert entries[3]["details"]["file"] == "整改情况报告.docx" and len(entries[3]["details"]["sha256"]) == 64
    assert all(audit.ACTIONS[e["action"]] for e in entries)


@pytest.mark.parametrize(("status_steps", "refused", "message"), [
    ((), DELIVER, "文书「X纪督〔2025〕1号」当前为「拟稿」，不能送达（「已签发」的文书才能送达）"),
    ((), REPLY, "当前为「拟稿」，不能登记回复"),
    ((SIGN,), SIGN, "当前为「已签发」，不能签发"),
    ((SIGN, DELIVER), VERIFY, "当前为「已送达」，不能核验通过"),
    ((SIGN, DELIVER, REPLY, VERIFY), RETURN, "当前为「办结」，不能退回重报"),
    ((SIGN, DELIVER, REPLY, VERIFY), REPLY, "当前为「办结」，不能登记回复"),
], ids=["deliver a draft", "reply to a draft", "sign twice", "verify before a reply", "reopen a closed one",
        "reply to a closed one"])
def test_an_illegal_step_is_refused_in_chinese_and_changes_nothing(ledger, status_steps, refused, message):
    notice_id, _ = draft(ledger)
    for name in status_steps:
        step(ledger, SECRETARY if name == SIGN else OFFICE, notice_id, name, reply_text="回复")
    before = ledger.execute("SELECT count(*) FROM notice_steps").fetchone()[0]
    recorded = len(trail(ledger))
    with pytest.raises(notices.NoticeRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        step(ledger, SECRETARY if refused == SIGN else OFFICE, notice_id, refused, reply_text="回复")
    assert ledger.execute("SELECT count(*) FROM notice_steps").fetchone()[0] == before
    assert len(trail(ledger)) == recorded


def test_a_reply_needs_text_or_a_file_within_the_size_cap_and_its_name_is_sanitised(ledger):
    """Attack: a reply file named to climb out of a folder or carry control characters, or one too large."""
    notice_id, _ = draft(ledger)
    step(ledger, SECRETARY, notice_id, SIGN)
    step(ledger, OFFICE, notice_id, DELIVER)
    with pytest.raises(notices.NoticeRefused, match="请填写回复内容或上传回复文件"):
        step(ledger, OFFICE, notice_id, REPLY, reply_text="  ")
    small = dataclasses.replace(NCFG, max_reply_mb=0.001)  # 1,048 bytes
    with pytest.raises(notices.NoticeRefused, match=r"超过 0\.001 MB 的上限"):
        actions.notice_step(ledger, OFFICE, notice_id, REPLY, ncfg=small, now=NOW,
                            reply_file=notices.ReplyFile("big.pdf", b"x" * 2000))
    step(ledger, OFFICE, notice_id, REPLY, reply_file=notices.ReplyFile("../../etc/pass\x00wd\u202e.pdf", b"%PDF"))
    name, content = actions.reply_file(ledger, OFFICE, notice_id, 1)
    assert (name, content) == ("pass_wd.pdf", b"%PDF")


@pytest.mark.parametrize(("name", "expected"), [
    ("报告.docx", "报告.docx"), ("C:\\Users\\x\\回复.pdf", "回复.pdf"), ("..", "回复附件"), (".bashrc", "bashrc"),
    ("a" * 300 + ".pdf", "a" * 96 + ".pdf"), ('名"称<>|?*.xlsx', "名_称_.xlsx"),
])
def test_safe_file_names(name, expected):
    assert notices.safe_file_name(name) == expected


# ---- who may ----

@pytest.mark.parametrize(("user", "name"), [
    (SECRETARY, "draft"), (ADMIN, "draft"), (MEMBER, "draft"), (HEAD, "draft"),
    (OFFICE, SIGN), (ADMIN, SIGN), (MEMBER, SIGN), (HEAD, SIGN),
    (SECRETARY, DELIVER), (ADMIN, DELIVER), (HEAD, DELIVER),
    (SECRETARY, REPLY), (ADMIN, REPLY), (HEAD, REPLY), (MEMBER, VERIFY), (ADMIN, VERIFY), (ADMIN, RETURN),
], ids=lambda v: v.role if isinstance(v, User) else v)
def test_each_step_only_by_its_role(ledger, user, name):
    """Attack: an administrator signing for the secretary, the secretary drafting what they then sign, a department
    head recording their own unit's reply."""
    notice_id, _ = draft(ledger)
    recorded = len(trail(ledger))
    with pytest.raises(AccessDenied):
        if name == "draft":
            actions.draft_notice(ledger, user, NCFG, Q2, cfg=CFG, kind="督办单", unit="采购部", now=NOW)
        else:
            step(ledger, user, notice_id, name, reply_text="回复")
    assert len(trail(ledger)) == recorded
    assert ledger.execute("SELECT count(*) FROM notices").fetchone()[0] == 1


def test_a_department_head_sees_only_documents_delivered_to_their_unit_and_no_rule(ledger):
    """Attack: a head reading a draft about their unit, another unit's document, or the 纪委's reasoning."""
    ours, _ = draft(ledger)
    theirs, _ = draft(ledger, unit="物流部")
    today = dt.date(2025, 7, 4)
    assert actions.notice_register(ledger, HEAD, today).empty  # drafts are the 纪委's own
    with pytest.raises(AccessDenied, match="找不到该督办文书"):
        actions.notice_detail(ledger, HEAD, ours)
    for notice_id in (ours, theirs):
        step(ledger, SECRETARY, notice_id, SIGN)
        step(ledger, OFFICE, notice_id, DELIVER)
    assert actions.notice_register(ledger, HEAD, today)["unit"].tolist() == ["采购部"]
    assert actions.notice_register(ledger, HEAD, today, units=("物流部",)).empty
    found = actions.notice_detail(ledger, HEAD, ours)
    assert "rule" not in found["problems"].columns and found["problems"]["problem_code"].tolist() == ["N-2", "N-1"]
    with pytest.raises(AccessDenied):
        actions.notice_detail(ledger, HEAD, theirs)
    with pytest.raises(AccessDenied):
        actions.notice_file(ledger, HEAD, ours, "docx")  # the document carries the rules
    assert actions.notice_register(ledger, OTHER_HEAD, today)["unit"].tolist() == ["物流部"]
    assert set(actions.notice_register(ledger, MEMBER, today)["unit"]) == {"采购部", "物流部"}


# ---- a missed reply date ----

def test_a_reply_not_in_by_its_date_is_a_warning_until_it_comes(ledger):
    notice_id, number = draft(ledger, reply_by=dt.date(2025, 7, 18))
    day = dt.date(2025, 7, 19)
    assert actions.overdue_replies(ledger, OFFICE, day).empty  # a draft is not yet due to anyone
    step(ledger, SECRETARY, notice_id, SIGN)
    on_the_day = actions.overdue_replies(ledger, OFFICE, dt.date(2025, 7, 18))
    assert on_the_day.empty  # due that day, not yet late
    late = actions.overdue_replies(ledger, OFFICE, day)  # signed, not even delivered: still no reply
    assert late[["number", "state", "days_late"]].values.tolist() == [[number, "逾期未回复", 1]]
    step(ledger, OFFICE, notice_id, DELIVER)
    assert actions.overdue_replies(ledger, OFFICE, dt.date(2025, 8, 2))["days_late"].tolist() == [15]
    assert actions.notice_register(ledger, OFFICE, day)["state"].tolist() == ["逾期未回复"]
    step(ledger, OFFICE, notice_id, REPLY, reply_text="已整改")
    assert actions.overdue_replies(ledger, OFFICE, dt.date(2025, 8, 2)).empty
    assert actions.notice_register(ledger, OFFICE, day)["state"].tolist() == [REPLIED]
    # sent back after the date: a new reply date, so that it is not late at once
    step(ledger, OFFICE, notice_id, RETURN, at=dt.datetime(2025, 8, 2, 10, 0))
    assert actions.overdue_replies(ledger, OFFICE, dt.date(2025, 8, 17)).empty
    assert actions.overdue_replies(ledger, OFFICE, dt.date(2025, 8, 18))["days_late"].tolist() == [1]


def test_the_warnings_list_shows_which_warnings_have_a_document(ledger):
    _, number = draft(ledger)
    warned = alerts.warnings(ledger, Q2, cfg=CFG)
    marks = dict(zip(warned["problem_code"], actions.notice_marks(ledger, OFFICE, Q2, warned, dt.date(2025, 7, 4)),
                     strict=True))
    assert marks == {"N-4": None, "N-2": f"{number}（拟稿）", "N-1": f"{number}（拟稿）", "N-5": None, "N-3": None}
    assert actions.notice_marks(ledger, HEAD, Q2, warned, dt.date(2025, 7, 4)) == [None] * len(warned)


def test_a_problems_history_lists_its_documents(ledger):
    notice_id, number = draft(ledger)
    n1, n5 = ids(ledger, "N-1", "N-5")
    found = actions.problem_notices(ledger, OFFICE, n1, dt.date(2025, 7, 4))
    assert found[["number", "kind", "state"]].values.tolist() == [[number, "工作督办单", DRAFT]]
    assert actions.problem_notices(ledger, OFFICE, n5, dt.date(2025, 7, 4)).empty
    assert actions.problem_notices(ledger, HEAD, n1, dt.date(2025, 7, 4)).empty  # a draft: not yet the unit's
    step(ledger, SECRETARY, notice_id, SIGN)
    step(ledger, OFFICE, notice_id, DELIVER)
    assert actions.problem_notices(ledger, HEAD, n1, dt.date(2025, 7, 4))["number"].tolist() == [number]
    assert actions.problem_notices(ledger, OTHER_HEAD, n1, dt.date(2025, 7, 4)).empty


# ---- the document ----

def test_the_word_document_carries_number_recipient_problems_and_reply_date(ledger):
    notice_id, number = draft(ledger, reply_by=dt.date(2025, 7, 31))
    name, content = actions.notice_file(ledger, OFFICE, notice_id, "docx")
    assert name == "X纪督〔2025〕1号_工作督办单_采购部.docx"
    doc = docx.Document(io.BytesIO(content))
    lines = [p.text for p in doc.paragraphs if p.text]
    assert lines[:5] == ["测试集团纪委", "工作督办单", number, "关于督促整改有关问题的工作督办单", "采购部："]
    assert "你单位以下 2 个问题已达到工作督办单预警" in lines[5]
    assert any("请于2025年7月31日前" in line and "书面回复测试集团纪委" in line for line in lines)
    # 成文日期: the draft's, until it is signed
    assert lines[-3:] == ["测试集团纪委", "2025年7月3日", "本件为拟稿，尚未签发。"]
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "问题编号", "问题描述", "整改时限", "预警依据"]
    assert [[c.text for c in r.cells] for r in table.rows[1:]] == [
        ["1", "N-2", "问题描述N-2", "2025-05-01", "已逾期 60 天，超过 30 天"],
        ["2", "N-1", "问题描述N-1", "2025-05-15", "已逾期 46 天，超过 30 天"]]
    assert doc.paragraphs[0].style.name == "公文标题"
    assert actions.notice_file(ledger, OFFICE, notice_id, "docx")[1] == content  # the same document, the same bytes
    step(ledger, SECRETARY, notice_id, SIGN, dt.datetime(2025, 7, 4, 16, 0))
    signed = docx.Document(io.BytesIO(actions.notice_file(ledger, SECRETARY, notice_id, "docx")[1]))
    assert [p.text for p in signed.paragraphs if p.text][-2:] == ["测试集团纪委", "2025年7月4日"]


# ---- configuration ----

def test_the_configuration_in_data_is_valid():
    found = notices.notices_config()
    assert dict(found.numbers).keys() == set(notices.KINDS) and found.issuer
    assert found.number("工作提醒函", 2025, 3) == "X纪提〔2025〕3号"


@pytest.mark.parametrize(("section", "message"), [
    ({"numbers": {"工作提醒函": "纪提〔{year}〕号", "工作督办单": "{year}{seq}", "纪检建议书": "{year}{seq}"}},
     "工作提醒函」应含 {year} 和 {seq}"),
    ({"numbers": {"工作提醒函": "{year}{seq}{unit}", "工作督办单": "{year}{seq}", "纪检建议书": "{year}{seq}"}},
     "不含其他占位符"),
    ({"numbers": {"工作提醒函": "{year}{seq}"}}, "各一个发文字号格式"),
    ({"reply_days": 0}, "reply_days"), ({"max_reply_mb": "10"}, "max_reply_mb"), ({"issuer": " "}, "issuer"),
    ({"isuer": "x"}, "未知的配置项"),
])
def test_a_bad_configuration_is_refused_naming_the_key(section, message):
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        notices.NoticeConfig.from_dict({"notices": section})


# ---- the command line ----

def quarter_db(tmp_path, name: str):
    """A database file holding the 2025Q2 ledger of ROWS, its derived tables up to date."""
    from analytics.db import connect

    path = tmp_path / name
    con = connect(path)
    try:
        load(con, write_xlsx(tmp_path / "2025年第二季度问题整改台账.xlsx", {"台账": [HEADER, *ROWS]}), "2025Q2")
        derived.bring_up_to_date(con, CFG)
    finally:
        con.close()
    return path


@pytest.fixture
def db_file(tmp_path):
    return quarter_db(tmp_path, "cli.duckdb")


def test_the_command_line_drafts_a_document_for_a_unit_and_lists_the_register(db_file, tmp_path, capsys):
    from analytics.cli import main

    out = tmp_path / "督办单.docx"
    assert main(["notices", "--db", str(db_file), "draft", "--type", "督办单", "--unit", "采购部", "--period", "2025Q2",
                 "--reply-by", "2099-07-31", "--out", str(out)]) == 0
    year = dt.date.today().year
    number = f"X纪督〔{year}〕1号"
    assert f"已起草 {number}" in capsys.readouterr().out
    doc = docx.Document(str(out))
    assert number in [p.text for p in doc.paragraphs] and "采购部：" in [p.text for p in doc.paragraphs]
    assert [r.cells[1].text for r in doc.tables[0].rows[1:]] == ["N-2", "N-1"]
    assert main(["notices", "--db", str(db_file), "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["number"], r["unit"], r["state"], r["problems"]) for r in listed] == [(number, "采购部", DRAFT, 2)]
    entries = [json.loads(line) for line in audit_path(db_file).read_text(encoding="utf-8").splitlines()]
    drafted = next(e for e in entries if e["action"] == "notice_draft")
    assert drafted["role"] == "纪委办" and drafted["who"].startswith("命令行:")  # a job on the office's behalf
    assert any(e["action"] == "download" and e["details"]["file"] == out.name for e in entries)


@pytest.mark.parametrize(("argv", "message"), [
    (["--type", "通知", "--unit", "采购部"], "未知的文书类型「通知」"),
    (["--type", "建议书", "--unit", "物流部"], "物流部在2025年第二季度没有达到「纪检建议书」一级的预警"),
    (["--type", "督办单", "--unit", "采购部", "--reply-by", "明天"], "--reply-by 应为日期"),
])
def test_the_command_line_refuses_in_chinese_with_exit_status_1(db_file, tmp_path, capsys, argv, message):
    from analytics.cli import main

    out = tmp_path / "x.docx"
    assert main(["notices", "--db", str(db_file), "draft", *argv, "--period", "2025Q2", "--out", str(out)]) == 1
    assert message in capsys.readouterr().err and not out.exists()


def test_the_pdf_beside_the_word_document(db_file, tmp_path):
    from analytics.cli import main
    from analytics.export import tools

    if tools.unavailable():
        pytest.skip("no Chromium or Chinese font on this machine")
    out = tmp_path / "提醒函.docx"
    assert main(["notices", "--db", str(db_file), "draft", "--type", "提醒函", "--unit", "采购部", "--period",
                 "2025Q2", "--out", str(out), "--pdf"]) == 0
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
