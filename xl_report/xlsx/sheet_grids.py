"""A workbook's sheets as calamine reads them, each read once however many facts are looked up in it."""

from __future__ import annotations

from xl_report.core.errors import InputError


class SheetGrids:
    """The grids of one workbook: ``book`` (a calamine workbook) read sheet by sheet, each once."""

    def __init__(self, book, path: str):
        self.book, self.path = book, path
        self.grids: dict[str, list] = {}

    def get(self, sheet: str, limit: int | None = None) -> list:
        """Rows as calamine returns them (``limit``: at most that many); the first read of a sheet decides
        its grid for this workbook."""
        if sheet not in self.grids:
            try:
                self.grids[sheet] = self.book.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=limit)
            except Exception as e:  # noqa: BLE001 - calamine raises its own types for malformed parts
                raise InputError.at(f"无法读取工作表（{e}）", file=self.path, sheet=sheet) from None
        return self.grids[sheet]
