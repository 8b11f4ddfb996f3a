"""Status cells: each cell read on its own (classify_cell), then a row's cells combined by precedence (combine)."""

from __future__ import annotations

import pytest
from pytest import param

from analytics.config import STATUSES, ledger_config
from analytics.ingest.normalise import normalise_status
from analytics.ingest.parse import parse_file
from analytics.ingest.status import CellStatus, Decision, classify_cell, combine
from analytics.text import header_key
from tests.conftest import write_xlsx

CFG = ledger_config()
CLOSED, DONE, OPEN, NOT_STARTED, LONG = "已销号", "已整改", "整改中", "未启动", "长期整改"


def read(value: object, header: str = "整改状态", free_text: bool = False,
         answers: dict[str, str] | None = None) -> tuple[str | None, int, bool]:
    cell = classify_cell(value, header, CFG, answers or {}, free_text)
    return cell.status, cell.rank, cell.long_term


# (value, header) → (status, rank, long_term). Each class of input is written a few ways: people vary punctuation,
# spaces, full-width text and brackets.
@pytest.mark.parametrize(("value", "header", "expected"), [
    # an explicit 销号 (rank 3): the word, or 是 in a column that asks whether it is closed
    param("已销号", "整改状态", (CLOSED, 3, False), id="closed-word"),
    param(" 已 销 号 ", "整改状态", (CLOSED, 3, False), id="closed-word-spaced"),
    param("【已销号】", "整改状态", (CLOSED, 3, False), id="closed-word-bracketed"),
    param("已销号。", "当前状态", (CLOSED, 3, False), id="closed-word-full-stop"),
    param("已办结", "办理状态", (CLOSED, 3, False), id="concluded"),
    param("该问题已办结", "办理状态", (CLOSED, 3, False), id="concluded-in-a-sentence"),
    param("已闭环", "整改状态", (CLOSED, 3, False), id="loop-closed"),
    param("是", "是否销号", (CLOSED, 3, False), id="closed-yes"),
    param("√", "是否销号", (CLOSED, 3, False), id="closed-tick"),
    param("是", "是否办结", (CLOSED, 3, False), id="concluded-yes"),
    # 否 in a yes/no column only says "not closed / not done": open, and generic (rank 0) so anything beats it
    param("否", "是否销号", (OPEN, 0, False), id="closed-no"),
    param("否", "* 是否销号（是/否）", (OPEN, 0, False), id="closed-no-header-with-note"),
    param("×", "是否销号", (OPEN, 0, False), id="closed-cross"),
    param("否（资金未到位）", "是否销号", (OPEN, 0, False), id="closed-no-with-a-reason"),
    param("否", "整改状态", (OPEN, 0, False), id="bare-no-outside-a-yes-no-column"),
    # completed (rank 2): the words, and 是 in a column that asks whether it is done
    param("已完成", "完成情况", (DONE, 2, False), id="done"),
    param("已整改到位", "整改结果", (DONE, 2, False), id="rectified-in-place"),
    param("整改到位", "整改结果", (DONE, 2, False), id="in-place"),
    param("已完成整改，待验收", "整改状态", (DONE, 2, False), id="done-awaiting-acceptance"),
    param("已完成整改,待验收", "整改状态", (DONE, 2, False), id="done-awaiting-acceptance-half-width"),
    param("待审核", "办理状态", (DONE, 2, False), id="awaiting-review"),
    param("待验收", "办理状态", (DONE, 2, False), id="awaiting-acceptance"),
    param("整改完成", "整改状态", (DONE, 2, False), id="rectification-done"),
    param("基本完成", "完成情况", (DONE, 2, False), id="basically-done"),
    param("已基本完成", "完成情况", (DONE, 2, False), id="basically-done-already"),
    param("是", "是否完成", (DONE, 2, False), id="done-yes"),
    param("是", "是否完成（整改）", (DONE, 2, False), id="done-yes-header-with-note"),
    param("是，2024年6月完成", "是否完成整改", (DONE, 2, False), id="done-yes-with-a-note"),
    # "not closed" after a completed word: rectified, just not closed yet
    param("已完成整改，尚未销号", "整改状态", (DONE, 2, False), id="done-not-yet-closed"),
    # completed and to be kept up: completed, with the long-term flag
    param("已完成，长期坚持", "整改状态", (DONE, 2, True), id="done-long-term"),
    param("已完成;长期坚持", "整改状态", (DONE, 2, True), id="done-long-term-semicolon"),
    param("已完成 长期坚持", "整改状态", (DONE, 2, True), id="done-long-term-space"),
    param("是（长期坚持）", "是否完成", (DONE, 2, True), id="done-yes-long-term"),
    param("是(长期坚持)", "是否完成", (DONE, 2, True), id="done-yes-long-term-half-width"),
    param("已整改并长期坚持", "整改结果", (DONE, 2, True), id="rectified-and-kept-up"),
    param("是（长期坚持）", "是否销号", (CLOSED, 3, True), id="closed-yes-long-term"),
    # free text in a progress column: the expected 完成 after 预计 is not a completion
    param("正在推进，预计6月底完成", "整改进展", (OPEN, 1, False), id="progress-expected"),
    param("预计６月底完成", "整改进展", (OPEN, 1, False), id="expected-full-width-digit"),
    param("已完成80%", "整改进展", (OPEN, 1, False), id="done-a-share"),
    param("完成约60％", "整改进展", (OPEN, 1, False), id="done-a-share-full-width"),
    param("未完成，已申请延期", "整改进展", (OPEN, 0, False), id="not-done-extension"),
    # partial, late, extended, returned: open, and specific (rank 1)
    param("部分完成", "完成情况", (OPEN, 1, False), id="partly-done"),
    param("部分整改", "完成情况", (OPEN, 1, False), id="partly-rectified"),
    param("部分已完成", "完成情况", (OPEN, 1, False), id="partly-done-already"),
    param("已完成部分整改", "完成情况", (OPEN, 1, False), id="done-part-of-it"),
    param("滞后", "整改状态", (OPEN, 1, False), id="late"),
    param("进度滞后", "整改状态", (OPEN, 1, False), id="progress-late"),
    param("已申请延期", "整改状态", (OPEN, 1, False), id="extension-applied-for"),
    param("已退回", "办理状态", (OPEN, 1, False), id="returned"),
    param("退回重报", "办理状态", (OPEN, 1, False), id="returned-to-resubmit"),
    param("办理中", "办理状态", (OPEN, 1, False), id="in-hand"),
    # not started
    param("未启动", "整改状态", (NOT_STARTED, 1, False), id="not-started"),
    param("尚未启动", "整改状态", (NOT_STARTED, 1, False), id="not-yet-started"),
    param("未开始", "整改状态", (NOT_STARTED, 1, False), id="not-begun"),
    param("尚未开始整改", "整改进展", (NOT_STARTED, 1, False), id="not-yet-begun-sentence"),
    # long-term work: open, long-term
    param("长期坚持", "整改状态", (LONG, 1, True), id="long-term"),
    param("持续整改", "整改状态", (LONG, 1, True), id="ongoing"),
    param("正在推进，长期坚持", "整改进展", (LONG, 1, True), id="open-and-long-term"),
    # negations: open; a bare "not done / not closed" is generic (rank 0)
    param("未销号", "整改状态", (OPEN, 0, False), id="not-closed"),
    param("未完成", "整改状态", (OPEN, 0, False), id="not-done"),
    param("未完成", "是否完成", (OPEN, 0, False), id="not-done-in-a-yes-no-column"),
    param("尚未完成", "整改状态", (OPEN, 0, False), id="not-yet-done"),
    param("未整改到位", "整改结果", (OPEN, 1, False), id="not-rectified-in-place"),
])
def test_a_cell(value, header, expected):
    assert read(value, header) == expected


@pytest.mark.parametrize(("value", "expected"), [
    param("该问题涉及多个部门", (None, -1, False), id="no-status-word-says-nothing"),
    param("已销号", (CLOSED, 3, False), id="a-status-word-counts"),
    param("是", (None, -1, False), id="yes-means-nothing-outside-a-yes-no-column"),
    param("", (None, -1, False), id="blank"),
    # a status a keyword rule finds inside the text ranks at most 1 (a specific word): it beats only a generic
    # "not done" and nothing said, so the status column beside it decides
    param("经核实，已整改到位", (DONE, 1, False), id="a-status-word-in-a-sentence"),
    param("已完成初步排查", (DONE, 1, False), id="a-completed-step"),
    param("该问题已办结", (CLOSED, 1, False), id="concluded-in-a-sentence"),
    param("经核实，已销号", (CLOSED, 1, False), id="closed-in-a-sentence"),
    param("整改已完成，长效机制持续推进", (DONE, 1, True), id="done-kept-up-in-a-sentence"),
    param("已完成整改，待验收", (DONE, 1, False), id="awaiting-acceptance-in-a-sentence"),
    # the whole cell a status value (punctuation aside, or beside long-term words): its full rank
    param("已完成", (DONE, 2, False), id="a-whole-cell-completed-word"),
    param("【已销号】", (CLOSED, 3, False), id="a-whole-cell-closed-word-bracketed"),
    param("已办结。", (CLOSED, 3, False), id="a-whole-cell-concluded-word"),
    param("已完成，长期坚持", (DONE, 2, True), id="a-whole-cell-completed-word-long-term"),
    # open words keep their rank: they are at most 1 anyway
    param("未完成", (OPEN, 0, False), id="not-done-stays-generic"),
    param("正在推进，预计6月底完成", (OPEN, 1, False), id="expected"),
    # a commitment is no completion: 按期完成 counts only as the whole cell
    param("确保按期完成", (None, -1, False), id="a-commitment-says-nothing"),
])
def test_a_remark_cell(value, expected):
    assert read(value, "备注", free_text=True) == expected


def test_the_users_answer_keeps_its_rank_in_free_text():
    answers = {"经核实已整改": "已整改", "经核实已验收销号": "已销号"}
    assert read("经核实已整改", "备注", free_text=True, answers=answers) == (DONE, 2, False)
    assert read("经核实已验收销号", "整改进展", free_text=True, answers=answers) == (CLOSED, 3, False)


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000"])
def test_a_blank_cell_says_nothing_in_any_column(value):
    assert classify_cell(value, "整改状态", CFG, {}, free_text=False) == CellStatus(None, -1, False, "blank")


@pytest.mark.parametrize(("value", "header"), [
    param("搁置", "整改状态", id="unknown-word"),
    param("是", "整改状态", id="yes-is-done-or-closed"),  # never guessed: done and closed are different figures
    param("该问题涉及多个部门", "完成情况", id="text-in-a-status-column"),
    param("是", "完成情况", id="yes-in-a-non-yes-no-column"),
    param("✓", "整改状态", id="tick-outside-a-yes-no-column"),
    # commitments: the completed words of [status.values] count only as the whole cell
    param("确保按期完成", "整改状态", id="a-commitment"),
    param("力争6月底前按期完成", "整改状态", id="a-commitment-with-a-date"),
    param("确保年底前整改完毕", "整改状态", id="a-commitment-to-finish"),
    param("计划于6月完成整改", "整改状态", id="a-plan"),
])
def test_an_unknown_word_in_a_status_column_is_a_question(value, header):
    with pytest.raises(ValueError, match="无法识别的整改状态"):
        classify_cell(value, header, CFG, {}, free_text=False)


def test_the_users_answers_come_first_and_match_on_the_key():
    answers = {"搁置": "整改中", "暂 缓": "未启动", "已验收": "已销号"}
    assert read("搁置", answers=answers) == (OPEN, 1, False)
    assert read("暂缓", answers=answers) == (NOT_STARTED, 1, False)  # the answer's key is keyed too
    assert read(" 搁 置 ", answers=answers) == (OPEN, 1, False)
    assert read("已验收", answers=answers) == (CLOSED, 3, False)
    assert classify_cell("搁置", "整改状态", CFG, answers, False).rule == "answer"
    assert read("滞后", answers={"滞后": "未启动"}) == (NOT_STARTED, 1, False)  # the user's word over the config's


def test_an_answer_with_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="未知的整改状态「暂停」"):
        read("搁置", answers={"搁置": "暂停"})


def test_the_rule_and_the_word_say_what_decided():
    def how(value, header="整改状态"):
        cell = classify_cell(value, header, CFG, {}, False)
        return cell.rule, cell.word

    assert how("已销号") == ("exact", "已销号")
    assert how("是", "是否销号") == ("yes_no", "是")
    assert how("正在推进，预计6月底完成", "整改进展") == ("keyword", "预计")
    assert how("已完成，长期坚持") == ("compound", "已完成+长期坚持")
    assert how("已完成80%") == ("partial", "完成80%")


# A completed clause, then what follows it. Continuing, long-term work (长效机制, 持续, 常态化, 长期坚持, 巩固)
# after a completion keeps it completed, with the long-term flag: the work is done and is to be kept up. Work
# not done yet or under way (下一步, 尚未, 正在, 制度修订中) beside a completion makes it partial: open. Without a
# completion before it, continuing work reads as before (持续推进: 整改中; 正在推进，持续整改: long-term work).
@pytest.mark.parametrize(("value", "header", "expected"), [
    # completed, then continuing work: completed and long-term (推进 in the continuing clause no longer wins)
    param("整改已完成，长效机制持续推进", "整改状态", (DONE, 2, True), id="done-mechanism-advancing"),
    param("整改已完成;长效机制持续推进", "整改状态", (DONE, 2, True), id="done-mechanism-advancing-half-width"),
    param("整改已完成。长效机制持续推进。", "整改状态", (DONE, 2, True), id="done-mechanism-advancing-full-stops"),
    param("已整改，持续推进", "整改状态", (DONE, 2, True), id="rectified-advancing"),
    param("已完成整改，并建立长效机制", "整改状态", (DONE, 2, True), id="done-mechanism-set-up"),
    param("已完成整改并建立长效机制", "整改状态", (DONE, 2, True), id="done-and-mechanism-set-up"),
    param("已完成整改，常态化开展监督检查", "整改状态", (DONE, 2, True), id="done-routine-checks"),
    param("已完成整改，长效机制完善中", "整改状态", (DONE, 2, True), id="done-mechanism-being-improved"),
    param("已完成，持续推进中", "整改状态", (DONE, 2, True), id="done-advancing"),
    param("已销号，持续巩固整改成果", "整改状态", (CLOSED, 3, True), id="closed-consolidating"),
    param("是，长效机制持续推进", "是否已整改", (DONE, 2, True), id="yes-mechanism-advancing"),
    # continuing work without a completion before it: as before
    param("持续推进", "整改状态", (OPEN, 1, False), id="advancing-alone"),
    param("正在推进，持续整改", "整改状态", (LONG, 1, True), id="advancing-ongoing"),
    param("部分完成，长效机制持续推进", "整改状态", (OPEN, 1, False), id="partly-done-advancing"),
    param("正在推进，预计6月底完成", "整改进展", (OPEN, 1, False), id="advancing-expected"),
    # continuing work, then work not done yet: open
    param("整改已完成，长效机制持续推进，预计年底前建成", "整改状态", (OPEN, 1, False), id="done-mechanism-expected"),
    param("已完成排查，下一步将建立长效机制", "整改进展", (OPEN, 1, False), id="done-a-step-mechanism-next"),
    # completed, then work not done yet or under way: partial, open
    param("已完成排查，下一步将修订", "整改进展", (OPEN, 1, False), id="done-a-step-next"),
    param("已完成初步排查，下一步将修订管理办法", "整改进展情况", (OPEN, 1, False), id="done-a-first-step-next"),
    param("已完成排查，制度修订中", "整改进展", (OPEN, 1, False), id="done-a-step-revising"),
    param("已完成排查，正在修订制度", "整改进展", (OPEN, 1, False), id="done-a-step-under-way"),
    param("已完成排查并着手修订制度", "整改进展", (OPEN, 1, False), id="done-a-step-and-starting"),
    param("已完成排查，制度尚未修订", "整改状态", (OPEN, 1, False), id="done-a-step-not-yet"),
    # completed, then the closing steps or other text: completed
    param("已完成整改，尚未验收", "整改状态", (DONE, 2, False), id="done-not-yet-accepted"),
    param("已完成整改，正在办理销号", "整改状态", (DONE, 2, False), id="done-being-closed"),
    param("已完成整改，未发现新问题", "整改状态", (DONE, 2, False), id="done-nothing-new"),
    param("已完成整改，修订中层干部管理办法", "整改状态", (DONE, 2, False), id="done-zhong-not-under-way"),
])
def test_a_completion_and_what_follows_it(value, header, expected):
    assert read(value, header, free_text=header in ("整改进展", "整改进展情况")) == expected


def test_what_follows_a_completion_is_named_in_the_word():
    def how(value):
        cell = classify_cell(value, "整改状态", CFG, {}, False)
        return cell.rule, cell.word

    assert how("整改已完成，长效机制持续推进") == ("compound", "已完成+长效")
    assert how("已完成排查，下一步将修订") == ("partial", "已完成+下一步")
    assert how("已完成排查，制度修订中") == ("partial", "已完成+修订中")


# Whole-cell status words: exact values, so the same words inside a sentence (确保按期完成) stay unknown.
@pytest.mark.parametrize(("value", "expected"), [
    *[param(v, (DONE, 2, False), id=v) for v in ("完成整改", "整改完毕", "已整改完毕", "按期完成", "已按期完成",
                                                 "整改完成", "已提交销号申请")],
    *[param(v, (OPEN, 1, False), id=v) for v in ("正在落实", "落实中", "已启动", "整改推进中")],
    *[param(v, (CLOSED, 3, False), id=v) for v in ("已完成整改并销号", "同意销号", "已销号归档")],
    param(" 整改 完毕。", (DONE, 2, False), id="spaced-with-a-full-stop"),
    param("【同意销号】", (CLOSED, 3, False), id="bracketed"),
])
def test_a_whole_cell_status_word(value, expected):
    assert read(value) == expected
    assert classify_cell(value, "整改状态", CFG, {}, False).rule == "exact"


# Yes/no headers: each is a status column (its own column beside 整改状态) and says what 是/否 mean in it.
RECTIFIED_HEADERS = ("是否已整改", "是否整改", "是否整改完毕", "整改是否完成", "是否已完成", "是否按期完成",
                     "是否完成整改", "是否完成", "是否整改完成")
CLOSED_HEADERS = ("是否销号", "是否已销号")


@pytest.mark.parametrize(("header", "yes"), [
    *[param(h, DONE, id=h) for h in RECTIFIED_HEADERS],
    *[param(h, CLOSED, id=h) for h in CLOSED_HEADERS],
])
def test_a_yes_no_header(header, yes):
    assert CFG.aliases["problems"][header_key(header)] == "status"
    assert read("是", header) == (yes, 3 if yes == CLOSED else 2, False)
    assert read("否", header) == (OPEN, 0, False)  # generic: any specific word elsewhere decides before it
    assert read("是", f"*{header}（是/否）") == read("是", header)  # a header's note and mark ignored


# Ticks and crosses in a yes/no column: ✓ ✔ √ say yes, ✗ ✘ × say no.
@pytest.mark.parametrize(("value", "header", "expected"), [
    *[param(v, "是否已整改", (DONE, 2, False), id=f"yes-{v}") for v in ("✓", "✔", "√")],
    *[param(v, "是否已整改", (OPEN, 0, False), id=f"no-{v}") for v in ("✗", "✘", "×")],
    param("✓", "是否销号", (CLOSED, 3, False), id="closed-tick"),
    param("✘", "是否销号", (OPEN, 0, False), id="closed-cross"),
    param("✔（长期坚持）", "是否完成", (DONE, 2, True), id="tick-long-term"),
    param("√(长期坚持)", "是否完成", (DONE, 2, True), id="root-tick-long-term"),  # not read as 长期坚持 alone
    param("✓，2024年6月完成", "是否完成整改", (DONE, 2, False), id="tick-with-a-note"),
    param("✗（资金未到位）", "是否销号", (OPEN, 0, False), id="cross-with-a-reason"),
])
def test_ticks_and_crosses(value, header, expected):
    assert read(value, header) == expected


@pytest.mark.parametrize(("word", "status"), [
    param(word, status, id=word) for word, status in CFG.status_values.items()
])
def test_every_configured_value_reads_as_normalise_status_reads_it(word, status):
    got, _, long_term = read(word)
    assert (got, long_term) == (status, status == LONG)  # 长期整改 is long-term work by definition
    assert normalise_status(word, "整改状态", CFG) == status


# One row's cells in column order (the main status column first): (header, value, free text) → decision.
def decide(*cells: tuple[str, object, bool]) -> Decision:
    return combine([classify_cell(v, h, CFG, {}, free) for h, v, free in cells])


@pytest.mark.parametrize(("cells", "expected"), [
    # rule 1: an explicit 销号 anywhere wins, even over an open main column
    param([("整改状态", "整改中", False), ("是否销号", "是", False)], (CLOSED, 1, False), id="closed-beats-open"),
    param([("整改状态", "已完成", False), ("备注", "已销号", True)], (CLOSED, 1, False), id="closed-in-a-remark"),
    # rule 2: a completed word anywhere beats a generic 否 / 未完成 elsewhere
    param([("整改状态", "否", False), ("整改结果", "已完成", False)], (DONE, 1, False), id="done-beats-bare-no"),
    param([("是否销号", "否", False), ("完成情况", "已完成", False)], (DONE, 1, False), id="done-beats-not-closed"),
    param([("整改状态", "未完成", False), ("是否完成", "是", False)], (DONE, 1, False), id="done-beats-not-done"),
    param([("整改状态", "已完成，长期坚持", False), ("是否销号", "否", False)], (DONE, 0, True),
          id="done-long-term-and-not-closed"),
    # rule 3: else the first column that says something specific; a generic "not done" only when nothing else does
    param([("整改状态", "未启动", False), ("备注", "部分完成", True)], (NOT_STARTED, 0, False),
          id="first-specific-column-wins"),
    param([("是否销号", "否", False), ("整改进展", "未启动", True)], (NOT_STARTED, 1, False),
          id="specific-beats-generic-before-it"),
    param([("是否销号", "否", False), ("整改状态", "未完成", False)], (OPEN, 0, False), id="only-generic"),
    param([("整改状态", "整改中", False), ("备注", "该问题涉及多个部门", True)], (OPEN, 0, False),
          id="a-remark-without-status-words"),
    # the long-term flag: any cell that has it
    param([("整改状态", "已整改", False), ("备注", "长期坚持", True)], (DONE, 0, True), id="kept-up-says-a-remark"),
    # free text: a completion found inside it beats only a generic "not done" and nothing said; the status column
    # decides among the specific words. Text that is a status value as a whole keeps its full rank.
    param([("整改状态", "整改中", False), ("整改进展情况", "已完成初步排查，下一步将修订管理办法", True)],
          (OPEN, 0, False), id="open-status-beside-a-completed-step-and-next-work"),
    param([("是否已整改", "否", False), ("整改进展情况", "已完成排查，制度修订中", True)], (OPEN, 1, False),
          id="not-rectified-beside-a-completed-step-and-work-under-way"),
    param([("整改状态", "整改中", False), ("备注", "经核实，已整改到位", True)], (OPEN, 0, False),
          id="open-status-beats-a-completion-in-a-remark"),
    param([("整改状态", "整改中", False), ("整改进展", "该问题已办结", True)], (OPEN, 0, False),
          id="open-status-beats-a-closing-in-a-sentence"),
    param([("整改状态", "未启动", False), ("整改进展", "整改已完成，长效机制持续推进", True)], (NOT_STARTED, 0, True),
          id="not-started-beats-a-completion-kept-up-in-a-sentence"),
    param([("整改状态", "未完成", False), ("整改进展", "经核实，已整改到位", True)], (DONE, 1, False),
          id="a-completion-in-a-sentence-beats-not-done"),
    param([("是否已整改", "否", False), ("整改进展情况", "已完成整改，待验收", True)], (DONE, 1, False),
          id="awaiting-acceptance-beats-not-rectified"),
    # a step done, the rectification still to do or under way: the 否 stands (a tester's rows)
    param([("是否已整改", "否", False), ("整改进展情况", "已完成自查，待整改", True)], ("整改中", 1, False),
          id="a-step-done-awaiting-rectification"),
    param([("是否已整改", "否", False), ("整改进展情况", "已完成方案制定，尚在实施", True)], ("整改中", 1, False),
          id="a-step-done-still-under-way"),
    param([("整改状态", None, False), ("备注", "经核实，已整改到位", True)], (DONE, 1, False),
          id="a-completion-in-a-sentence-when-nothing-else-says"),
    param([("整改状态", "整改中", False), ("备注", "已完成", True)], (DONE, 1, False),
          id="a-whole-cell-completed-remark-beats-open"),
    param([("整改状态", "整改中", False), ("备注", "已销号", True)], (CLOSED, 1, False),
          id="a-whole-cell-closed-remark-beats-open"),
    param([("整改状态", "未启动", False), ("整改结果", "经核实，已整改到位", False)], (DONE, 1, False),
          id="a-completion-in-a-status-column-keeps-its-rank"),
    param([("是否已整改", "是", False), ("整改进展", "正在推进，预计6月底完成", True)], (DONE, 0, False),
          id="rectified-yes-beats-progress-text"),
    param([("整改状态", "长期整改", False), ("是否销号", "是", False)], (CLOSED, 1, True), id="closed-long-term-work"),
    # nothing anywhere
    param([("整改状态", None, False), ("是否销号", "", False), ("备注", "  ", True)], (None, None, False),
          id="all-blank"),
    param([], (None, None, False), id="no-cells"),
])
def test_a_row(cells, expected):
    decision = decide(*cells)
    assert (decision.status, decision.column, decision.long_term) == expected


def test_a_decision_names_the_deciding_cells_rule_and_word():
    decision = decide(("整改状态", "整改中", False), ("是否销号", "是", False))
    assert decision == Decision(CLOSED, False, 1, "yes_no", "是")
    assert decide(("整改状态", None, False)) == Decision(None, False, None, "none")


def test_every_status_is_reachable():
    assert {read(w)[0] for w in ("未启动", "整改中", "已整改", "已销号", "长期整改")} == set(STATUSES)


def test_a_ledger_with_a_yes_no_column_and_progress_text(tmp_path):
    """The tester's shapes end to end: 是否已整改 is a status column, and a completion inside 整改进展情况 or 备注
    does not overrule 整改状态."""
    header = ["序号", "问题来源", "问题描述", "责任单位", "整改时限", "整改状态", "是否已整改", "整改进展情况", "备注"]
    rows = [
        [1, "巡察", "问题一", "财务部", "6月底前", "整改中", "否", "已完成初步排查，下一步将修订管理办法", None],
        [2, "巡察", "问题二", "财务部", "6月底前", "整改中", "否", "经核实，已整改到位", None],
        [3, "巡察", "问题三", "财务部", "6月底前", None, "否", "已完成排查，制度修订中", None],
        [4, "巡察", "问题四", "财务部", "6月底前", "完成整改", "✓", "整改已完成，长效机制持续推进", None],
        [5, "巡察", "问题五", "财务部", "6月底前", "整改中", "否", None, "已销号"],
        [6, "巡察", "问题六", "财务部", "6月底前", "整改中", "是", None, None],
    ]
    path = write_xlsx(tmp_path / "2025年第二季度巡察整改台账.xlsx", {"Sheet1": [header, *rows]})
    parsed = parse_file(path.name, path.read_bytes())
    assert not parsed.questions and not parsed.issues
    sheet = parsed.sheets[0]
    assert [sheet.layout.headers[c] for c in sheet.layout.status_columns] == ["是否已整改"]
    assert sheet.rows["status"].to_pylist() == [OPEN, OPEN, OPEN, DONE, CLOSED, DONE]
    assert sheet.rows["long_term"].to_pylist() == [False, False, False, True, False, False]
