"""A table as one rich Text: columns aligned by display width (a CJK character takes two cells), long
cells folded onto further lines, a style per cell (shown only where the console shows styles).

rich's Table lays out, measures and renders every cell as its own renderable: for a county's hundreds
of rows that was a third of a second of the batch command; this lays the rows out as plain lines and
prints them in one go."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, get_character_cell_size
from rich.text import Span, Text

from xl_report.core.errors import printable

GAP = "  "  # between columns
MIN_LAST = 16  # the last column's width when the others take the whole line


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: two for a wide (CJK) character, none for a combining mark (rich's
    measure, the one its console pads and wraps by)."""
    return cell_len(text)


def fold(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` cells (its own line breaks kept)."""
    lines: list[str] = []
    for line in text.split("\n"):
        if cell_width(line) <= width:
            lines.append(line)
            continue
        start, used = 0, 0
        for i, ch in enumerate(line):
            w = get_character_cell_size(ch)
            if used + w > width and i > start:
                space = line.rfind(" ", start, i)  # break after a space when one is in the second half
                cut = space + 1 if space >= start + (i - start) // 2 else i
                lines.append(line[start:cut].rstrip(" "))
                start, used = cut, cell_width(line[cut:i])
            used += w
        lines.append(line[start:])
    return lines


def plain_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    right: Sequence[int] = (),
    styles: Sequence[Sequence[str | None]] | None = None,
) -> Text:
    """The table as lines: ``title``, the header, a rule, then each row. Every column but the last is
    as wide as its widest cell (up to a third of ``width``); the last takes the rest of ``width`` and
    folds. ``right``: columns aligned right (numbers). ``styles``: a style (or None) per cell of each row.
    Cell text is shown escaped (:func:`xl_report.core.errors.printable`): it comes from workbooks."""
    n = len(headers)
    cells = [[printable(c) for c in row] for row in rows]
    cap = max(4, width // 3)
    widths = [
        min(cap, max(cell_width(line) for c in [headers[j], *(r[j] for r in cells)] for line in c.split("\n")))
        for j in range(n - 1)
    ]
    used = sum(widths) + len(GAP) * (n - 1)
    last = max(MIN_LAST, width - used)
    widths.append(min(last, max([cell_width(headers[-1])] + [cell_width(r[-1]) for r in cells])))
    pieces: list[str] = [title, "\n"]
    spans: list[Span] = []
    at = len(title) + 1

    def put(row: Sequence[str], row_styles: Sequence[str | None] | None) -> None:
        nonlocal at
        folded = [fold(c, w) for c, w in zip(row, widths)]
        for k in range(max(len(f) for f in folded)):
            parts: list[tuple[str, str | None]] = []
            for j, (lines, w) in enumerate(zip(folded, widths)):
                piece = lines[k] if k < len(lines) else ""
                pad = " " * (w - cell_width(piece))
                style = row_styles[j] if row_styles else None
                parts += [(pad, None), (piece, style)] if j in right else [(piece, style), (pad, None)]
                parts.append((GAP, None))
            while parts and not parts[-1][0].strip():  # no trailing blanks
                parts.pop()
            for text, style in parts:
                if style and text:
                    spans.append(Span(at, at + len(text), style))
                pieces.append(text)
                at += len(text)
            pieces.append("\n")
            at += 1

    put(headers, ["bold"] * n)
    rule = GAP.join("-" * w for w in widths) + "\n"  # ASCII: box drawing is double width on CJK terminals
    pieces.append(rule)
    at += len(rule)
    for i, row in enumerate(cells):
        put(row, styles[i] if styles else None)
    return Text("".join(pieces).rstrip("\n"), spans=spans)
