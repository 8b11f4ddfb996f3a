"""集团视图: the companies of the 组织架构 side by side — headline figures and rates, rolled-up scores and grades,
warnings — and their dimension scores as a companies × dimensions grid. Without a register the one implicit
company is the whole database."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from analytics import alerts, metrics, org, rollup, scoring
from analytics.config import ScoringConfig
from analytics.metrics import Scope
from analytics.periods import Period

FIGURES = ("company", "total", "new", "closed", "completed", "open", "overdue", "recurred", "closure_rate",
           "completion_rate", "on_time_rate")
WHOLE = "全部单位"  # the implicit company of a database without a register


def _company_scope(con: duckdb.DuckDBPyConnection, company: str, scope: Scope) -> Scope | None:
    """The scope cut to one company's units (None when the scope sees none of them)."""
    keys = org.units_under(con, company)
    allowed = set(scope.within) if scope.within is not None else None
    chosen = set(scope.units) if scope.units is not None else None
    units = tuple(k for k in keys if (allowed is None or k in allowed) and (chosen is None or k in chosen))
    return replace(scope, units=units) if units else None


def companies(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, *, cfg: ScoringConfig) -> dict:
    """figures (counts and rates per company), scores (score, grade, colour per company), warnings (per company
    and tier) and heatmap (company × dimension score), for the companies the scope sees."""
    register = org.load(con)
    scopes = ({WHOLE: scope} if register.empty else
              {c: s for c in register.companies if (s := _company_scope(con, c, scope)) is not None})
    figures, scores, warnings, grid = [], [], [], []
    for company, s in scopes.items():
        head = metrics.headline(con, period, s)
        figures.append({"company": company} | {k: head[k] for k in FIGURES[1:]})
        raw = scoring.raw_scores(con, period, scope=s, cfg=cfg)
        rolled, _, _ = rollup.tree_scores(con, raw, period, replace(s, units=(company,) if not register.empty
                                                                    else s.units), cfg=cfg)
        scores.append({"company": company, "score": rolled["score"], "grade": rolled["grade"],
                       "color": rolled["color"]})
        grid.extend({"company": company, "dimension": d, "score": v} for d, v in rolled["dimensions"].items())
        warnings.append({"company": company} | alerts.warning_counts(con, period, s, cfg=cfg))
    return {"figures": pd.DataFrame(figures, columns=list(FIGURES)),
            "scores": pd.DataFrame(scores, columns=["company", "score", "grade", "color"]),
            "warnings": pd.DataFrame(warnings).fillna(0) if warnings else pd.DataFrame(columns=["company"]),
            "heatmap": pd.DataFrame(grid, columns=["company", "dimension", "score"])}
