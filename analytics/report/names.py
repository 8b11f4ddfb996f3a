"""A report's download name: 政治生态分析研判报告_2025Q2_全公司_20250705-1030.docx."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def file_name(built: object) -> str:
    """The title without its bracket, the period (or month), the scope, the time generated."""
    units = built.scope.units
    scope = "全公司" if not units else ("、".join(units) if len(units) <= 3 else f"{units[0]}等{len(units)}个单位")
    when = f"{built.as_of:%Y-%m}" if hasattr(built, "as_of") else str(built.period)
    title = built.title.partition("（")[0]
    return "_".join([_UNSAFE.sub("_", title), when, _UNSAFE.sub("_", scope),
                     f"{built.generated_at:%Y%m%d-%H%M}"]) + ".docx"
