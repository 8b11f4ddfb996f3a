"""What the Word and PDF snapshots need from the system, checked before anyone asks for one.

Chromium draws the Word snapshot's charts and prints the PDF; a Chinese font gives both their Chinese text (the
PDF refuses to print without one, Word's charts would show boxes). Without them the Excel and HTML snapshots still
work: the export page says so up front instead of failing after a click.
"""

from __future__ import annotations

from analytics.errors import DashboardError
from analytics.export import pdf

NEEDS_SYSTEM = ("docx", "pdf")
INSTALL = ("请管理员安装 Chromium 和中文字体（Debian/Ubuntu：apt-get install chromium fonts-noto-cjk；"
           "麒麟、统信、openEuler 等：dnf install chromium google-noto-sans-cjk-ttc-fonts），"
           "或用环境变量 DASHBOARD_CHROMIUM 指明浏览器的位置。")


def unavailable() -> dict[str, str]:
    """format → why it cannot be made on this machine, in Chinese; empty when every format can."""
    if pdf.chromium_path() is None:
        why = "本机未安装 Chromium 浏览器，Word 快照的图表和 PDF 无法生成。"
    else:
        try:
            pdf._check_chinese_font()
            return {}
        except DashboardError:
            why = "本机未找到中文字体，Word 快照的图表和 PDF 中的中文无法显示。"
    return dict.fromkeys(NEEDS_SYSTEM, why + INSTALL + "Excel 工作簿和网页不受影响（网页可在浏览器中打印为 PDF）。")
