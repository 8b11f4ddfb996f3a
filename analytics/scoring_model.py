"""The scoring model in words (评分模型说明): the configured dimensions, indicators, raters, grades and grade limits
as tables of Chinese text, for the 八维评分 page and documents that explain a score."""

from __future__ import annotations

import pandas as pd

from analytics.config import Indicator, ScoringConfig
from analytics.scoring import dimension_weights

_RATES = {"on_time_rate": "按期整改率", "closure_rate": "销号率"}
_COUNTS = {"new": "本期新发现", "closed_this_period": "本期销号", "total": "累计"}


def _pct(share: float) -> str:
    return f"{share * 100:.4g}%"


def indicator_rule(ind: Indicator, cfg: ScoringConfig) -> str:
    """计分规则: one sentence saying what an indicator counts and how many points."""
    if ind.rule == "severity":
        points = "、".join(f"{s}扣 {p:g} 分" for s, p in ind.severity_points)
        return f"每个期末未整改完成的问题按问题性质扣分：{points}（未填按{cfg.default_severity}）"
    if ind.rule == "overdue":
        return f"每个逾期未完成的问题扣 {ind.points:g} 分"
    if ind.rule == "recurred":
        return f"每个改而复发且未完成的问题扣 {ind.points:g} 分"
    if ind.is_bonus:
        which = "、".join(ind.sources) + "来源的" if ind.sources else ""
        which += "、".join(ind.severities) + "问题" if ind.severities else "问题"
        return f"{_COUNTS[ind.count]}的{which}每个加 {ind.points:g} 分"
    over = "单位全部问题" if ind.over == "unit" else "本维度问题"
    lost = f"每低 1 个百分点扣 {ind.per_point:g} 分" if ind.per_point is not None else f"扣 {ind.points:g} 分"
    return f"{over}的{_RATES[ind.rule]}低于 {_pct(ind.below or 0)} 时，{lost}"


def model_tables(cfg: ScoringConfig) -> dict[str, pd.DataFrame]:
    """The model as tables with Chinese headers: 维度 (weights), 指标, 评价方式, 等级, 等次封顶."""
    names = cfg.dimension_names
    dims = pd.DataFrame({"维度": names, "权重": [_pct(w) for w in dimension_weights(names, cfg)]})
    indicators = pd.DataFrame({
        "指标": [i.name for i in cfg.indicators],
        "类型": ["加分" if i.is_bonus else "扣分" for i in cfg.indicators],
        "计分规则": [indicator_rule(i, cfg) for i in cfg.indicators],
        "上限（分）": ["不设" if i.cap is None else f"{i.cap:g}" for i in cfg.indicators],
        "适用维度": ["全部维度" if i.dimensions is None else "、".join(i.dimensions) for i in cfg.indicators],
    })
    if cfg.raters:
        total = sum(r.weight for r in cfg.raters) or 1.0
        raters = pd.DataFrame({"评价方式": [r.method for r in cfg.raters],
                               "权重": [_pct(r.weight / total) for r in cfg.raters]})
    else:
        raters = pd.DataFrame({"评价方式": ["各评价方式"], "权重": ["平均"]})
    mins = [g.min for g in cfg.grades]
    grades = pd.DataFrame({
        "等级": [g.name for g in cfg.grades],
        "分数": [f"≥ {g.min:g}" if k < len(mins) - 1 else f"< {mins[k - 1]:g}" if k else "全部"
                 for k, g in enumerate(cfg.grades)],
        "颜色": [g.code for g in cfg.grades],
    })
    facts = {"proposal_problems": f"纪检建议书级问题（改而复发，或逾期超过 {cfg.proposal_overdue} 天）",
             "concentrations": f"问题集中的维度（一个维度未完成问题 ≥ {cfg.concentration_open} 个）"}
    limits = pd.DataFrame({"封顶规则": [g.name for g in cfg.grade_limits],
                           "条件": [f"{facts[g.when]}至少 {g.at_least} 个" for g in cfg.grade_limits],
                           "最高等级": [g.max_grade for g in cfg.grade_limits]})
    return {"dimensions": dims, "indicators": indicators, "raters": raters, "grades": grades, "limits": limits}


def model_summary(cfg: ScoringConfig) -> str:
    """One paragraph: how a score is made."""
    mix = (f"有评分表时，维度得分 = 计算得分 × {1 - cfg.assessment_weight:g} + 评分表加权得分 × "
           f"{cfg.assessment_weight:g}" if cfg.assessment_weight else "评分表不计入得分")
    return (f"每个单位每个维度从 {cfg.start:g} 分起，按各指标扣分、加分（每项不超过其上限），得分在 {cfg.floor:g} 到 "
            f"{cfg.start:g} 分之间；{mix}。单位综合得分为各维度得分按权重加权平均；等级按综合得分评定，"
            f"但符合等次封顶规则的单位不高于其最高等级。亮黄灯、红灯的单位，须待使其亮灯的问题全部销号后才能复绿。")
