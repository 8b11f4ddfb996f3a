"""The period summary: every headline figure, breakdown, score and warning count in one dict.

What ``python -m analytics summary --json`` prints, and the figures a snapshot
export starts from.
"""

from __future__ import annotations

import duckdb

from analytics import alerts, metrics, scoring
from analytics.config import ScoringConfig
from analytics.metrics import ALL, Scope
from analytics.periods import Period


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def summary(con: duckdb.DuckDBPyConnection, period: str | Period | None = None, scope: Scope = ALL, *,
            cfg: ScoringConfig) -> dict:
    """Headline figures, breakdowns by source / dimension / unit, unit and company scores, warning counts."""
    p = metrics.resolve_period(con, period)
    head = metrics.headline(con, p, scope)
    out: dict = {"period": str(p), "as_of": p.end.isoformat()}
    out |= {k: head[k] for k in ("total", "closed", "completed", "open", "overdue", "recurred", "new",
                                 "carried_over", "closed_this_period", "reopened",
                                 "closure_rate", "completion_rate", "on_time_rate")}
    by_unit = metrics.breakdown(con, p, "unit", scope)
    for by in ("source", "dimension"):
        frame = metrics.breakdown(con, p, by, scope)
        out[f"by_{by}"] = {str(k): int(v) for k, v in zip(frame[by], frame["total"], strict=True)}
    out["by_unit"] = {str(k): int(v) for k, v in zip(by_unit["unit"], by_unit["total"], strict=True)}

    counts = {r.unit: r for r in by_unit.itertuples()}
    dims = scoring.dimension_scores(con, p, scope, cfg=cfg)
    units = {}
    for r in scoring.unit_scores(con, p, scope, cfg=cfg).itertuples():
        c = counts.get(r.unit)
        unit_dims = dims[dims["unit"] == r.unit]
        units[r.unit] = {
            "total": int(c.total) if c else 0, "closed": int(c.closed) if c else 0,
            "overdue": int(c.overdue) if c else 0, "score": _round(r.score), "grade": r.grade,
            "dimensions": {d: _round(s) for d, s in zip(unit_dims["dimension"], unit_dims["score"], strict=True)},
        }
    out["units"] = units
    company = scoring.company_score(con, p, scope, cfg=cfg)
    out["company"] = {"score": _round(company["score"]), "grade": company["grade"],
                      "dimensions": {d: _round(s) for d, s in company["dimensions"].items()}}
    out["warnings"] = alerts.warning_counts(con, p, scope, cfg=cfg)
    return out
