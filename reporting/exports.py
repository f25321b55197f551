"""A table of figures as a file: CSV in UTF-8 with a byte-order mark (Excel then reads
Chinese right) and Excel (.xlsx, openpyxl). The headers come translated by the caller;
numbers stay numbers (an Excel cell a manager can sum), a missing figure an empty cell."""

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

Cell = str | int | float | None
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET_NAME_MAX = 31  # Excel's limit


@dataclass
class Table:
    name: str  # the file's stem and the sheet's name
    headers: list[str]
    rows: list[list[Cell]]


def to_csv(table: Table) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows(["" if cell is None else cell for cell in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    """One sheet, its header row bold and frozen."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.name[:SHEET_NAME_MAX]
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(table.headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(48, len(header) * 2 + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def encode(table: Table, fmt: str) -> bytes:
    """`table` as a `fmt` file (a key of MEDIA)."""
    return to_csv(table) if fmt == "csv" else to_xlsx(table)
