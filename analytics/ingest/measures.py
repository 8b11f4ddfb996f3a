"""One problem over several rows: which rows continue the problem above (its 整改措施), and the problem's figures
from its measures.

A row continues the problem above it when its description is blank; when its description was merged down from
the row above (whatever unit the measure row names: that unit works with the lead one); or when its description
(typed again, punctuation and spaces aside), unit and source are the row above's. A problem code of its own that
differs starts a new problem. Every row is tested in Arrow at once: a ledger of one row per problem costs a few
comparisons per column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analytics.config import CLOSED_STATUS, COMPLETED_STATUSES


def _same_as_above(values: pa.Array) -> pa.Array:
    """Row i equals row i-1 (row 0: false); nulls compare false."""
    if len(values) < 2:
        return pa.array([False] * len(values), pa.bool_())
    equal = pc.fill_null(pc.equal(values[1:], values[:-1]), False)
    return pa.concat_arrays([pa.array([False]), equal])


def _blank_or_same(values: pa.Array) -> pa.Array:
    """Row i is blank, or equals row i-1."""
    return pc.or_(pc.is_null(values), _same_as_above(values))


def problem_starts(description: pa.Array, folded: pa.Array, unit: pa.Array, code: pa.Array, source: pa.Array,
                   seq: pa.Array, merged: pa.Array | None = None) -> pa.Array | None:
    """Where each problem starts: True on a problem's first row, False on a row that continues it; None when every
    row is a problem of its own. Text arrays, blank as null, in row order; folded: the descriptions as identity
    text (text.fold_many); merged: which rows' description a merged cell above gave.

    A blank description continues the problem above unless the row is numbered as a problem of its own (序号 4
    after 3, not 3.1 or （1）): then it is a problem whose description is missing."""
    if not len(description):
        return None
    own_number = pc.and_(pc.fill_null(pc.match_substring_regex(seq, r"^\d+$"), False),
                         pc.invert(_blank_or_same(seq)))
    blank = pc.and_(pc.is_null(description), pc.invert(own_number))
    same_text = _same_as_above(folded)
    alike = pc.and_(pc.or_(blank, pc.and_(same_text, _blank_or_same(unit))), _blank_or_same(source))
    if merged is not None:
        alike = pc.or_(alike, pc.and_(merged, same_text))
    continues = pc.and_(_blank_or_same(code), alike)
    continues = pa.concat_arrays([pa.array([False]), continues[1:]])  # the first row starts a problem
    if not pc.any(continues).as_py():
        return None
    return pc.invert(continues)


def other_units(unit: pa.Array, starts: pa.Array) -> pa.Array:
    """For each row, the units its problem's measure rows name besides the problem's own (its first row's), joined
    with 、 (null: none)."""
    start = starts.to_numpy(zero_copy_only=False)
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    own = unit.take(pa.array(first[group]))
    other = pc.and_(pc.fill_null(pc.not_equal(unit, own), True), unit.is_valid())
    listed = _per_group({"unit": (unit, "distinct")}, group, other.to_numpy(zero_copy_only=False), len(first))
    return _joined(listed["unit"], "、").take(pa.array(group))


def heads(starts: pa.Array) -> pa.Array:
    """Each row's problem's first row (an index into the rows)."""
    first_rows = pc.indices_nonzero(starts)
    group = pc.subtract(pc.cumulative_sum(pc.cast(starts, pa.int64())), 1)
    return first_rows.take(group)


@dataclass
class Grouped:
    """Measure rows gathered under their problems: per problem (group) its figures, per row its measure number."""

    first: pa.Array  # each problem's first row (an index into the rows)
    measure_no: pa.Array  # each row's number among its problem's measures; 0: no measure (a heading, a repeat)
    repeats: pa.Array  # rows that repeat the measure row above them exactly
    fields: dict[str, pa.Array]  # per problem: the measure fields, aggregated
    counts: pa.Array  # measures per problem


def aggregate(cols: dict[str, pa.Array], starts: pa.Array, content: Sequence[str]) -> Grouped:
    """Each problem's figures from its measure rows, in Arrow and numpy (a 100,000-row ledger is a few vector
    passes): completed only when every measure is (已销号 when every one is); else 长期整改 when every open one is,
    未启动 when none has started; else 整改中. Due at the latest dated deadline; done at the latest completion date;
    measures numbered in one text (1. … / 2. …); the other texts each once, in order; flags if any measure has them.

    A problem's own row without a measure of its own (its measures numbered 1.1, （1） below it) is no measure, and
    speaks for the status only when no measure does. A row repeating the measure row above it (content: the fields
    that make two measure rows the same) is dropped."""
    n = len(starts)
    start = starts.to_numpy(zero_copy_only=False)
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    size = np.diff(np.append(first, n))
    empty = np.ones(n, bool)
    for f in ("measures", "deadline_text", "deadline"):
        empty &= cols[f].is_null().to_numpy(zero_copy_only=False)
    heading = start & (size[group] > 1) & empty
    repeat = ~start & ~np.roll(heading, 1)
    for f in content:
        repeat &= _same_as_above_with_nulls(cols[f])
    kept = ~heading & ~repeat
    running = np.cumsum(kept)
    measure_no = np.where(kept, running - (running[first] - kept[first])[group], 0)
    counts = np.bincount(group[kept], minlength=len(first))
    fields = _measure_fields(cols, group, kept, first)
    fields["status"] = _status_of(cols["status"], group, kept, heading, first)
    done = pc.is_in(fields["status"], pa.array(COMPLETED_STATUSES))
    fields["closed_date"] = pc.if_else(pc.fill_null(done, False), fields["closed_date"],
                                       pa.nulls(len(first), pa.date32()))
    return Grouped(pa.array(first), pa.array(measure_no, pa.int32()), pa.array(repeat), fields,
                   pa.array(counts, pa.int32()))


def _same_as_above_with_nulls(values: pa.Array) -> np.ndarray:
    """Row i holds what row i-1 holds (two blanks are the same); row 0: false."""
    if len(values) < 2:
        return np.zeros(len(values), bool)
    a, b = values[1:], values[:-1]
    same = pc.or_kleene(pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b)))
    return np.concatenate([[False], pc.fill_null(same, False).to_numpy(zero_copy_only=False)])


def _per_group(values: dict[str, tuple[pa.Array, str]], group: np.ndarray, keep: np.ndarray,
               groups: int) -> dict[str, pa.Array]:
    """Arrow aggregates (max, any, distinct, list) of the kept rows' values per group, one pass for all: name →
    (values, how) in, name → one value per group out (null for a group with no kept row)."""
    chosen = pa.array(keep)
    table = pa.table({"g": pa.array(group[keep]), **{name: v.filter(chosen) for name, (v, _) in values.items()}})
    done = table.group_by("g", use_threads=False).aggregate([(name, how) for name, (_, how) in values.items()])
    where = np.full(groups, -1)
    where[done["g"].to_numpy()] = np.arange(done.num_rows)
    at = pa.array(where, mask=where < 0)
    return {name: done[f"{name}_{how}"].combine_chunks().take(at) for name, (_, how) in values.items()}


def _joined(listed: pa.Array, sep: str) -> pa.Array:
    """Lists of texts joined, an empty list as null."""
    joined = pc.binary_join(listed, sep)
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def _measure_fields(cols: dict[str, pa.Array], group: np.ndarray, kept: np.ndarray,
                    first: np.ndarray) -> dict[str, pa.Array]:
    groups = len(first)
    how = {"deadline": "max", "closed_date": "max", "long_term": "any", "immediate": "any", "no_deadline": "any",
           "status_long_term": "any", "deadline_text": "distinct", "status_basis": "distinct", "owner": "distinct",
           "progress": "distinct", "remarks": "distinct"}
    out = _per_group({f: (cols[f], h) for f, h in how.items()}, group, kept, groups)
    for f, h in how.items():
        out[f] = pc.fill_null(out[f], False) if h == "any" else _joined(out[f], "；") if h == "distinct" else out[f]
    # measures: numbered among the measures that have a text, as they are when there is one
    text = cols["measures"]
    has = kept & text.is_valid().to_numpy(zero_copy_only=False)
    running = np.cumsum(has)
    number = running - np.concatenate([[0], running])[first][group]
    prefixed = pc.binary_join_element_wise(pa.array(number.astype(str)), text, ". ")
    found = _per_group({"listed": (prefixed, "list"), "single": (text, "max")}, group, has, groups)
    several = pc.fill_null(pc.greater(pc.list_value_length(found["listed"]), 1), False)
    out["measures"] = pc.if_else(several, pc.binary_join(found["listed"], "\n"), found["single"])
    return out


def _status_of(status: pa.Array, group: np.ndarray, kept: np.ndarray, heading: np.ndarray,
               first: np.ndarray) -> pa.Array:
    """Each problem's status from its measures' (see aggregate)."""
    groups = len(first)
    values = status.to_numpy(zero_copy_only=False)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group[kept & mask], minlength=groups)

    known = count(values != None)  # noqa: E711 (numpy's element-wise comparison)
    closed = count(values == CLOSED_STATUS)
    completed = count(np.isin(values, COMPLETED_STATUSES))
    long_open = count(values == "长期整改")
    not_started = count(values == "未启动")
    decided = np.select(
        [known == 0, closed == known, completed == known, long_open == known - completed,
         (completed == 0) & (not_started == known)],
        [None, CLOSED_STATUS, "已整改", "长期整改", "未启动"], "整改中")
    own = np.where(heading[first], values[first], None)  # a heading row's status, when no measure has one
    return pa.array(np.where(known == 0, own, decided), pa.string())
