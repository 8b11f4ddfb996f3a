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
import numpy as np
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
             ) -> np.ndarray:
    """Each child's weight: 1 (mean), its subtree's problems, or its head count (registered on it, else summed
    over its subtree); a child without any takes the others' mean; all without any: equal."""
    if rule == "mean":
        return np.ones(len(units))
    found = np.zeros(len(units))
    for k, u in enumerate(units):
        if rule == "head_count" and heads.get(u):
            found[k] = float(heads[u])
            continue
        source = heads if rule == "head_count" else problems
        found[k] = float(sum(v for key, v in source.items() if org.under(key, u)))
    given = found[found > 0]
    return np.where(found > 0, found, given.mean() if len(given) else 1.0)


def _combined(parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted mean of the rows of parts (children × dimensions), each dimension over the children scored in
    it (a child without a score there does not count)."""
    present = ~np.isnan(parts)
    w = weights[:, None] * present
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.nan_to_num(parts) * w).sum(axis=0) / np.where(total > 0, total, 1), np.nan)


class _Tree:
    """One quarter's unit scores as arrays (unit → a score per dimension), rolled up node by node."""

    def __init__(self, raw: pd.DataFrame, rule: str, problems: Mapping[str, float], heads: Mapping[str, float]):
        self.dims = list(raw["dimension"].unique())
        self.units = list(raw["unit"].unique())
        self.rule, self.problems, self.heads = rule, problems, heads
        self.counted = [c for c in COUNTS if c in raw.columns]
        grids = {c: raw.pivot_table(index="unit", columns="dimension", values=c, aggfunc="first", dropna=False)
                 .reindex(index=self.units, columns=self.dims).to_numpy(dtype=float)
                 for c in ("score", *self.counted)}
        self.scores = dict(zip(self.units, grids["score"], strict=True))
        self.counts = {c: dict(zip(self.units, grids[c], strict=True)) for c in self.counted}

    def rolled(self, node: str, members: list[str]) -> np.ndarray:
        """A node's dimension scores from the units of its subtree (``members``), level by level; its own
        problems weigh as one more child, by their own problems only (or the others' mean)."""
        if members == [node]:
            return self.scores[node]
        children: dict[str, list[str]] = {}
        for unit in members:
            children.setdefault(node if unit == node else org.child_of(unit, node), []).append(unit)
        names = [c for c in children if c != node]
        weights = _weights(names, self.rule, self.problems, self.heads)
        parts = [self.rolled(c, children[c]) for c in names]
        if node in children:
            own = float(self.problems.get(node, 0)) if self.rule == "problems" else 0.0
            weights = np.append(weights, 1.0 if self.rule == "mean" else (own or (weights.mean() if len(weights)
                                                                                   else 1.0)))
            parts.append(self.scores[node])
        return _combined(np.vstack(parts), weights)

    def summed(self, column: str, members: list[str]) -> np.ndarray:
        return np.nansum(np.vstack([self.counts[column][u] for u in members]), axis=0)


def node_scores(raw: pd.DataFrame, node: str | None, rule: str, problems: Mapping[str, float] | None = None,
                heads: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The children of ``node`` with their dimension scores (columns unit, dimension, score, and the counts the
    grade rules read summed over each child's subtree), each rolled up from the units under it; the node's own rows
    as its own child. ``raw``: one quarter of scoring.raw_scores()."""
    columns = ["unit", "dimension", "score", *[c for c in COUNTS if c in raw.columns]]
    if raw.empty:
        return pd.DataFrame(columns=columns)
    tree = _Tree(raw, rule, problems or {}, heads or {})
    by_child: dict[str, list[str]] = {}
    for unit in tree.units:
        child = org.child_of(unit, node)
        if child is not None:
            by_child.setdefault(child, []).append(unit)
    names = sorted(by_child)
    scores = [tree.rolled(c, by_child[c]) for c in names]
    out = {"unit": np.repeat(names, len(tree.dims)), "dimension": np.tile(tree.dims, len(names)),
           "score": np.concatenate(scores) if scores else np.array([])}
    for c in tree.counted:
        out[c] = np.concatenate([tree.summed(c, by_child[n]) for n in names]).astype(int) if names else []
    frame = pd.DataFrame(out, columns=columns)
    if "period_no" in raw.columns:
        frame.insert(0, "period_no", int(raw["period_no"].iloc[0]))
    return frame


def _node_score(children: pd.DataFrame, node: str | None, rule: str, problems: Mapping[str, float],
                heads: Mapping[str, float]) -> pd.DataFrame:
    """The node itself as one unit's raw rows (its children rolled up once more), in scoring's shape."""
    if children.empty:
        return children[["unit", "dimension", "score"]]
    tree = _Tree(children[["unit", "dimension", "score"]], rule, problems, heads)
    scores = _combined(np.vstack([tree.scores[u] for u in tree.units]),
                       _weights(tree.units, rule, problems, heads))
    return pd.DataFrame({"unit": node or "全部", "dimension": tree.dims, "score": scores})


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
                cfg: ScoringConfig, ranked: pd.DataFrame | None = None) -> tuple[dict, pd.DataFrame, str | None]:
    """The scope's node score (as scoring.company_of gives it) and its children ranked (as scoring.rank_units
    gives units), rolled up by cfg.rollup; and the node. ``raw``: one quarter of scoring.raw_scores();
    ``ranked``: scoring.rank_units(raw) when the caller has it already."""
    node = node_of(scope.units if scope.units is not None else scope.within)
    if node is not None and node not in set(raw["unit"]) and not any(org.under(u, node) for u in raw["unit"]):
        node = None
    units = list(raw["unit"].unique())
    if cfg.rollup == "mean" and all(org.child_of(u, node) == u for u in units):
        # every unit is a child of the node itself (no register, or a node of leaves): the mean over units
        return (scoring.company_of(raw, cfg), ranked if ranked is not None else scoring.rank_units(raw, scope, cfg=cfg),
                node)
    problems, heads = weights_for(con, period, scope, cfg.rollup)
    children = node_scores(raw, node, cfg.rollup, problems, heads)
    dims = scoring.scored_dimensions(scope, cfg)
    ordered = children.assign(order=children["dimension"].map({d: i for i, d in enumerate(dims)})).sort_values(
        ["unit", "order"]).drop(columns="order").reset_index(drop=True)
    company = scoring.company_of(_node_score(children, node, cfg.rollup, problems, heads), cfg)
    return company, scoring.rank_units(ordered, scope, cfg=cfg), node
