"""The snapshot as PDF: the HTML snapshot printed by headless Chromium, Chinese fonts embedded.

Chromium runs the inline Plotly JavaScript, so the charts are the same vectors as on the page. It runs with
a throwaway profile and no network at all (the page needs none). Chinese glyphs come from the system's CJK
fonts (Debian: fonts-noto-cjk); without one the PDF would show empty boxes, so that is refused up front.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from analytics.errors import DashboardError
from analytics.export import html
from analytics.export.snapshot import Snapshot

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 120
INSTALL_HINT = "（Debian/Ubuntu：apt-get install chromium fonts-noto-cjk），或导出 HTML 后用浏览器打印为 PDF"


def chromium_path() -> str | None:
    """$DASHBOARD_CHROMIUM, else the first Chromium or Chrome on PATH, else None."""
    configured = os.environ.get("DASHBOARD_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def _check_chinese_font() -> None:
    """Fail clearly instead of printing boxes: fontconfig (Chromium's font source on Linux) must know a Chinese font."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return  # not a fontconfig system; Chromium finds fonts its own way
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    if not found.strip():
        raise DashboardError("未找到中文字体，PDF 中的中文将无法显示。请安装中文字体" + INSTALL_HINT)


def render(page: bytes, chromium: str | None = None) -> bytes:
    """Print an HTML page to PDF with headless Chromium."""
    chromium = chromium or chromium_path()
    if chromium is None:
        raise DashboardError("未找到 Chromium 浏览器，无法生成 PDF。请安装 Chromium" + INSTALL_HINT)
    _check_chinese_font()
    with tempfile.TemporaryDirectory(prefix="snapshot-pdf-") as tmp:
        source, target = Path(tmp) / "snapshot.html", Path(tmp) / "snapshot.pdf"
        source.write_bytes(page)
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio",
            # the page is self-contained: refuse any lookup or connection rather than wait for one
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={target}", "--no-pdf-header-footer",
            "--virtual-time-budget=10000", source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                                  env=os.environ | {"HOME": tmp})  # Chromium writes caches under $HOME
        except subprocess.TimeoutExpired as exc:
            raise DashboardError(f"Chromium 生成 PDF 超时（{TIMEOUT_SECONDS} 秒）") from exc
        except OSError as exc:
            raise DashboardError(f"无法启动 Chromium（{chromium}）：{exc}") from exc
        if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise DashboardError(f"Chromium 未能生成 PDF（退出码 {done.returncode}）：{' '.join(detail)}")
        return target.read_bytes()


def write(snapshot: Snapshot) -> bytes:
    """The snapshot as PDF bytes (A4, the HTML snapshot's layout)."""
    return render(html.write(snapshot))
