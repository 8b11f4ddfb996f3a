"""Merged cells in a ledger's body: each vertical merge's value on every row it covers.

Offices merge 责任单位 down over several problems and a problem's description down over its measure rows; a reader
sees the value in the merge's first row only. Horizontal merges are left alone: a heading merged across the table
is still one cell, so it still reads as a heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import pyarrow as pa

Range = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first column), (last row, last column)), inclusive


def fill_down(columns: list[Sequence], merged: Sequence[Range],
              start: int) -> tuple[list[Sequence], dict[int, np.ndarray]]:
    """The body's columns (row 0 being sheet row ``start``) with every merge that spans rows filled down its first
    column, and for each filled column the rows that took a value from above. Columns without such a merge are
    returned as they are (not copied)."""
    covered: dict[int, np.ndarray] = {}
    if not merged:
        return columns, covered
    # first row, first column, last row, last column: flattened in one pass (a list of nested tuples is slow to
    # hand to numpy whole: 130,000 merges, 120 → 20 ms)
    ranges = np.fromiter(chain.from_iterable(chain.from_iterable(merged)), np.int64, 4 * len(merged)).reshape(-1, 4)
    # a merge that spans rows, within the body (one from the header down is the header's own)
    ranges = ranges[(ranges[:, 2] > ranges[:, 0]) & (ranges[:, 0] >= start) & (ranges[:, 1] < len(columns))]
    out = list(columns)
    for c in np.unique(ranges[:, 1]):
        column = columns[c]
        spans = ranges[ranges[:, 1] == c][:, [0, 2]] - start
        source = _sources(spans, len(column))
        out[c] = column.take(pa.array(source)) if isinstance(column, pa.Array) else [column[i] for i in source]
        covered[int(c)] = source != np.arange(len(source))
    return out, covered


def _sources(spans: np.ndarray, height: int) -> np.ndarray:
    """For each row, the row whose cell it shows: the top of the merge covering it, else itself."""
    source = np.arange(height)
    tops = spans[:, 0]
    bottoms = np.minimum(spans[:, 1], height - 1)
    keep = tops < bottoms
    tops, bottoms = tops[keep], bottoms[keep]
    lengths = bottoms - tops  # the rows under each top
    if not lengths.sum():
        return source
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    covered = np.repeat(tops, lengths) + 1 + offsets
    source[covered] = np.repeat(tops, lengths)
    return source
