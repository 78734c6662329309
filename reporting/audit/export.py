"""The audit log as an .xlsx workbook (openpyxl write-only mode).

Every text cell is written as a string, never a formula: values starting with ``= + - @`` (or a
tab, CR or NUL) get a leading apostrophe, and the cell type is forced to string
(reliability-security.md §3.8). Times are Copenhagen local time in typed date cells.

The raw codes (action, object type, object id, details as JSON) stay for machines; the last two
columns say the action and the object in Danish, as the log page does. People outside the
exporter's scope are not named (:mod:`reporting.audit.objects`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from reporting.audit.labels import action_label, details_json
from reporting.audit.objects import Lookup, describe_object
from reporting.core.models import AuditEvent
from reporting.core.schedule import COPENHAGEN

HEADERS = ["Tidspunkt", "Bruger-id", "Bruger", "E-mail", "Handling", "Objekttype", "Objekt-id", "Kommune",
           "Detaljer", "Handling (dansk)", "Objekt (dansk)"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\0")

if TYPE_CHECKING:  # openpyxl (and numpy behind it) is imported on use: every process start pays for imports
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet


def safe_text(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet could read it as a formula."""
    return "'" + value if value.startswith(DANGEROUS_START) else value


def text_cell(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=safe_text(value))
    cell.data_type = "s"
    return cell


def _time_cell(sheet: WriteOnlyWorksheet, instant: datetime) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=instant.astimezone(COPENHAGEN).replace(tzinfo=None))
    cell.number_format = "yyyy-mm-dd hh:mm:ss"
    return cell


def _row(sheet: WriteOnlyWorksheet, event: AuditEvent, lookup: Lookup) -> list[object]:
    municipality = lookup.municipalities.get(event.municipality_id, "") if event.municipality_id else ""
    return [
        _time_cell(sheet, event.at),
        event.user_id if event.user_id is not None else None,
        text_cell(sheet, lookup.person(event.user_id) if event.user_id is not None else ""),
        text_cell(sheet, lookup.email(event.user_id)),
        text_cell(sheet, event.action),
        text_cell(sheet, event.object_type),
        text_cell(sheet, event.object_id),
        text_cell(sheet, municipality),
        text_cell(sheet, details_json(event.details)),
        text_cell(sheet, action_label(event.action)),
        text_cell(sheet, describe_object(event, lookup)),
    ]


def workbook_bytes(events: Iterable[AuditEvent], lookup: Lookup) -> bytes:
    """One sheet "Log" with a header row and one row per event, as .xlsx bytes."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "SKP-indberetning"
    sheet = workbook.create_sheet("Log")
    sheet.append([text_cell(sheet, header) for header in HEADERS])
    for event in events:
        sheet.append(_row(sheet, event, lookup))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
