"""The period summary: every headline figure, breakdown, score and warning count in one dict.

What ``python -m analytics summary --json`` prints, and the figures a snapshot
export starts from.
"""

from __future__ import annotations

import duckdb

from analytics import alerts, metrics, org, rollup, scoring
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
    counted = metrics.breakdown(con, p, "unit", scope)
    for by in ("source", "dimension"):
        frame = metrics.breakdown(con, p, by, scope)
        out[f"by_{by}"] = {str(k): int(v) for k, v in zip(frame[by], frame["total"], strict=True)}
    raw = scoring.raw_scores(con, p, scope=scope, cfg=cfg)
    company, children, node = rollup.tree_scores(con, raw, p, scope, cfg=cfg)
    # by_unit and units are the children of the scope's node (组织架构): without a register, the units themselves
    counts: dict[str, dict[str, int]] = {}
    for r in counted.itertuples():
        child = org.child_of(str(r.unit), node) or str(r.unit)
        c = counts.setdefault(child, {"total": 0, "closed": 0, "overdue": 0})
        for k in c:
            c[k] += int(getattr(r, k))
    out["by_unit"] = {k: c["total"] for k, c in sorted(counts.items(), key=lambda kv: (-kv[1]["total"], kv[0]))}
    dims = scoring.scored_dimensions(scope, cfg)
    units = {}
    for r in children.itertuples():
        c = counts.get(r.unit, {"total": 0, "closed": 0, "overdue": 0})
        units[r.unit] = {"total": c["total"], "closed": c["closed"], "overdue": c["overdue"],
                         "score": _round(r.score), "grade": r.grade,
                         "dimensions": {d: _round(children.at[r.Index, d]) for d in dims if d in children.columns}}
    out["units"] = units
    out["company"] = {"score": _round(company["score"]), "grade": company["grade"],
                      "dimensions": {d: _round(s) for d, s in company["dimensions"].items()}}
    out["warnings"] = alerts.warning_counts(con, p, scope, cfg=cfg)
    return out
