"""台账导入 page: every file it refuses lands in the audit trail as the CLI's refusals do (name, sha256, reason)."""

from __future__ import annotations

import hashlib
import json

from analytics.config import audit_path
from tests.conftest import HEADER, problem_row, write_xlsx
from tests.test_import_page import open_page, text, upload
from tests.test_safety import far_cell_workbook, settings
from tests.test_validation import encrypted_xlsx

FILE = "2024年第三季度问题整改台账.xlsx"


def refusals(db) -> list[dict]:
    trail = audit_path(db).read_text(encoding="utf-8").splitlines() if audit_path(db).exists() else []
    return [e for e in map(json.loads, trail) if (e["action"], e["outcome"]) == ("import", "拒绝")]


def test_every_file_the_page_refuses_is_in_the_audit_trail(monkeypatch, tmp_path):
    """Attack: upload hostile or unreadable files through the page; only the CLI recorded its refusals before."""
    settings(monkeypatch, max_file_mb=0.05)  # 50 KB: the padded CSV below is over it, the others under
    big_csv = ("问题描述,责任单位\n" + "很长的一行问题描述,采购部\n" * 3000).encode()
    cases = {  # name → (bytes, what the reason says)
        "空文件.xlsx": (b"", "文件为空"),
        "2024Q3报表.exe": (b"MZ\x90\x00" + bytes(64), "不是 Excel"),  # another type, past the browser's filter
        "加密台账.xlsx": (encrypted_xlsx(tmp_path), "设置了打开密码"),
        "损坏台账.xlsx": (b"PK\x03\x04" + bytes(range(256)) * 4, "文件已损坏"),
        "远处单元格.xlsx": (far_cell_workbook(tmp_path), "max_columns"),  # hostile: a cell at XFD1048576
        "会议纪要.xlsx": (write_xlsx(tmp_path / "x.xlsx", {"S": [["会议纪要"], ["一、"]]}).read_bytes(),
                        "没有找到可导入的台账"),  # refused at parsing
        "2024年第三季度大台账.csv": (big_csv, "文件大小"),  # too large
    }
    files = {name: data for name, (data, _) in cases.items()}
    ok = write_xlsx(tmp_path / FILE, {"台账": [HEADER, problem_row(1, "A-1")]})
    db = tmp_path / "d.duckdb"
    at = open_page(monkeypatch, db)
    upload(at, *files.items(), ok)
    assert text(at).count("此文件无法导入") == len(files)
    recorded, shown = {e["details"]["file"]: e for e in refusals(db)}, text(at)
    assert set(recorded) == set(files)  # the good file is not refused
    for name, (data, says) in cases.items():
        entry = recorded[name]
        assert (entry["who"], entry["details"]["sha256"]) == ("secretary", hashlib.sha256(data).hexdigest())
        assert says in entry["details"]["reason"] and entry["details"]["reason"] in shown, name
    at.run()  # a rerun (any click) does not record the same refusal again
    assert len(refusals(db)) == len(files)
