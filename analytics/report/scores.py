"""The scores a 研判报告 shows, read through analytics.scoring's public functions in this one place (the scoring
model may change: only this module needs to follow it).

Dimension scores, the total and grade (company_score: for a one-unit scope, that unit's), the units' ranking, and
the points lost per indicator behind each dimension (score_deductions, summed over the units scored).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd

from analytics import org, scoring
from analytics.config import ScoringConfig
from analytics.metrics import Scope
from analytics.periods import Period

# score_deductions' point columns → the indicator each stands for
INDICATORS = {"severity_points": "问题性质扣分", "overdue_points": "逾期加扣", "recurred_points": "复发加扣"}


@dataclass(frozen=True, eq=False)
class Scores:
    """What the report says of scores, for one period and scope."""

    score: float | None
    grade: str | None
    previous: float | None  # the previous quarter's total (None: not scored then)
    year_ago: float | None
    dimensions: dict[str, float]  # dimension → score, in configured order
    units: pd.DataFrame  # unit, score, grade, rank: the scope's units, best first
    # dimension → (rank, out of how many): among the dimensions (company), or the unit among units (one unit)
    ranks: dict[str, tuple[int, int]] = field(default_factory=dict)
    rank_among: str = "八个方面"
    lowest: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # dimension → its 2 lowest units
    lost: dict[str, dict[str, float]] = field(default_factory=dict)  # dimension → indicator → points lost
    poor_grade: str | None = None  # the grade that earns a 纪检建议书


def _total(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, cfg: ScoringConfig) -> dict:
    return scoring.company_score(con, period, scope, cfg=cfg)


def scores(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, *, cfg: ScoringConfig,
           one_unit: str | None = None) -> Scores:
    """The report's scores; ``one_unit``: a unit's 画像报告, whose ranks are among every unit the reader sees."""
    company = _total(con, period, scope, cfg)
    units = scoring.unit_scores(con, period, scope, cfg=cfg)
    dims = scoring.dimension_scores(con, period, scope, cfg=cfg)
    out = Scores(score=company["score"], grade=company["grade"],
                 previous=_total(con, period.previous(), scope, cfg)["score"],
                 year_ago=_total(con, period.year_ago(), scope, cfg)["score"],
                 dimensions=dict(company["dimensions"]),
                 units=units[["unit", "score", "grade", "rank"]].reset_index(drop=True),
                 poor_grade=cfg.proposal_grade)
    if one_unit is None:
        ordered = sorted(out.dimensions.items(), key=lambda kv: -kv[1])
        ranks = {d: (i + 1, len(ordered)) for i, (d, _) in enumerate(ordered)}
        lowest = {}
        if len(units) > 1:
            for d in out.dimensions:
                rows = dims[dims["dimension"] == d].sort_values(["score", "unit"]).head(2)
                lowest[d] = [(str(u), float(s)) for u, s in zip(rows["unit"], rows["score"], strict=True)]
        out = replace(out, ranks=ranks, lowest=lowest)
    else:
        # ranked among the units under its own parent (组织架构; without a register, every unit), as far as the
        # reader sees: a report kept and handed on says nothing of units beyond them
        parent = one_unit.rsplit(org.SEP, 1)[0] if org.SEP in one_unit else None
        peers = scoring.dimension_scores(
            con, period, replace(scope, units=org.units_under(con, parent) if parent else None), cfg=cfg)
        ranks = {}
        for d in out.dimensions:
            rows = peers[peers["dimension"] == d]
            mine = rows.loc[rows["unit"] == one_unit, "score"]
            if len(mine):
                ranks[d] = (int((rows["score"] > float(mine.iloc[0])).sum()) + 1, len(rows))
        out = replace(out, ranks=ranks, rank_among="各单位")
    return replace(out, lost=_lost(con, period, scope, list(units["unit"]), cfg))


def _lost(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, units: list[str],
          cfg: ScoringConfig) -> dict[str, dict[str, float]]:
    """Points lost per dimension and indicator, summed over the units (扣分明细)."""
    frames = [scoring.score_deductions(con, period, u, None, scope, cfg=cfg) for u in units]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return {}
    rows = pd.concat(frames, ignore_index=True)
    sums = rows.groupby("dimension")[list(INDICATORS)].sum()
    return {str(d): {INDICATORS[c]: round(float(sums.loc[d, c]), 1) for c in INDICATORS} for d in sums.index}
