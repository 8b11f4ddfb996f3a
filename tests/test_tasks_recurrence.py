"""Supervision measures done / due, recurrence counts and likely repeats, by hand."""

from __future__ import annotations

from dataclasses import replace

from analytics import recurrence, tasks
from analytics.config import scoring_config
from analytics.periods import Period
from tests.conftest import load, write_xlsx
from tests.fixtures import HEADER, task_lists, two_quarters

Q1, Q2 = Period(2024, 1), Period(2024, 2)


def test_tasks_due_by_frequency_and_deadline(con, tmp_path):
    task_lists(con, tmp_path)
    # Q1: due 每季度 (done) and the one dated 3/31 (done); 每年, 每半年 and the one dated 6/30 are not due yet
    assert tasks.task_progress(con, Q1).iloc[0].to_dict() == {
        "measures": 5, "due": 2, "done": 2, "not_done": 0, "done_rate": 1.0}
    # Q2: due 每季度 (not done), 6/30 (done), 3/31 (done), 每半年 (not done); 每年 is due in Q4 only
    assert tasks.task_progress(con, Q2).iloc[0].to_dict() == {
        "measures": 5, "due": 4, "done": 2, "not_done": 2, "done_rate": 0.5}
    by_aspect = tasks.task_progress(con, Q2, "aspect").set_index("aspect")
    assert by_aspect.loc["第一议题", ["measures", "due", "done"]].tolist() == [2, 1, 0]
    assert by_aspect.loc["关键少数", ["measures", "due", "done"]].tolist() == [3, 3, 2]
    assert list(tasks.task_trend(con)["done_rate"]) == [1.0, 0.5]
    listing = tasks.task_list(con, Q2)
    assert listing.iloc[0]["measure"] == "检查中心组学习"  # due and not done come first


def test_no_task_list_for_a_quarter_is_empty(con, tmp_path):
    task_lists(con, tmp_path)
    assert tasks.task_progress(con, Period(2023, 1)).empty


def test_recurrence_counts(con, tmp_path):
    two_quarters(con, tmp_path)
    # A-4 was 已销号 in Q1, open again in Q2, and marked 是 in 是否复发
    assert recurrence.recurrence_counts(con, Q2) == {"marked": 1, "reopened": 1, "recurred": 1,
                                                    "reopened_this_period": 1}
    listed = recurrence.recurred_problems(con, Q2)
    assert list(listed["problem_code"]) == ["A-4"] and "台账标注复发" in listed.iloc[0]["how"]


def bigram_jaccard(a: str, b: str) -> float:
    def grams(s: str) -> set[str]:
        s = "".join(ch for ch in s.lower() if ch.isalnum())
        return {s[i:i + 2] for i in range(len(s) - 1)}
    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb)


def test_likely_repeats_pair_new_with_closed_in_the_same_unit(con, tmp_path):
    old = "落实第一议题制度不到位，一月会议未及时传达学习"
    new_same_unit = "落实“第一议题”制度不到位，五月会议未及时传达学习"
    q1 = [["R-1", "巡察", "政治建设", old, "冶炼厂", "2024-01-05", "2024-03-01", "已销号", "2024-02-20", "一般", "否"],
          ["R-2", "巡察", "政治建设", "食堂账目不清", "冶炼厂", "2024-01-05", "2024-03-01", "整改中", None, "一般", "否"]]
    q2 = [*q1,
          ["R-3", "巡察", "政治建设", new_same_unit, "冶炼厂", "2024-05-05", "2024-08-01", "整改中", None, "一般", "否"],
          ["R-4", "巡察", "政治建设", new_same_unit, "财务部", "2024-05-05", "2024-08-01", "整改中", None, "一般", "否"],
          ["R-5", "巡察", "政治建设", "食堂账目不清问题", "冶炼厂", "2024-05-05", "2024-08-01", "整改中", None, "一般",
           "否"]]
    for name, rows in (("2024Q1.xlsx", q1), ("2024Q2.xlsx", q2)):
        load(con, write_xlsx(tmp_path / name, {"台账": [HEADER, *rows]}))
    pairs = recurrence.likely_repeats(con, Q2)
    # R-4 is in another unit; R-5 resembles R-2, which is still open, not closed
    assert list(zip(pairs["new_code"], pairs["old_code"], strict=True)) == [("R-3", "R-1")]
    assert pairs.iloc[0]["similarity"] == round(bigram_jaccard(new_same_unit, old), 3)
    strict = replace(scoring_config(), repeat_threshold=0.95)
    assert recurrence.likely_repeats(con, Q2, cfg=strict).empty


def test_likely_repeats_ties_go_to_the_first_closed_problem_in_any_block_size(con, tmp_path, monkeypatch):
    a, b = "落实第一议题制度不到位，一月会议未及时传达学习", "公务用车管理制度执行不严，出车记录不完整"
    closed = ["巡察", "政治建设", None, "冶炼厂", "2024-01-05", "2024-03-01", "已销号", "2024-02-20", "一般", "否"]
    fresh = ["巡察", "政治建设", None, "冶炼厂", "2024-05-05", "2024-08-01", "整改中", None, "一般", "否"]

    def row(code, text, template):
        out = [code, *template]
        out[3] = text
        return out

    q1 = [row("R-1", a, closed), row("R-2", a, closed), row("R-3", b, closed)]
    q2 = [*q1, row("R-4", a.replace("一月", "五月"), fresh), row("R-5", b + "。", fresh),
          row("R-6", a.replace("一月", "六月"), fresh)]
    for name, rows in (("2024Q1.xlsx", q1), ("2024Q2.xlsx", q2)):
        load(con, write_xlsx(tmp_path / name, {"台账": [HEADER, *rows]}))
    pairs = recurrence.likely_repeats(con, Q2)
    # are equally close to: the first closed problem wins
    assert list(zip(pairs["new_code"], pairs["old_code"], strict=True)) == [("R-5", "R-3"), ("R-4", "R-1"),
                                                                            ("R-6", "R-1")]
    monkeypatch.setattr(recurrence, "_BLOCK_CELLS", 1)  # one new problem at a time
    assert recurrence.likely_repeats(con, Q2).equals(pairs)
