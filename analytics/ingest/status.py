"""Status-bearing cells → one status per row: each cell classified on its own, then the cells combined.

A row may carry its status in several columns (整改状态, 是否销号, 完成情况, 整改结果, 整改进展, 备注 …).
``classify_cell`` reads one cell; ``combine`` picks the row's status from its cells. Pure: no I/O, the words come
from ``LedgerConfig`` ([status.values], [status] keyword_rules, [status.yes_no] in data/ledger.toml), from the
user's answers (a ledger profile) and, for reading a cell clause by clause, from the word lists below.

How a cell is read (text compared as ``key`` gives it: full width folded, no white space), first match wins:

1. blank → nothing;
2. the user's answer for exactly this word;
3. 是/否 (Y/N, √ ✓ ✔ / × ✗ ✘): in a yes/no column ([status.yes_no]: 是否销号, 是否已整改 …) what the column means
   by them; elsewhere a bare 否 is a generic "not done" (整改中) and a bare 是 is unknown (done or closed?);
4. an exact value of [status.values] (punctuation around it ignored): 已完成, 整改完毕, 按期完成, 同意销号 …;
5. long-term compound text (已完成，长期坚持 / 是（长期坚持） / 已整改并长期坚持): the long-term words (the values and
   keywords that mean 长期整改) are taken out and the rest is read by steps 3, 4, 6, 7 and 8: a completed rest keeps
   its status (已整改, 已销号) with ``long_term``; an open rest or none at all gives 长期整改 (open, long-term work);
6. a completed clause, then clauses of continuing work (整改已完成，长效机制持续推进 / 已销号，持续巩固): the text
   before the first clause with a word of ``CONTINUING_WORDS`` reads completed (steps 3, 4, 7, 8) and no later clause
   says the work is not done yet (``NOT_YET_WORDS``: 下一步, 预计, 尚未 …): that status, with ``long_term``. Only
   after a completion: 正在推进，持续整改 stays as the other steps read it;
7. the keyword rules in their configured order (the words that keep a cell open come before the completed ones); a
   completion qualified by a share under 100% (已完成80%) is partial: 整改中, and so is a completion beside another
   clause of work not done yet or under way (已完成初步排查，下一步将修订 / 已完成排查，制度修订中: ``NOT_YET_WORDS``,
   ``UNDER_WAY_WORDS`` or a verb of ``UNDER_WAY_VERBS`` ending the clause in 中), unless that clause is about the
   closing steps (已完成整改，尚未验收 / 尚未销号 stays completed);
8. in a yes/no column, a leading 是/否 followed by a note (是，2024年6月完成; 否（资金未到位）).

Anything else says nothing in a free-text column (整改进展, 备注: text with no status word), and raises
``ValueError`` with a Chinese reason in a status column: the caller asks the user, never guesses. Commitments are
not completions: 确保按期完成 is unknown (按期完成 counts only as the whole cell).

Rank, the precedence between cells, is derived from the status and what matched, not configured:
3 已销号 (an explicit 销号: 已销号, 是否销号=是, 已办结, 已闭环); 2 已整改 (a completed word: 已完成, 已整改到位,
待验收, 是否完成=是 …); 0 a generic "not done" (a yes/no column's 否, a bare 否, or a cell whose deciding word is one
of ``GENERIC_WORDS``: 未完成, 尚未完成, 未销号 …); 1 any other status (未启动; 长期整改; 整改中 in specific
words: 部分完成, 滞后 …); -1 nothing. In a free-text cell (``free_text``: 整改进展, 备注, a column found by its
values) a status found by a keyword rule inside the text ranks at most 1: free text mentions completions of steps
(已完成初步排查 …) that must not overrule the status column, so it beats only a generic "not done" and nothing
said. A free-text cell whose status is a value as a whole (备注 = 已销号, 已完成; also 已完成，长期坚持) or the
user's answer keeps its full rank. ``long_term`` is True when the cell has a long-term word, and always for 长期整改.

``combine``: the highest rank wins and, among equal ranks, the first cell (columns in the ledger's order, the main
整改状态-like column first). So an explicit 销号 in a status column or as a whole free-text cell closes the row;
else such a completed word makes it 已整改, beating a generic 否 / 未完成 elsewhere; else the first cell that says
something specific (整改状态=整改中 beats 整改进展="…已完成…"); else the first generic "not done"; else nothing. The
row is long-term when any of its cells is (整改状态=已整改 beside 备注=长期坚持: completed, to be kept up).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from analytics.config import COMPLETED_STATUSES, STATUSES, LedgerConfig
from analytics.text import header_key, key

LONG_TERM = "长期整改"
OPEN = "整改中"  # a bare 否 outside a yes/no column, and a completion of a share of the work
YES_WORDS = frozenset({"是", "Y", "y", "√", "✓", "✔"})
NO_WORDS = frozenset({"否", "N", "n", "×", "✗", "✘"})
# Words that only say "not done / not closed yet", nothing of how far the work is: rank 0, so a specific word
# in another column (未启动, 部分完成 …) decides before them.
GENERIC_WORDS = frozenset({"否", "未完成", "尚未完成", "没有完成", "未销号", "尚未销号", "未办结", "未闭环"})
# The highest rank of a status a keyword rule finds inside free text (整改进展, 备注): that of a specific word
FREE_TEXT_RANK = 1

# Reading a cell clause by clause (steps 6 and 7 of the module docstring). Clauses end at punctuation, 并 or 同时.
# Work that goes on after a completion, without an end: 整改已完成，长效机制持续推进 is completed and long-term.
CONTINUING_WORDS = ("长效", "持续", "常态", "长期", "巩固", "坚持")
# Work not done yet: a clause with one of these keeps a completion beside it open, and is never continuing work.
NOT_YET_WORDS = ("下一步", "将于", "拟", "计划", "预计", "尚未", "仍未", "还未", "滞后", "延期", "待整改", "待落实",
                 "待完成", "有待")
# Work under way: beside a completion, a clause with one of these, or ending in one of the verbs + 中 (制度修订中),
# keeps the cell open (已完成排查，正在修订制度). A bare 中 is not enough: 修订中层干部管理办法, 集中, 6月中.
UNDER_WAY_WORDS = ("正在", "着手", "尚在", "仍在", "还在")
UNDER_WAY_VERBS = ("修订", "修改", "制定", "制订", "起草", "编制", "完善", "落实", "实施", "推进", "推动", "建设",
                   "整改", "整治", "办理", "进行", "开展", "协调", "沟通", "对接", "核查", "排查", "调查", "处理",
                   "研究", "论证", "执行", "清理", "追缴", "追回", "调整", "优化", "跟进", "督办")
# The closing steps: a clause about them (尚未验收, 正在办理销号) leaves a completion beside it completed.
CLOSING_WORDS = ("验收", "审核", "销号", "办结", "闭环")

# rule codes: how a cell was read (a row's 状态依据 names its column, its value and this)
BLANK, NONE, ANSWER, YES_NO, EXACT, KEYWORD, PARTIAL, COMPOUND = (
    "blank", "none", "answer", "yes_no", "exact", "keyword", "partial", "compound")

_TICKS = "".join(sorted(w for w in YES_WORDS | NO_WORDS if not w.isalnum()))  # √ ✓ ✔ × ✗ ✘
# punctuation around a word (【已销号】, 是。); the ticks are words here (✔（长期坚持）)
_PUNCT = re.compile(f"[^\\w{_TICKS}]+|_+")
_CLAUSE_BREAK = re.compile(r"[\W_]+|并|同时")
_UNDER_WAY_END = re.compile(f"(?:{'|'.join(UNDER_WAY_VERBS)})中$")
# 已完成80%, 完成约60%: a completion that is only a share of the work
_SHARE_DONE = re.compile(r"完成[^\d,;。，；]{0,3}?(\d+(?:\.\d+)?)%")
# 是，2024年6月完成 / 否(资金未到位): a yes/no word, then a note after punctuation
_LEADING_YES_NO = re.compile(f"^([是否YyNn{_TICKS}])(?=[^\\w{_TICKS}])")

_UNKNOWN = ("无法识别的整改状态，应为 未启动/整改中/已整改/已销号/长期整改 之一"
            "（请指定它的含义，或在 data/ledger.toml 中补充写法）")


@dataclass(frozen=True)
class CellStatus:
    """What one cell says: a status (None: nothing), its rank, the long-term flag, and what matched."""

    status: str | None
    rank: int  # 3 explicit 销号, 2 completed, 1 a specific word, 0 a generic "not done", -1 nothing
    long_term: bool
    rule: str  # blank, none, answer, yes_no, exact, keyword, partial, compound
    word: str = ""  # the value or keyword that matched (已完成+长期坚持 for a compound)


@dataclass(frozen=True)
class Decision:
    """A row's status from its cells, and which cell decided (its index in the cells given) and how."""

    status: str | None
    long_term: bool
    column: int | None
    rule: str
    word: str = ""


def _rank(status: str | None, word: str, generic: bool = False) -> int:
    if status is None:
        return -1
    if status == "已销号":
        return 3
    if status == "已整改":
        return 2
    return 0 if generic or word in GENERIC_WORDS else 1


def _cell(status: str | None, rule: str, word: str, long_term: bool = False, generic: bool = False) -> CellStatus:
    return CellStatus(status, _rank(status, word, generic), long_term or status == LONG_TERM, rule, word)


def _done(cell: CellStatus | None) -> bool:
    return cell is not None and cell.status in COMPLETED_STATUSES


def _yes_no(word: str, yes_no: tuple[str, str] | None) -> CellStatus | None:
    """是/否 as the column means them; outside a yes/no column only 否 (generic "not done")."""
    if yes_no is not None and word in YES_WORDS:
        return _cell(yes_no[0], YES_NO, word)
    if word in NO_WORDS and (yes_no is not None or word == "否"):
        return _cell(yes_no[1] if yes_no else OPEN, YES_NO, word, generic=True)
    return None


def _exact(text: str, yes_no: tuple[str, str] | None, cfg: LedgerConfig) -> CellStatus | None:
    """Steps 3 and 4: 是/否, then an exact value; on the text and on it without punctuation (是。, 【已销号】)."""
    words = dict.fromkeys((text, _PUNCT.sub("", text)))
    found = next(filter(None, (_yes_no(w, yes_no) for w in words)), None)
    return found or next((_cell(cfg.status_values[w], EXACT, w) for w in words if w in cfg.status_values), None)


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE_BREAK.split(text) if c]


def _keyword_rule(text: str, cfg: LedgerConfig) -> CellStatus | None:
    return next((_cell(status, KEYWORD, word) for word, status in cfg.status_rules if word in text), None)


def _still_to_do(clause: str, cfg: LedgerConfig) -> str | None:
    """The word by which a clause says work is not done yet or under way (None: it does not, or it is about the
    closing steps, or it reads completed itself: 待验收, 审核中)."""
    if any(w in clause for w in CLOSING_WORDS) or _done(_exact(clause, None, cfg) or _keyword_rule(clause, cfg)):
        return None
    if m := _UNDER_WAY_END.search(clause):
        return m[0]
    return next((w for w in NOT_YET_WORDS + UNDER_WAY_WORDS if w in clause), None)


def _keywords(text: str, yes_no: tuple[str, str] | None, cfg: LedgerConfig, free_text: bool) -> CellStatus | None:
    """Steps 7 and 8: the first keyword rule that matches (a share under 100%, or another clause of work not done
    yet, makes a completion partial; in free text its rank is capped), else a leading 是/否 in a yes/no column."""
    found = _keyword_rule(text, cfg)
    if (found is None or _done(found)) and (m := _SHARE_DONE.search(text)) and float(m[1]) < 100:
        return _cell(OPEN, PARTIAL, m[0])
    if _done(found):
        todo = next(filter(None, (_still_to_do(c, cfg) for c in _clauses(text))), None)
        if todo is not None:
            return _cell(OPEN, PARTIAL, f"{found.word}+{todo}")
    if found is None and yes_no is not None and (m := _LEADING_YES_NO.match(text)):
        return _yes_no(m[1], yes_no)
    if found is not None and free_text and found.rank > FREE_TEXT_RANK:
        return replace(found, rank=FREE_TEXT_RANK)
    return found


def _continuing(text: str, yes_no: tuple[str, str] | None, cfg: LedgerConfig, free_text: bool) -> CellStatus | None:
    """Step 6: a completed clause, then clauses of continuing work (整改已完成，长效机制持续推进); None otherwise."""
    hits = [(text.find(w), w) for w in CONTINUING_WORDS if w in text]
    if not hits:
        return None
    at, word = min(hits)
    breaks = list(_CLAUSE_BREAK.finditer(text, 0, at))  # the clause breaks before the first continuing word
    if not breaks or any(w in text[breaks[-1].end():] for w in NOT_YET_WORDS):
        return None
    head = text[:breaks[-1].start()]
    done = _exact(head, yes_no, cfg) or _keywords(head, yes_no, cfg, free_text)
    if not _done(done):
        return None
    return CellStatus(done.status, done.rank, True, COMPOUND, f"{done.word}+{word}")


def _long_term_words(cfg: LedgerConfig) -> list[str]:
    """The words that mean 长期整改 (values and keywords), longest first so 长期坚持 goes before 长期."""
    words = {w for w, s in cfg.status_values.items() if s == LONG_TERM}
    words |= {w for w, s in cfg.status_rules if s == LONG_TERM}
    return sorted(words, key=len, reverse=True)


def _compound(text: str, yes_no: tuple[str, str] | None, cfg: LedgerConfig, free_text: bool) -> CellStatus | None:
    """Step 5: long-term words with something else (已完成，长期坚持); None when the cell has no long-term word."""
    found = [w for w in _long_term_words(cfg) if w in text]
    if not found:
        return None
    rest = text
    for word in found:
        rest = rest.replace(word, " ")
    inner = (_exact(rest, yes_no, cfg) or _continuing(rest, yes_no, cfg, free_text)
             or _keywords(rest, yes_no, cfg, free_text)) if _PUNCT.sub("", rest) else None
    if inner is not None and inner.status in COMPLETED_STATUSES:
        return CellStatus(inner.status, inner.rank, True, COMPOUND, f"{inner.word}+{found[0]}")
    if inner is not None:  # open work that is to be kept up: long-term work
        return _cell(LONG_TERM, COMPOUND, f"{inner.word}+{found[0]}")
    return _cell(LONG_TERM, KEYWORD, found[0])


def _answer(text: str, answers: Mapping[str, str]) -> CellStatus | None:
    for word, status in answers.items():
        if key(word) == text:
            if status not in STATUSES:
                raise ValueError(f"已保存的答复把「{word}」对应为未知的整改状态「{status}」，"
                                 f"应为 {'/'.join(STATUSES)} 之一")
            return _cell(status, ANSWER, text)
    return None


def classify_cell(value: object, header: str, cfg: LedgerConfig, answers: Mapping[str, str] | None = None,
                  free_text: bool = False) -> CellStatus:
    """What one status-bearing cell says (the module docstring gives the order of the rules).

    ``header``: the column's header (raw or as ``header_key`` gives it): it says whether 是/否 are read.
    ``answers``: the user's word → status (a ledger profile), matched on the whole cell before anything else.
    ``free_text``: a progress or 备注 column, where text without a status word says nothing (elsewhere such text
    raises ``ValueError``: an unknown status word, a question for the user) and a status a keyword rule finds in
    the text ranks at most ``FREE_TEXT_RANK``.
    """
    text = key(value)
    if not text:
        return CellStatus(None, -1, False, BLANK)
    if answers and (found := _answer(text, answers)):
        return found
    yes_no = cfg.yes_no.get(header_key(header))
    found = (_exact(text, yes_no, cfg) or _compound(text, yes_no, cfg, free_text)
             or _continuing(text, yes_no, cfg, free_text) or _keywords(text, yes_no, cfg, free_text))
    if found is not None:
        return found
    if free_text:
        return CellStatus(None, -1, False, NONE)
    raise ValueError(_UNKNOWN)


def combine(cells: Sequence[CellStatus]) -> Decision:
    """A row's status: the highest rank wins, the first cell among equals (cells in column order, main first)."""
    best: int | None = None
    for i, cell in enumerate(cells):
        if cell.status is not None and (best is None or cell.rank > cells[best].rank):
            best = i
    long_term = any(c.long_term for c in cells if c.status is not None)
    if best is None:
        return Decision(None, False, None, NONE)
    cell = cells[best]
    return Decision(cell.status, long_term, best, cell.rule, cell.word)
