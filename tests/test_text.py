"""The column (Arrow) and single-value (Python) forms of each text rule agree."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from analytics.text import clean, clean_many, fingerprint_text, fold_many, key, key_many, to_text

TRICKY = [
    "", " ", "　", "综合 管理部　", "  落实“第一议题”，制度\u3000不到位  ", "Ａ１ＢＣ－２０２４", "XC-2024-001 ",
    "a\tb\nc\r\nd", "㈠ 问题", "①②③", "Ⅲ类", "ﬁnance", "\ufeff问题\u200b描述", "x\xa0y", "100.0", "（必填）",
    "Café", "e\u0301", "问题_描述", "~!@#$%^&*()", "\u2028\u2029", "多  个   空格",
]


def random_strings(n: int = 500) -> list[str]:
    rng = random.Random(7)
    alphabet = ("的一是问题整改销号ＡＢＣａｂｃ０１２，。、；：“”（）【】 \t\n\u3000\xa0\u200b\ufeffabcXYZ019-_/.·"
                "①Ⅱ㈡ﬁé\u0301ßΣ")
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(n)]


@pytest.mark.parametrize(("one", "many"), [(clean, clean_many), (key, key_many), (fingerprint_text, fold_many)],
                         ids=["clean", "key", "fold"])
def test_single_value_and_column_forms_agree(one, many):
    values = TRICKY + random_strings()
    column = [v or "" for v in many(values).to_pylist()]
    assert [one(v) for v in values] == column


def test_examples():
    assert key(" 综合 管理部　") == "综合管理部"
    assert key("２０２４年９月") == "2024年9月"
    assert clean("  多  个\u3000空格 ") == "多 个 空格"
    assert fingerprint_text("落实“第一议题”，制度 不到位。") == fingerprint_text("落实第一议题制度不到位")
    assert fingerprint_text("ＡＢＣ问题") == "abc问题"


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (3.0, "3"), (2.5, "2.5"), (1 / 3, "0.333333333"), (2 / 3, "0.666666667"), (0.1 + 0.2, "0.3"),
    (5e-10, "0.000000001"), (123456.78901234, "123456.78901234"), (True, "true"), (False, "false"),
    (dt.date(2024, 3, 31), "2024-03-31"), (dt.datetime(2024, 3, 31, 10, 5), "2024-03-31 10:05:00"),
    (dt.time(12, 0), "12:00:00"), ("文本", "文本"),
], ids=repr)
def test_a_cell_as_text_reads_as_a_large_sheet_s_cells_do(value, text):
    """What fastexcel gives a cell of a sheet read in pieces (tests/test_pieces.py checks it against the reader)."""
    assert to_text(value) == text
