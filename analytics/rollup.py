"""Scores at every level of the 组织架构: a node's dimension scores made from its children's, level by level, by
the configured rule (scoring.toml [rollup]: the mean of the children, or weighted by their problems or head count).

A node's own problems (filed against a 分公司 itself) count as one more child of it. Without a register every unit
is directly under the (implicit) company, so the company's score is the mean over units, as it always was.
Everything here is plain data in, plain data out: the caller reads the scores (analytics.scoring.raw_scores)
and the weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb
import pandas as pd

from analytics import metrics, org, scoring
from analytics.config import ScoringConfig
from analytics.metrics import Scope
from analytics.org import SEP
from analytics.periods import Period

RULES = ("mean", "problems", "head_count")
# raw_scores' counts a node sums over its subtree (the grade limits read them)
COUNTS = ("open_problems", "proposal_problems")


def node_of(keys: Iterable[str] | None) -> str | None:
    """The node a set of unit keys stands for: the deepest node whose subtree holds them all (None: the root
    above the companies, for all units or units of several companies)."""
    keys = list(keys) if keys is not None else []
    if not keys:
        return None
    parts = [k.split(SEP) for k in keys]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return SEP.join(common) or None


def _weights(units: list[str], rule: str, problems: Mapping[str, float], heads: Mapping[str, float]
             ) -> dict[str, float]:
    """Each child's weight: 1 (mean), its subtree's problems, or its head count (registered on it, else summed
    over its subtree); a child without any takes the others' mean; all without any: equal."""
    if rule == "mean":
        return {u: 1.0 for u in units}
    found = {}
    for u in units:
        if rule == "head_count" and heads.get(u):
            found[u] = float(heads[u])
            continue
        source = heads if rule == "head_count" else problems
        found[u] = float(sum(v for k, v in source.items() if org.under(k, u)))
    given = [w for w in found.values() if w > 0]
    fill = sum(given) / len(given) if given else 1.0
    return {u: (w if w > 0 else fill) for u, w in found.items()}


def node_scores(raw: pd.DataFrame, node: str | None, rule: str, problems: Mapping[str, float] | None = None,
                heads: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The children of ``node`` with their dimension scores (columns unit, dimension, score), each rolled up from
    the units under it; the node's own rows as its own child. ``raw``: one quarter of scoring.raw_scores()."""
    problems, heads = problems or {}, heads or {}
    rows = raw[["unit", "dimension", "score"]]
    counted = [c for c in COUNTS if c in raw.columns]
    by_child: dict[str, list[str]] = {}
    for unit in dict.fromkeys(rows["unit"]):
        child = org.child_of(unit, node)
        if child is not None:
            by_child.setdefault(child, []).append(unit)
    dims = list(dict.fromkeys(rows["dimension"]))
    own = {u: g.set_index("dimension")["score"] for u, g in rows.groupby("unit", sort=False)}
    records = []
    for child, units in sorted(by_child.items()):
        scores = _rolled(child, units, own, rule, problems, heads)
        # what the grade rules count (open problems per dimension, 建议书-level problems): summed over the subtree
        sums = raw[raw["unit"].isin(units)].groupby("dimension")[counted].sum() if counted else None
        records.extend({"unit": child, "dimension": d, "score": scores[d],
                        **({c: int(sums.at[d, c]) for c in counted} if sums is not None and d in sums.index else {})}
                       for d in dims if d in scores)
    frame = pd.DataFrame(records, columns=["unit", "dimension", "score", *counted])
    if "period_no" in raw.columns and not raw.empty:
        frame.insert(0, "period_no", int(raw["period_no"].iloc[0]))
    return frame


def _rolled(node: str, units: list[str], own: dict[str, pd.Series], rule: str, problems: Mapping[str, float],
            heads: Mapping[str, float]) -> pd.Series:
    """One node's dimension scores from the units of its subtree (``units``), recursively."""
    if units == [node]:
        return own[node]
    children: dict[str, list[str]] = {}
    for unit in units:
        children.setdefault(node if unit == node else org.child_of(unit, node), []).append(unit)
    weights = _weights([c for c in children if c != node], rule, problems, heads)
    if node in children:  # the node's own problems: weighed by themselves alone, not by its whole subtree's
        weights |= _weights([node], rule, {node: problems.get(node, 0)}, {})
        if weights[node] == 1.0 and rule != "mean" and not problems.get(node):
            others = [w for c, w in weights.items() if c != node]
            weights[node] = sum(others) / len(others) if others else 1.0
    parts = {c: (own[c] if c == node else _rolled(c, us, own, rule, problems, heads)) for c, us in children.items()}
    frame = pd.DataFrame(parts)  # dimension × child
    w = pd.Series(weights)[frame.columns]
    present = frame.notna()
    return (frame.fillna(0) * w).sum(axis=1) / (present * w).sum(axis=1)


def _company_rows(children: pd.DataFrame, node: str | None, rule: str, problems: Mapping[str, float],
                  heads: Mapping[str, float]) -> pd.DataFrame:
    """The node itself as one unit's raw rows (its children rolled up once more), in scoring's shape."""
    if children.empty:
        return children.assign(period_no=pd.Series(dtype=int))
    own = {u: g.set_index("dimension")["score"] for u, g in children.groupby("unit", sort=False)}
    units = list(own)
    weights = _weights(units, rule, problems, heads)
    frame = pd.DataFrame(own)
    w = pd.Series(weights)[frame.columns]
    scores = (frame.fillna(0) * w).sum(axis=1) / (frame.notna() * w).sum(axis=1)
    return pd.DataFrame({"unit": node or "全部", "dimension": scores.index, "score": scores.to_numpy()})


def weights_for(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope, rule: str
                ) -> tuple[dict[str, float], dict[str, float]]:
    """What the rule weighs by: problems per unit (as of the period) and the register's head counts."""
    if rule == "mean":
        return {}, {}
    problems = {}
    if rule == "problems":
        frame = metrics.breakdown(con, period, "unit", scope)
        problems = {str(u): float(t) for u, t in zip(frame["unit"], frame["total"], strict=True)}
    register = org.load(con)
    heads = {register.key[n.node_id]: float(n.head_count) for n in register.nodes.values() if n.head_count}
    return problems, heads


def tree_scores(con: duckdb.DuckDBPyConnection, raw: pd.DataFrame, period: Period, scope: Scope, *,
                cfg: ScoringConfig) -> tuple[dict, pd.DataFrame, str | None]:
    """The scope's node score (as scoring.company_of gives it) and its children ranked (as scoring.rank_units
    gives units), rolled up by cfg.rollup; and the node. ``raw``: one quarter of scoring.raw_scores()."""
    node = node_of(scope.units if scope.units is not None else scope.within)
    if node is not None and node not in set(raw["unit"]) and not any(org.under(u, node) for u in raw["unit"]):
        node = None
    problems, heads = weights_for(con, period, scope, cfg.rollup)
    children = node_scores(raw, node, cfg.rollup, problems, heads)
    dims = scoring.scored_dimensions(scope, cfg)
    ordered = children.assign(order=children["dimension"].map({d: i for i, d in enumerate(dims)})).sort_values(
        ["unit", "order"]).drop(columns="order").reset_index(drop=True)
    company = scoring.company_of(_company_rows(children[["unit", "dimension", "score"]], node, cfg.rollup, problems,
                                               heads), cfg)
    return company, scoring.rank_units(ordered, scope, cfg=cfg), node
