"""The dashboard in a real browser: every page renders without an exception box, and an upload reaches 总览.

One `streamlit run` server on a copy of the demo database for the whole module,
driven by Playwright through Debian's Chromium (/usr/bin/chromium; Playwright
cannot download its own browser here). `.ci/run` installs chromium,
fonts-noto-cjk and fonts-noto-color-emoji. Full-page screenshots go to
test-artifacts/screenshots/NN_<page>.png for a person to look at: a test cannot
tell that a chart is unreadable. Without the browser or a Chinese font the module
is skipped, or fails when CI is set (CI must run it).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.conftest import HEADER, PASSWORD, ROOT, problem_row, write_xlsx

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
TIMEOUT_MS = 60_000  # per page: the first visit computes every figure cold
VIEWPORT = {"width": 1440, "height": 900}
# pages that must be there; every page in dashboard.py is tested (PAGES is read from it)
EXPECTED_PAGES = ("总览", "问题趋势", "整改销号", "八维评分", "单位画像", "监督清单", "预警督办", "台账导入")
TABLE_PAGES = ("rectification", "scores", "supervision", "follow_up", "users")  # tables on the demo, always
NEW_LEDGER = "2025年第三季度问题整改台账.xlsx"
NEW_PERIOD_LABEL = "2025年第三季度"


def missing_system_packages() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    if shutil.which("fc-list") is None:  # fontconfig's tools: without them there is nothing to ask
        return None
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    if not fonts.stdout.strip():
        return "no Chinese font (fc-list :lang=zh is empty): screenshots would show boxes"
    return None


if (why := missing_system_packages()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI must run the browser test: `.ci/run` installs chromium and fonts-noto-cjk",
                    pytrace=False)
    pytest.skip(f"{why}; run `bash .ci/run` as root, which installs chromium and fonts-noto-cjk",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


def navigation() -> tuple[list[tuple[str, str]], str]:
    """dashboard.py's pages in navigation order as (title, file stem), and the default page's stem.

    Each page's st.title is its navigation title (the convention every page follows).
    """
    pages, default = [], None
    for node in ast.walk(ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            keywords = {k.arg: k.value for k in node.keywords}
            stem = Path(ast.literal_eval(node.args[0])).stem
            if stem == "login":  # shown only before logging in
                continue
            title = keywords["title"]
            if isinstance(title, ast.IfExp):  # a title by role ("预警督办" if they see warnings, …): the admin's
                title = title.body
            pages.append((ast.literal_eval(title), stem))
            if "default" in keywords and ast.literal_eval(keywords["default"]):
                default = stem
    return pages, default or pages[0][1]


PAGES, DEFAULT_PAGE = navigation()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)  # polling a port: there is no event to wait on
    pytest.fail(f"streamlit did not answer /_stcore/health within {timeout:.0f} s:\n"
                f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def server(demo_db: Path, accounts_file: Path, tmp_path_factory, request) -> str:
    """`streamlit run dashboard.py` on a copy of the demo database; its address. Stopped after the module."""
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "dashboard.duckdb"
    shutil.copy(demo_db, db)
    port = free_port()
    log = folder / "streamlit.log"
    env = {**os.environ, "DASHBOARD_DB": str(db), "DASHBOARD_USERS": str(accounts_file), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               # others edit the pages while the suite runs: no "source changed, rerun?" prompt mid-test
               "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / "streamlit.log")  # the server's tracebacks, beside the screenshots

    request.addfinalizer(stop)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log)
    return url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright gives every launch a fresh temporary --user-data-dir of its own (and refuses one passed in args)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(server: str, browser: Browser) -> Iterator[Page]:
    """One browser tab (one Streamlit session) for the module, opened on the default page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob("FAILED_*.png"):
        stale.unlink()
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(server)
    log_in(tab)
    yield tab
    context.close()


def log_in(page: Page) -> None:
    """The login form, as a person fills it in."""
    settle(page, "政治生态分析研判看板")
    screenshot(page, "00_login")
    page.get_by_label("用户名").fill("admin")  # the administrator: every page is in the menu
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    settle(page, "总览")


def settle(page: Page, heading: str) -> None:
    """Wait until the page shows `heading` and Streamlit has finished the script run and drawn every element."""
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=TIMEOUT_MS)
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT_MS)
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=TIMEOUT_MS)
    # elements of the previous run are marked stale until the run that replaces them ends
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=TIMEOUT_MS)
    # plotly draws after the element arrives
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=TIMEOUT_MS)


def open_page(page: Page, label: str, heading: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=label).click()
    settle(page, heading)


def assert_no_exception(page: Page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, "exception on the page:\n" + "\n---\n".join(boxes.all_inner_texts())


def assert_no_table_download(page: Page) -> int:
    """No table offers Streamlit's own "Download as CSV" (client.disableDataExport): it is not audited, leaves
    formulas live and has English headers. Every table's toolbar is in the page, hovered or not, hidden tab or not.
    """
    tables = page.locator('[data-testid="stDataFrame"]')
    labels = tables.locator('[data-testid="stElementToolbarButton"] button').evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('aria-label') || '')")
    # the toolbars are drawn ("Show/hide columns", "Search", "Fullscreen"): else this check would see nothing
    assert tables.count() == 0 or labels, "tables without a toolbar: the check below would pass unseen"
    offered = [label for label in labels if re.search(r"download|csv|export", label, re.IGNORECASE)]
    assert not offered, f"{len(offered)} of {tables.count()} tables offer Streamlit's own download: {offered}"
    return tables.count()


def screenshot(page: Page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main section, so the viewport grows to the content first."""
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const side = document.querySelector('[data-testid="stSidebarContent"]');
        return Math.max(main ? main.scrollHeight : 0, side ? side.scrollHeight : 0, window.innerHeight);
    }""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height), 16_000)})
    try:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(VIEWPORT)
    return path


@contextmanager
def screenshot_on_failure(page: Page, name: str) -> Iterator[None]:
    """Keep what the browser showed when a step fails: test-artifacts/screenshots/FAILED_<name>.png."""
    try:
        yield
    except BaseException:
        with suppress(Exception):
            page.screenshot(path=SCREENSHOTS / f"FAILED_{name}.png", full_page=True)
        raise


def metric_value(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def sidebar_period(page: Page) -> str:
    """The quarter chosen in the sidebar, as the select box shows it: 2025年第二季度（2025Q2）."""
    return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="期间").input_value()


def test_navigation_lists_every_page(page: Page):
    assert set(EXPECTED_PAGES) <= {title for title, _ in PAGES}, PAGES
    links = page.locator('[data-testid="stSidebarNav"] a')
    expect(links).to_have_count(len(PAGES))
    for (title, _), text in zip(PAGES, links.all_inner_texts(), strict=True):
        assert text.strip().endswith(title), (title, text)  # after the page's icon


@pytest.mark.parametrize(("number", "title", "stem"), [(i, *p) for i, p in enumerate(PAGES, 1)],
                         ids=[stem for _, stem in PAGES])
def test_page_renders(page: Page, number: int, title: str, stem: str):
    with screenshot_on_failure(page, stem):
        open_page(page, title, title)
        assert_no_exception(page)
        tables = assert_no_table_download(page)
        assert tables or stem not in TABLE_PAGES, f"{stem} shows no table: the download check saw nothing"
        # Streamlit derives each page's address from its file name; the default page lives at the root
        path = "" if stem == DEFAULT_PAGE else stem
        expect(page).to_have_url(re.compile(rf"^http://127\.0\.0\.1:\d+/{path}$"))
    screenshot(page, f"{number:02d}_{stem}")


def test_no_app_menu_and_the_uploader_speaks_chinese(page: Page):
    """Streamlit's menu (Print, Record screen, About) and uploader ("Upload", "200MB per file") are in English."""
    with screenshot_on_failure(page, "chinese_ui"):
        open_page(page, "台账导入", "台账导入")
        expect(page.locator('[data-testid="stMainMenu"]')).to_have_count(0)
        uploader = page.locator('[data-testid="stFileUploaderDropzone"]')
        shown = uploader.evaluate("""zone => [
                zone.querySelector('button [data-testid="stMarkdownContainer"] p'),
                zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span'),
            ].map(e => [getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content])""")
        assert shown[0] == ["0px", '"选择文件"']  # the English label hidden, the Chinese drawn in its place
        assert shown[1][0] == "0px" and shown[1][1].startswith('"或将文件拖到这里')


def test_chart_menus_speak_chinese(page: Page):
    with screenshot_on_failure(page, "chart_menu"):
        open_page(page, "总览", "总览")
        chart = page.locator(".st-key-overview_counts")
        chart.hover()
        buttons = chart.locator(".modebar-btn")
        expect(buttons.first).to_be_attached()
        titles = buttons.evaluate_all("bs => bs.map(b => getComputedStyle(b, '::after').content)")
        assert titles and not [t for t in titles if re.search(r"[A-Za-z]", t)], titles


def test_clicking_a_ranking_bar_opens_the_units_portrait(page: Page):
    with screenshot_on_failure(page, "click_unit"):
        open_page(page, "八维评分", "八维评分")
        ranking = page.locator(".st-key-score_ranking")
        unit = ranking.locator(".js-plotly-plot").evaluate("plot => plot.data[0].y[1]")  # the second best
        bar = ranking.locator("g.point path").nth(1).bounding_box()
        # Plotly's drag layer lies over the bars: click where the bar is, as a person does
        page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
        settle(page, "单位画像")
        assert page.get_by_role("combobox", name="选择单位").input_value() == unit
        assert_no_exception(page)


def test_a_selected_problem_opens_its_history(page: Page):
    with screenshot_on_failure(page, "problem_history"):
        open_page(page, "整改销号", "整改销号")
        table = page.locator('.st-key-rect_bands_table [data-testid="stDataFrameResizable"]')
        table.scroll_into_view_if_needed()
        box = table.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 18)  # the first row's selection box, below the header
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible(timeout=TIMEOUT_MS)
        expect(dialog).to_contain_text("问题整改历程")
        expect(dialog.locator('[data-testid="stDataFrame"]')).to_have_count(1)
        screenshot(page, f"{len(PAGES) + 1:02d}_problem_history")
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)


def test_upload_a_new_quarter_reaches_the_overview(page: Page, tmp_path: Path):
    with screenshot_on_failure(page, "upload"):
        upload_a_new_quarter(page, tmp_path)


def upload_a_new_quarter(page: Page, tmp_path: Path) -> None:
    """Import a 2025Q3 ledger through the page; 总览 then shows that quarter with its 4 new problems."""
    open_page(page, "总览", "总览")
    total_before = metric_value(page, "问题总数")
    assert sidebar_period(page) == "2025年第二季度（2025Q2）"  # the demo's latest quarter

    ledger = write_xlsx(tmp_path / NEW_LEDGER, {"问题整改台账": [HEADER, *(
        problem_row(i, f"XC-2025-9{i:02d}", status, unit="冶炼厂", found="2025-07-15", deadline="2025-12-31",
                    description=f"浏览器测试新增问题{i}：制度执行检查记录不完整")
        for i, status in enumerate(("未启动", "整改中", "整改中", "已整改"), 1))]})

    open_page(page, "台账导入", "台账导入")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(ledger)
    button = page.get_by_role("button", name="导入 1 个文件")
    expect(button).to_be_enabled(timeout=TIMEOUT_MS)
    expect(page.get_by_text(f"{NEW_PERIOD_LABEL}（2025Q3）").first).to_be_visible()
    settle(page, "台账导入")
    assert_no_exception(page)
    assert_no_table_download(page)  # the check's tables
    screenshot(page, f"{len(PAGES) + 2:02d}_upload_checked")

    button.click()
    success = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=NEW_LEDGER)
    expect(success).to_be_visible(timeout=TIMEOUT_MS)
    expect(success).to_contain_text("新增问题 4 个")
    settle(page, "台账导入")
    assert_no_exception(page)
    screenshot(page, f"{len(PAGES) + 3:02d}_upload_imported")

    open_page(page, "总览", "总览")
    assert_no_exception(page)
    assert sidebar_period(page) == f"{NEW_PERIOD_LABEL}（2025Q3）"  # the sidebar moved to the new quarter
    expect(page.get_by_role("heading", name=NEW_PERIOD_LABEL, level=3)).to_be_visible()
    total_after = metric_value(page, "问题总数")
    assert int(total_after) == int(total_before) + 4, (total_before, total_after)
    screenshot(page, f"{len(PAGES) + 4:02d}_upload_overview")
