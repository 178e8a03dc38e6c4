"""Measure import against the hand-read answer keys of the real published reports in ../shared.

``python -m tests.real_reports`` prints, per report: cells read exactly, left blank, read wrong (a value
that differs from the key, or any value for a cell the key lists as unreadable), and unreadable cells
left blank without a finding naming them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from xl_report.core import form
from xl_report.published.importer import ImportResult, import_report

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "samples" / "real"


def keys() -> list[Path]:
    return sorted(REAL.glob("*.expected.json")) if REAL.is_dir() else []


@dataclass
class Score:
    id: str
    exact: list[str] = field(default_factory=list)
    blank: list[str] = field(default_factory=list)  # a readable cell left blank
    wrong: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)  # an unreadable cell blank but named by no finding
    error: str | None = None

    def line(self) -> str:
        if self.error:
            return f"{self.id:28} REFUSED {self.error}"
        return (
            f"{self.id:28} exact {len(self.exact):3}  blank {len(self.blank):3}  wrong {len(self.wrong):3}"
            f"  unreadable-without-finding {len(self.silent):3}"
        )


def named(result: ImportResult) -> set[str]:
    """Cells some finding names."""
    out: set[str] = set()
    for f in result.problems:
        out.update(f.names)
        if f.name:
            out.add(f.name)
    return out


def score(expected: Path) -> tuple[Score, ImportResult | None]:
    key = json.loads(expected.read_text(encoding="utf-8"))
    s = Score(key["id"])
    try:
        result = import_report(expected.parent / key["file"])
    except Exception as e:  # noqa: BLE001 - a refused report is a score, not a crash of the measurement
        s.error = f"{type(e).__name__}: {e}"
        return s, None
    values = result.report.values
    for name, want in key["cells"].items():
        got = values.get(name)
        if got is None:
            s.blank.append(name)
        elif got == want and type(got) is type(want) or (isinstance(got, (int, float)) and got == want):
            s.exact.append(name)
        else:
            s.wrong.append(f"{name}={got!r} (key {want!r})")
    said = named(result)
    for name in key["unreadable"]:
        if values.get(name) is not None:
            s.wrong.append(f"{name}={values[name]!r} (key: unreadable)")
        elif name not in said:
            s.silent.append(name)
    assert set(key["cells"]) | set(key["unreadable"]) == set(form.CELL_NAMES), key["id"]
    return s, result


def main() -> None:
    for path in keys():
        s, _ = score(path)
        print(s.line())
        for w in s.wrong:
            print("    WRONG", w)


if __name__ == "__main__":
    main()
