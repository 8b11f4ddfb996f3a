"""The custom document properties that identify an update workbook: its number, unit, periods and a check code.

Excel and WPS keep custom properties when a workbook is edited and saved, and the importer never reads them, so
they travel with the file without becoming a column. The check code is the generation's random token, kept in
the database: a unit cannot pass off one file as another unit's workbook without having seen that one.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass

CUSTOM_PART = "docProps/custom.xml"
MAX_PART_BYTES = 64 * 1024  # a handful of short properties; anything larger is not ours
_NAMES = {"workbook_id": "dashboard_workbook_id", "unit": "dashboard_unit", "base_period": "dashboard_base_period",
          "period": "dashboard_period", "token": "dashboard_token"}
_PERIOD = re.compile(r"^\d{4}Q[1-4]$")


@dataclass(frozen=True)
class Marker:
    """Which generation a workbook is: for ``unit``, listing the problems open as of ``base_period``, to be
    returned as the ledger of ``period`` (the quarter after)."""

    workbook_id: int
    unit: str
    base_period: str
    period: str
    token: str

    def properties(self) -> dict[str, str]:
        """The custom properties to write (name → text)."""
        return {name: str(getattr(self, attr)) for attr, name in _NAMES.items()}


def read(data: bytes) -> Marker | None:
    """The marker of an xlsx file's bytes, or None (not an xlsx, no or damaged properties, or not ours)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo(CUSTOM_PART)
            if info.file_size > MAX_PART_BYTES:
                return None
            xml = zf.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError):
        return None
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:  # no entity expansion from an uploaded file
        return None
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    found = {}
    for prop in root:
        name = prop.get("name")
        if name in _NAMES.values() and len(prop):
            found[name] = (prop[0].text or "").strip()
    try:
        marker = Marker(int(found[_NAMES["workbook_id"]]), found[_NAMES["unit"]], found[_NAMES["base_period"]],
                        found[_NAMES["period"]], found[_NAMES["token"]])
    except (KeyError, ValueError):
        return None
    if not (marker.unit and marker.token and _PERIOD.match(marker.base_period) and _PERIOD.match(marker.period)):
        return None
    return marker
