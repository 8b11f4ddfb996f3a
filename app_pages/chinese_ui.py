"""Chinese where Streamlit and Plotly show English by default and let us change it.

- Plotly's mode bar and hints ("Download plot as a png", "Double-click to zoom back out"): its zh-CN locale,
  given in each chart's config (``PLOTLY_CONFIG``), so the browser fetches no locale script.
- The file uploader's button and instructions ("Upload", "200MB per file • …", "Drag and drop files here") and
  the mode bar's full-screen button that Streamlit adds ("Fullscreen"): Streamlit 1.67 has no option for these
  texts, so a style sheet hides the English and writes the Chinese in its place. The selectors are those of the
  Streamlit release pinned in requirements.txt; tests/test_chinese_ui.py checks that its frontend still has them.
- The app menu (Print, Record screen, About …): hidden whole (.streamlit/config.toml client.toolbarMode =
  "minimal", also set by common.lock_client_options); a browser prints with Ctrl+P as well.
"""

from __future__ import annotations

# Plotly.js's zh-CN locale (lib/locales/zh-cn.js), worded for this office and cut to what a 2-D chart can show; the
# keys are the English texts of the Plotly.js inside Streamlit 1.67's frontend (checked by tests/test_chinese_ui.py)
ZH_CN = {
    "Autoscale": "自动缩放",
    "Box Select": "框选",
    "Compare data on hover": "悬停时比较数据",
    "Double-click on legend to isolate one trace": "双击图例只看这一项",
    "Double-click to zoom back out": "双击还原",
    "Download plot as a PNG": "下载为图片",
    "Download plot": "下载图片",
    "Image download succeeded": "图片已下载",
    "Lasso Select": "套索选择",
    "Pan": "平移",
    "Preparing image - this may take a few seconds": "正在生成图片，请稍候",
    "Reset": "重置",
    "Reset axes": "还原坐标轴",
    "Reset view": "还原视图",
    "Reset views": "还原视图",
    "Show closest data on hover": "悬停时显示最近的数据",
    "Sorry, there was a problem downloading your image!": "抱歉，下载图片时出错！",
    "Toggle Spike Lines": "显示或隐藏辅助线",
    "Toggle show closest data on hover": "切换悬停时显示最近的数据",
    "Zoom": "缩放",
    "Zoom in": "放大",
    "Zoom out": "缩小",
    "trace": "系列",
}
ZH_CN_FORMAT = {
    "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    "shortMonths": ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
    "date": "%Y-%m-%d",
}
# The mode bar keeps what a reader uses: save the chart as a picture, zoom and pan, reset, full screen (Streamlit's)
PLOTLY_CONFIG = {
    "locale": "zh-CN",
    "locales": {"zh-CN": {"dictionary": ZH_CN, "format": ZH_CN_FORMAT}},
    "displaylogo": False,
    "modeBarButtonsToRemove": ["zoomIn2d", "zoomOut2d", "autoScale2d", "toggleSpikelines", "hoverClosestCartesian",
                               "hoverCompareCartesian"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

# Selectors of Streamlit 1.67's frontend (static/js): the uploader's parts by test id, the drag overlay's text by
# its component class, the full-screen button by its title
UPLOADER_BUTTON = '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p'
UPLOADER_INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"] span'
UPLOADER_DRAG_TEXT = '[data-testid="stFileUploaderDropzone"] .euud7oh2'
PLOTLY_TITLES = {"Fullscreen": "全屏", "Close fullscreen": "退出全屏"}


def _replace(selector: str, text: str, size: str = "0.875rem") -> str:
    """CSS that hides an element's own text and shows ``text`` instead (quotes and backslashes escaped)."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'{selector} {{ font-size: 0; }}\n{selector}::after {{ content: "{quoted}"; font-size: {size}; }}'


def style_sheet(max_upload_mb: int) -> str:
    """The <style> element giving the uploader and Streamlit's chart button their Chinese texts."""
    rules = [
        _replace(UPLOADER_BUTTON, "选择文件"),
        _replace(UPLOADER_INSTRUCTIONS, f"或将文件拖到这里；每个文件不超过 {max_upload_mb} MB"),
        _replace(UPLOADER_DRAG_TEXT, "松开鼠标即可上传", size="1rem"),
        # Plotly shows a button's title through ::after { content: attr(data-title) }: this rule is more specific
        *(f'.js-plotly-plot .plotly .modebar-btn[data-title="{title}"]::after {{ content: "{chinese}"; }}'
          for title, chinese in PLOTLY_TITLES.items()),
    ]
    return "<style>\n" + "\n".join(rules) + "\n</style>"
