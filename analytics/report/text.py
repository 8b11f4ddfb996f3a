"""The 研判报告's sentences: figures in, Chinese sentences out, by templates and rules (no I/O, no analytics calls).

Every number a sentence shows is one it was given, formatted the way the snapshot formats it (counts as
integers, rates as 52.4%, scores to one decimal); a sentence whose figure is unknown (None) is left out
rather than written with a blank.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

ORDINALS = "一二三四五六七八九十"
STEADY_SCORE = 0.5  # a score change smaller than this is 基本稳定, not a rise or a fall
# rules of 主要问题及原因分析: the share above which a figure counts as a cause
OVERDUE_SHARE, DIMENSION_SHARE, UNIT_SHARE, ON_TIME_LOW = 0.3, 0.3, 0.25, 0.6
GRADE_WORDS = {"好": "总体良好", "较好": "总体较好", "一般": "总体一般，存在一定风险隐患",
               "较差": "问题较为突出，形势不容乐观"}


def count(n: int | None) -> str:
    return "—" if n is None else f"{int(n)}"


def rate(r: float | None) -> str:
    """0.5236 → 52.4%, as the snapshot shows a rate."""
    return "—" if r is None else f"{r:.1%}"


def score(s: float | None) -> str:
    return "—" if s is None else f"{s:.1f}"


def count_change(now: int | None, before: int | None, unit: str = "个") -> str | None:
    """增加3个 / 减少3个 / 持平; None when either figure is unknown."""
    if now is None or before is None:
        return None
    diff = int(now) - int(before)
    return "持平" if diff == 0 else f"{'增加' if diff > 0 else '减少'}{abs(diff)}{unit}"


def rate_change(now: float | None, before: float | None) -> str | None:
    """上升1.2个百分点 / 下降… / 持平, from rates rounded as shown (so that the change is the shown difference)."""
    if now is None or before is None:
        return None
    diff = round(round(now * 100, 1) - round(before * 100, 1), 1)
    return "持平" if diff == 0 else f"{'上升' if diff > 0 else '下降'}{abs(diff):.1f}个百分点"


def score_change(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    diff = round(round(now, 1) - round(before, 1), 1)
    return "持平" if diff == 0 else f"{'上升' if diff > 0 else '下降'}{abs(diff):.1f}分"


def ordinal_list(items: Sequence[str]) -> list[str]:
    """一是…；二是…: each item numbered in Chinese (at most ten)."""
    return [f"{ORDINALS[i]}是{item}" for i, item in enumerate(items[:len(ORDINALS)])]


def _join(parts: Iterable[str | None], sep: str = "，") -> str:
    return sep.join(p for p in parts if p)


def _compared(label: str, change: str | None) -> str | None:
    return None if change is None else f"较{label}{change}"


# ---- 一、基本情况 ----

def basic_situation(who: str, as_of: str, head: dict, previous: dict | None, year_ago: dict | None,
                    by_source: dict[str, int]) -> list[str]:
    """Sources, problems found, rectified and closed; changes on the previous quarter and a year before
    (``previous``/``year_ago``: None where there was no ledger then)."""
    found = (f"截至{as_of}，{who}共有纳入台账管理的问题{count(head['total'])}个，其中本期新增{count(head['new'])}个、"
             f"上期结转未完成{count(head['carried_over'])}个")
    changes = _join([
        _compared("上季度", count_change(head["total"], previous and previous["total"])),
        _compared("上年同期", count_change(head["total"], year_ago and year_ago["total"])),
    ])
    text = [found + (f"；问题总数{changes}" if changes else "") + "。"]
    if by_source:
        listed = "、".join(f"{name}{n}个" for name, n in by_source.items())
        top, n = next(iter(by_source.items()))
        share = rate(n / head["total"] if head["total"] else None)
        text.append(f"从问题来源看，{listed}，{top}发现的问题最多，占{share}。")
    done = (f"整改方面，已完成整改{count(head['completed'])}个，整改完成率{rate(head['completion_rate'])}；"
            f"累计已销号{count(head['closed'])}个，销号率{rate(head['closure_rate'])}，"
            f"其中本期销号{count(head['closed_this_period'])}个")
    trend = _join([
        _compared("上季度", rate_change(head["closure_rate"], previous and previous["closure_rate"])),
        _compared("上年同期", rate_change(head["closure_rate"], year_ago and year_ago["closure_rate"])),
    ])
    text.append(done + (f"；销号率{trend}" if trend else "") + "。")
    return text


# ---- 二、总体研判 ----

def conclusion(who: str, grade: str | None, change: float | None, overdue: int, recurred: int) -> str:
    """The one-sentence verdict, by rules: the grade gives the base (no grade: a role without scores, judged on the
    rectification alone), the score change on the previous quarter the trend (a move under STEADY_SCORE is 基本
    持平), overdue or recurred problems a caveat."""
    if grade:
        base = f"{who}政治生态{GRADE_WORDS.get(grade, f'总体为“{grade}”')}"
        if change is None:
            trend = None
        elif change >= STEADY_SCORE:
            trend = "呈稳中向好态势"
        elif change <= -STEADY_SCORE:
            trend = "较上季度有所下滑，需引起重视"
        else:
            trend = "与上季度基本持平"
        body = _join([base, trend])
    else:
        body = f"{who}问题整改总体有序推进"
    caveat = _join([f"逾期未整改问题{overdue}个" if overdue else None,
                    f"改而复发问题{recurred}个" if recurred else None], "、")
    return f"综合研判，{body}" + (f"，但{caveat}，整改攻坚任务依然较重。" if caveat else "。")


def overall(who: str, period_label: str, score_now: float | None, grade: str | None, previous: float | None,
            year_ago: float | None, head: dict, previous_head: dict | None) -> list[str]:
    """Score, grade and trend (when the reader sees scores), the open and overdue problems, and the conclusion."""
    text = []
    if score_now is not None:
        moves = _join([_compared("上季度", score_change(score_now, previous)),
                       _compared("上年同期", score_change(score_now, year_ago))])
        text.append(f"{period_label}，{who}政治生态综合得分{score(score_now)}分，等级为“{grade}”"
                    + (f"，{moves}" if moves else "") + "。")
    open_change = _compared("上季度", count_change(head["open"], previous_head and previous_head["open"]))
    overdue_change = _compared("上季度", count_change(head["overdue"], previous_head and previous_head["overdue"]))
    text.append(f"期末未完成整改问题{count(head['open'])}个" + (f"，{open_change}" if open_change else "")
                + f"；其中逾期未整改{count(head['overdue'])}个" + (f"，{overdue_change}" if overdue_change else "")
                + f"；改而复发问题{count(head['recurred'])}个。")
    change = None if score_now is None or previous is None else round(round(score_now, 1) - round(previous, 1), 1)
    text.append(conclusion(who, grade if score_now is not None else None, change, int(head["overdue"]),
                           int(head["recurred"])))
    return text


# ---- 三、八个方面 ----

def dimension(name: str, problems: int, open_problems: int, overdue: int, score_now: float | None = None,
              rank: int | None = None, of: int | None = None, rank_among: str = "八个方面",
              lowest: Sequence[tuple[str, float]] = (), lost: dict[str, float] | None = None) -> str:
    """One aspect's lead paragraph: its score and rank (when scored), problems, and lost points by indicator."""
    parts = []
    if score_now is not None:
        ranked = f"，在{rank_among}中居第{rank}位（共{of}个）" if rank else ""
        parts.append(f"该方面得分{score(score_now)}分{ranked}")
    parts.append(f"本期涉及问题{problems}个，期末未完成{open_problems}个，其中逾期{overdue}个")
    if lowest:
        parts.append("得分较低的单位为" + "、".join(f"{u}（{score(s)}分）" for u, s in lowest))
    if lost:
        total = sum(lost.values())
        if total > 0:
            shares = "、".join(f"{k}{_points(v)}分（占{rate(v / total)}）" for k, v in lost.items() if v > 0)
            parts.append(f"共扣{_points(total)}分，其中{shares}")
        else:
            parts.append("未因问题扣分")
    return "；".join(parts) + "。"


def _points(p: float) -> str:
    return f"{p:g}" if float(p).is_integer() else f"{p:.1f}"


def dimension_problems(groups: Sequence[tuple[str, int, str | None]]) -> str | None:
    """The problems behind an aspect as 一是/二是/三是: (category, how many, a typical case or None)."""
    if not groups:
        return None
    items = [f"{category}方面问题{n}个" + (f"，如{case}" if case else "") for category, n, case in groups]
    return "从问题表现看，" + "；".join(ordinal_list(items)) + "。"


# ---- 四、主要问题及原因分析 ----

def causes(head: dict, top_dimension: tuple[str, int] | None, top_unit: tuple[str, int] | None) -> list[str]:
    """主要问题及原因, each by a rule over the figures (thresholds above), numbered 一是/二是 in the order fired;
    one sentence saying nothing stands out when no rule fires."""
    found = []
    open_n, overdue = int(head["open"]), int(head["overdue"])
    if open_n and overdue / open_n >= OVERDUE_SHARE:
        found.append(f"整改责任压得不实。逾期未整改问题{overdue}个，占未完成问题的{rate(overdue / open_n)}，"
                     "部分单位整改推进迟缓，责任传导存在“上热中温下凉”现象")
    if head.get("on_time_rate") is not None and head["on_time_rate"] < ON_TIME_LOW:
        found.append(f"整改时限刚性约束不够。按期整改率仅为{rate(head['on_time_rate'])}，"
                     "一些问题整改时限设置不科学、推进缺乏节点管控")
    if int(head["recurred"]):
        found.append(f"整改成效巩固不够。改而复发问题{head['recurred']}个，"
                     "存在“一改了之”、治标不治本现象，长效机制建设滞后")
    if top_dimension and head["total"] and top_dimension[1] / head["total"] >= DIMENSION_SHARE:
        name, n = top_dimension
        found.append(f"问题领域相对集中。“{name}”方面问题{n}个，占问题总数的{rate(n / head['total'])}，"
                     "反映该领域制度执行和日常监管存在薄弱环节")
    if top_unit and open_n and top_unit[1] / open_n >= UNIT_SHARE:
        unit, n = top_unit
        found.append(f"个别单位主体责任落实有差距。{unit}未完成整改问题{n}个，占全部未完成问题的"
                     f"{rate(n / open_n)}，“一岗双责”履行不到位")
    if not found:
        return ["本期未发现明显的集中性、系统性问题，整改工作总体有序，但仍需保持严的基调，防止松劲懈怠。"]
    return [s + "。" for s in ordinal_list(found)]


# ---- 五、整改落实和回头看情况 ----

def rectification(head: dict, closed_for_lookback: int, lookback_size: int) -> list[str]:
    text = [f"本期按期整改率{rate(head['on_time_rate'])}，整改完成率{rate(head['completion_rate'])}，"
            f"销号率{rate(head['closure_rate'])}。逾期未整改问题{count(head['overdue'])}个，"
            f"改而复发问题{count(head['recurred'])}个" + (f"，本期销号后又重新打开的{head['reopened']}个"
                                                     if head.get("reopened") else "") + "。"]
    if closed_for_lookback:
        text.append(f"对已销号的{closed_for_lookback}个问题开展“回头看”，按规则抽取{lookback_size}个进行再检查、"
                    "再了解，防止问题反弹回潮。")
    return text


def rechecks(found: tuple[int, int, int, int] | None) -> str | None:
    """回头看 results recorded for the quarter: re-checked, 整改到位, 改而复发 (再通报), 需再了解."""
    if not found:
        return None
    checked, done, recurred, unclear = found
    text = f"本期“回头看”复查问题{checked}个，其中整改到位{done}个"
    if recurred:
        text += f"，改而复发{recurred}个（已列入再通报）"
    if unclear:
        text += f"，需再了解{unclear}个"
    return text + "。"


def follow_up_documents(counts: dict[str, int]) -> str | None:
    """督办文书 and their replies, where the follow-up loop is recorded: kind or state → how many."""
    if not counts:
        return None
    return "督办文书方面，" + "、".join(f"{k}{n}份" for k, n in counts.items()) + "。"


# ---- 六、下一步工作建议 ----

def suggestions(head: dict, poor_units: Sequence[str]) -> list[str]:
    """Standing suggestions, each included by a rule over the figures."""
    items = []
    if int(head["overdue"]):
        items.append(f"紧盯{head['overdue']}个逾期未整改问题，逐项明确责任人和完成时限，实行挂牌督办、对账销号")
    if int(head["recurred"]):
        items.append("对改而复发问题开展专项“回头看”，深挖复发根源，严肃追责问责")
    if poor_units:
        items.append(f"对{'、'.join(poor_units)}等评价较差的单位发出纪检建议书，督促其党组织专题研究整改")
    items.append("持续深化“月通报、季检查、年考核”工作机制，把整改落实情况纳入绩效考核，推动“两个责任”贯通协同")
    return [s + "。" for s in ordinal_list(items)]


def agenda_item(n: int, topic: str, reason: str, figures: str) -> str:
    """One 会商议题, numbered 1．2． (the third level under a （一） heading)."""
    return f"{n + 1}．{topic}。{reason}（{figures}）。"


# ---- 月通报 ----

def monthly(who: str, as_of: str, ledger_label: str, figures: dict, previous: dict | None,
            previous_as_of: str | None) -> list[str]:
    """The bulletin's lead: figures as of a month end from the latest ledgers known by then."""
    text = [f"根据截至{as_of}已报送的最新台账（{ledger_label}），{who}共有问题{count(figures['total'])}个，"
            f"已完成整改{count(figures['completed'])}个，已销号{count(figures['closed'])}个，"
            f"未完成整改{count(figures['open'])}个。"]
    overdue_change = (None if previous is None else
                      _compared(f"{previous_as_of}", count_change(figures["overdue"], previous["overdue"])))
    text.append(f"截至{as_of}，逾期未整改问题{count(figures['overdue'])}个"
                + (f"，{overdue_change}" if overdue_change else "")
                + f"；到期应完成问题{count(figures['due'])}个，按期完成{count(figures['on_time'])}个，"
                  f"按期整改率{rate(figures['on_time_rate'])}。")
    return text
