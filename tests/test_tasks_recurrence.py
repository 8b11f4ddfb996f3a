"""Supervision measures done / due, recurrence counts and likely repeats, by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa

from analytics import recurrence, tasks
from analytics.config import scoring_config
from analytics.periods import Period
from tests.conftest import CFG, load, write_xlsx
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
    assert recurrence.recurrence_counts(con, Q2) == {"marked": 1, "reopened": 1, "lookback": 0, "recurred": 1,
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
    pairs = recurrence.likely_repeats(con, Q2, cfg=CFG)
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
    pairs = recurrence.likely_repeats(con, Q2, cfg=CFG)
    # are equally close to: the first closed problem wins
    assert list(zip(pairs["new_code"], pairs["old_code"], strict=True)) == [("R-5", "R-3"), ("R-4", "R-1"),
                                                                            ("R-6", "R-1")]
    monkeypatch.setattr(recurrence, "_BLOCK_CELLS", 1)  # one new problem at a time
    assert recurrence.likely_repeats(con, Q2, cfg=CFG).equals(pairs)
    monkeypatch.setattr(recurrence, "_MATRIX_CELLS", 1)  # and one closed problem at a time
    monkeypatch.setattr(recurrence, "_TEXTS", 1)  # repeated n-grams dropped text by text
    assert recurrence.likely_repeats(con, Q2, cfg=CFG).equals(pairs)


def test_likely_repeats_pick_by_the_rounded_similarity_as_sql_rounds_it():
    # new problem 0 has closed problems 1 and 2 (ids 20 and 10): 0.6667 and 0.6666 round alike, so id 10 wins;
    # new problem 3 (unit 0) ties new problem 0 (unit 1) at 0.667 and comes first; 0.0625 rounds up, as in SQL
    pairs = [(np.array([0, 0, 3, 4]), np.array([1, 2, 2, 1]), np.array([0.6667, 0.6666, 2 / 3, 0.0625]))]
    ids, unit_no = np.array([30, 20, 10, 40, 50]), np.array([1, 1, 1, 0, 0])
    new, old, similarity = recurrence._best_pairs(pairs, ids, unit_no, limit=None)
    assert (ids[new].tolist(), ids[old].tolist(), similarity.tolist()) == ([40, 30, 50], [10, 10, 20],
                                                                          [0.667, 0.667, 0.063])
    assert recurrence._best_pairs(pairs, ids, unit_no, limit=1)[0].tolist() == [3]


def test_likely_repeats_round_as_sql_does(con):
    fractions = [p / q for q in range(1, 400) for p in range(q + 1)]
    expected = con.execute("SELECT [round(x, 3) FOR x IN $x]", {"x": fractions}).fetchone()[0]
    assert recurrence._round3(np.array(fractions)).tolist() == expected


# each folds as SQL folds it: full-width forms, final sigma, dotted capital I (two characters in Python), ß and ẞ,
# digits like ① and Ⅲ, combining marks, emoji, letters newer than Python's Unicode tables, a NUL, a null
FOLD_CASES = ["落实“第一议题”，制度 不到位。", "ＡＢＣ问题１２３", "ΟΔΟΣ ΣΟΦΟΣ", "İSTANBUL ıi", "Straße ẞ",
              "😀👍🏽问题！", "①②Ⅲ㈠ ¼ ²", "e\u0301 Café ǅ ﬁ", "\u3000\t\n·—…《》【】", "", "\U00031350\U0001e4d0 ꟀꟁǄ",
              "a\x00b", None]


def test_likely_repeats_fold_texts_as_sql_did(con):
    points, lengths = recurrence._folded_points(con, pa.chunked_array([pa.array(FOLD_CASES, pa.string())]))
    whole = points.astype("<u4").tobytes().decode("utf-32-le")
    folded = [whole[end - length:end] for end, length in zip(np.cumsum(lengths), lengths, strict=True)]
    expected = con.execute("SELECT [lower(regexp_replace(t, '[^\\p{L}\\p{N}]', '', 'g')) FOR t IN $t]",
                           {"t": FOLD_CASES}).fetchone()[0]
    assert folded == [f or "" for f in expected]
