"""Write or check every generated document: ``python -m xl_report.cli.docs [--check]``.

- docs/cell-names.md from the form (:mod:`xl_report.core.names_doc`);
- docs/findings.md from the rules catalogue (:mod:`xl_report.rules.findings_doc`);
- README.md's command table, between ``<!-- commands -->`` and ``<!-- /commands -->``, from the ``@readme_row``
  beside each command (:mod:`xl_report.cli.readme_table`).

``--check`` writes nothing and exits 1 naming each stale file (tests/test_docs.py runs it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import xl_report.cli  # noqa: F401  registers every command and its README row
from xl_report.cli.readme_table import markdown_table
from xl_report.core.names_doc import cell_names_markdown
from xl_report.rules.findings_doc import findings_markdown

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- commands -->\n", "<!-- /commands -->\n"


def readme_with_table(readme: str) -> str:
    """README text with the generated command table between the markers."""
    head, sep, rest = readme.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"README.md needs the markers {BEGIN.strip()} and {END.strip()} around the command table")
    return head + BEGIN + markdown_table() + END + tail


def generated(root: Path = ROOT) -> dict[Path, Callable[[str], str]]:
    """Each generated file -> a function of its current text giving what it should be."""
    return {
        root / "docs" / "cell-names.md": lambda _: cell_names_markdown(),
        root / "docs" / "findings.md": lambda _: findings_markdown(),
        root / "README.md": readme_with_table,
    }


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose text is not what the code says."""
    out = []
    for path, make in generated(root).items():
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if make(text) != text:
            out.append(path)
    return out


def write(root: Path = ROOT) -> list[Path]:
    """Rewrite the stale files; returns them."""
    changed = stale(root)
    for path in changed:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(generated(root)[path](text), encoding="utf-8", newline="\n")
    return changed


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        old = stale()
        for path in old:
            print(f"{path.relative_to(ROOT)} is stale: run python -m xl_report.cli.docs", file=sys.stderr)
        return 1 if old else 0
    if argv:
        print("usage: python -m xl_report.cli.docs [--check]", file=sys.stderr)
        return 2
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
