"""The Chinese texts app_pages.chinese_ui gives Streamlit's uploader and Plotly's mode bar still fit the installed
Streamlit: its frontend has the selectors the style sheet names and the English texts it replaces, and the
Plotly.js inside it uses the English keys our locale translates. A Streamlit upgrade that renames any of them fails
here instead of bringing the English back unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit

from app_pages import chinese_ui

FRONTEND = Path(streamlit.__file__).parent / "static" / "static" / "js"


def bundle(name: str) -> str:
    """The text of the frontend chunk whose file name starts with ``name`` (FileUploader.<hash>.js, …)."""
    found = sorted(FRONTEND.glob(f"{name}.*.js"))
    assert len(found) == 1, found
    return found[0].read_text(encoding="utf-8")


def test_the_uploader_still_has_the_parts_the_style_sheet_names():
    uploader = bundle("FileUploader")
    for test_id in ("stFileUploaderDropzone", "stFileUploaderDropzoneInstructions"):
        assert f"`{test_id}`" in uploader
    # the texts replaced: the button's label, the size line, the text shown while a file is dragged over
    assert "label:l?`Upload directories`:`Upload`" in uploader
    assert "per file`" in uploader
    drag = re.search(r"(\w+)=a\(`span`,\{target:`euud7oh2`\}", uploader)
    assert drag and f"r({drag.group(1)},{{children:l?`Drag and drop directories here`" in uploader
    assert ".euud7oh2" in chinese_ui.UPLOADER_DRAG_TEXT


def test_the_chart_button_streamlit_adds_is_still_called_fullscreen():
    plotly = bundle("PlotlyChart")
    assert "l?`Close fullscreen`:`Fullscreen`" in plotly
    assert set(chinese_ui.PLOTLY_TITLES) == {"Fullscreen", "Close fullscreen"}


def test_every_text_our_plotly_locale_translates_is_one_plotly_shows():
    plotly = bundle("PlotlyChart")
    unknown = [key for key in chinese_ui.ZH_CN if f"`{key}`" not in plotly]
    assert unknown == []
    # the mode bar's buttons a chart keeps all have a translation
    for key in ("Download plot as a PNG", "Zoom", "Pan", "Reset axes", "Double-click to zoom back out"):
        assert key in chinese_ui.ZH_CN
    assert not [v for v in chinese_ui.ZH_CN.values() if re.search(r"[A-Za-z]{3,}", v) and "Plotly" not in v]


def test_the_config_names_the_locale_it_carries():
    config = chinese_ui.PLOTLY_CONFIG
    assert config["locale"] == "zh-CN" and set(config["locales"]) == {"zh-CN"}
    assert config["locales"]["zh-CN"]["dictionary"] is chinese_ui.ZH_CN
    assert config["displaylogo"] is False


@pytest.mark.parametrize("size", [50, 200])
def test_the_style_sheet(size):
    css = chinese_ui.style_sheet(size)
    assert css.startswith("<style>") and css.endswith("</style>")
    assert f'content: "或将文件拖到这里；每个文件不超过 {size} MB"' in css
    assert 'content: "选择文件"' in css
    for selector in (chinese_ui.UPLOADER_BUTTON, chinese_ui.UPLOADER_INSTRUCTIONS, chinese_ui.UPLOADER_DRAG_TEXT):
        assert f"{selector} {{ font-size: 0; }}" in css  # the English hidden …
        assert f"{selector}::after {{ content: " in css  # … and the Chinese in its place
    assert '[data-title="Fullscreen"]::after { content: "全屏"; }' in css


def test_a_quote_in_a_text_cannot_end_the_rule():
    rule = chinese_ui._replace("p", 'a"b\\c')
    assert rule == 'p { font-size: 0; }\np::after { content: "a\\"b\\\\c"; font-size: 0.875rem; }'
