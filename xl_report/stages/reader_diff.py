"""Name, in a reader's words, every difference between two reader views (:mod:`xl_report.xlsx.reader_view`).

``表三 D5（…·自然人）显示 99，定稿时为 3``, ``新增隐藏工作表“x”``, ``名称 t3_new_person 已从 表三!D5 移到
表三!Z900``. A report cell keeps its stable key (its cell name, ``unit``/``year``/…, or
``narrative.<section>.<n>``) so that JSON readers can tell which figure changed.
"""

from __future__ import annotations

from xl_report.core import form
from xl_report.core.a1 import cell_box, column_letter, reading_order
from xl_report.core.fingerprint import META_KEYS, Change, canonical_json
from xl_report.xlsx.reader_view import FP_TOKEN, TIME_TOKEN

_META_KEY = {f"meta_{k}": k for k in META_KEYS}
_STATE = {"visible": "可见", "hidden": "隐藏", "veryHidden": "深度隐藏"}
_LOOK_WORDS = {
    "format": "数字格式",
    "color": "字体颜色",
    "size": "字号",
    "fill": "底色",
    "strike": "删除线",
    "vertAlign": "上下标",
}


def _same(a: object, b: object) -> bool:
    return canonical_json({"x": a}) == canonical_json({"x": b})


def show(value: object, tokens: dict[str, str] | None = None) -> str:
    """A value as a reader would read it: text in quotes (marked when it looks like a number)."""
    if value is None:
        return "空"
    if isinstance(value, dict):
        kind, v = next(iter(value.items()))
        return {"bool": "TRUE" if v else "FALSE", "error": str(v), "date": str(v)}.get(kind, f"{kind}:{v}")
    if isinstance(value, str):
        for token, real in (tokens or {}).items():
            value = value.replace(token, real)
        text = value.replace("\n", " ")
        text = f"“{text if len(text) <= 60 else text[:59] + '…'}”"
        try:
            float(value)
            return text + "（文本）"
        except ValueError:
            return text
    return str(value)


def report_places(names: list) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, A1) -> (stable key, Chinese label) of the report's own cells, from a view's names."""
    at = {n[0]: n[2] for n in names if not n[1] and "!" in n[2]}
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for name, cell in form.CELL_BY_NAME.items():
        if name in at:
            sheet, coord = at[name].rsplit("!", 1)
            out[(sheet, coord)] = (name, cell.caption.removeprefix(f"{cell.table} "))
    for meta in form.META_FIELDS:
        if meta.name in at:
            sheet, coord = at[meta.name].rsplit("!", 1)
            out[(sheet, coord.split(":")[0])] = (_META_KEY.get(meta.name, meta.name), meta.label)
    for section, name in form.NARRATIVE_NAMES.items():
        if name not in at:
            continue
        sheet, ref = at[name].rsplit("!", 1)
        min_col, min_row, max_col, max_row = cell_box(ref)
        i = 0
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                i += 1
                out[(sheet, f"{column_letter(c)}{r}")] = (
                    f"narrative.{section}.{i}",
                    f"{form.SECTION_TITLES[section]} 第{i}段",
                )
    return out


def named_value(view: dict, name: str) -> object:
    """The value a view shows in a workbook-scoped single-cell name (e.g. meta_unit), or None."""
    at = next((n[2] for n in view.get("names") or [] if n[0] == name and not n[1] and "!" in n[2]), None)
    if at is None:
        return None
    sheet, coord = at.rsplit("!", 1)
    for s in view.get("sheets") or []:
        if s.get("name") == sheet:
            v = (s.get("cells") or {}).get(coord.split(":")[0])
            return v[0] if isinstance(v, list) else v
    return None


def diff_views(old: dict, new: dict, tokens: dict[str, str] | None = None) -> list[Change]:
    """Every difference, workbook structure first, then sheet by sheet in the frozen order."""
    changes: list[Change] = []
    add = changes.append
    old_sheets = [s for s in old.get("sheets") or [] if isinstance(s, dict)]
    new_sheets = [s for s in new.get("sheets") or [] if isinstance(s, dict)]
    old_names = [str(s.get("name")) for s in old_sheets]
    new_names = [str(s.get("name")) for s in new_sheets]
    renamed: dict[str, str] = {}  # old title -> new title
    gone, added = [n for n in old_names if n not in new_names], [n for n in new_names if n not in old_names]
    for name in list(gone):
        i = old_names.index(name)
        if i < len(new_names) and new_names[i] in added:  # same place, other name: a rename
            renamed[name] = new_names[i]
            gone.remove(name)
            added.remove(new_names[i])
            add(_text("sheet", f"工作表“{name}”被改名为“{new_names[i]}”"))
    for name in gone:
        add(_text("sheet", f"工作表“{name}”已被删除"))
    by_new = {s.get("name"): s for s in new_sheets}
    for name in added:
        state = by_new[name].get("state")
        kind = {"hidden": "隐藏", "veryHidden": "深度隐藏"}.get(state or "", "")
        cells = len(by_new[name].get("cells") or {})
        add(_text("sheet", f"新增{kind}工作表“{name}”（{cells} 个有内容的单元格）"))
    common_old = [n for n in old_names if n not in gone]
    common_new = [n for n in new_names if n not in added]
    if [renamed.get(n, n) for n in common_old] != common_new:
        add(
            _text(
                "sheet",
                f"工作表顺序改变：定稿时为 {'、'.join(map(str, common_old))}，现为 {'、'.join(map(str, common_new))}",
            )
        )
    changes.extend(_names(old.get("names") or [], new.get("names") or [], renamed))
    places = report_places(old.get("names") or [])
    old_looks, new_looks = old.get("looks") or {}, new.get("looks") or {}
    by_old = {s.get("name"): s for s in old_sheets}
    for name in common_old:
        a, b = by_old[name], by_new[renamed.get(name, name)]
        shown = renamed.get(name, name)
        if a.get("state") != b.get("state"):
            was, now = str(a.get("state")), str(b.get("state"))
            add(_text("sheet", f"工作表“{shown}”由{_STATE.get(was, was)}改为{_STATE.get(now, now)}"))
        changes.extend(_sheet(name, shown, a, b, old_looks, new_looks, places, tokens))
    return changes


def _text(key: str, message: str, old: object = None, new: object = None, label: str = "") -> Change:
    return Change(key, label or message, old, new, text=message)


def _names(old: list, new: list, renamed: dict[str, str]) -> list[Change]:
    def table(names: list, rename: dict[str, str]) -> dict[tuple[str, str], list[str]]:
        out: dict[tuple[str, str], list[str]] = {}
        for n in names:
            scope = rename.get(n[1], n[1])
            address = n[2]
            if "!" in address:
                sheet, ref = address.rsplit("!", 1)
                address = f"{rename.get(sheet, sheet)}!{ref}"
            out.setdefault((n[0], scope), []).append(address + ("（隐藏）" if "hidden" in n[3:] else ""))
        return out

    a, b = table(old, renamed), table(new, {})
    out = []
    for key in sorted(set(a) | set(b)):
        name = key[0] if not key[1] else f"{key[0]}（工作表“{key[1]}”）"
        was, now = a.get(key, []), b.get(key, [])
        if was == now:
            continue
        if not now:
            out.append(_text(f"name.{key[0]}", f"名称 {name} 已被删除（定稿时指向 {'、'.join(was)}）"))
        elif not was:
            out.append(_text(f"name.{key[0]}", f"新增名称 {name}，指向 {'、'.join(now)}"))
        elif len(now) > len(was):
            out.append(_text(f"name.{key[0]}", f"名称 {name} 出现 {len(now)} 次（{'、'.join(now)}），定稿时只有一个"))
        else:
            out.append(_text(f"name.{key[0]}", f"名称 {name} 已从 {'、'.join(was)} 移到 {'、'.join(now)}"))
    return out


def _split(value: object, default: str) -> tuple[object, str]:
    return (value[0], value[1]) if isinstance(value, list) and len(value) == 2 else (value, default)


def _sheet(
    name: str,
    shown: str,
    a: dict,
    b: dict,
    old_looks: dict,
    new_looks: dict,
    places: dict,
    tokens: dict[str, str] | None,
) -> list[Change]:
    out: list[Change] = []
    for flag, words in (
        ("zeros_hidden", "不显示零值"),
        ("rows_hidden_by_default", "默认隐藏所有行"),
        ("missing", "内容缺失"),
    ):
        if bool(a.get(flag)) != bool(b.get(flag)):
            out.append(_text("sheet", f"工作表“{shown}”{'已设为' if b.get(flag) else '已取消'}{words}"))
    cells_a, cells_b = a.get("cells") or {}, b.get("cells") or {}
    da, db = a.get("look", ""), b.get("look", "")
    for coord in sorted(set(cells_a) | set(cells_b), key=reading_order):
        va, la = _split(cells_a.get(coord), da)
        vb, lb = _split(cells_b.get(coord), db)
        key, label = places.get((name, coord), (f"{name}!{coord}", ""))
        where = f"{shown} {coord}" + (f"（{label}）" if label else "")
        w = where if label else where + " "
        if not _same(va, vb):
            if vb is None:
                message = f"{w}已清空，定稿时为 {show(va, tokens)}"
            elif va is None:
                message = f"{w}显示 {show(vb, tokens)}，定稿时为空"
            else:
                message = f"{w}显示 {show(vb, tokens)}，定稿时为 {show(va, tokens)}"
            out.append(Change(key, f"{shown} {coord}" + (f" {label}" if label else ""), va, vb, text=message))
        if va is not None and vb is not None:
            look_a, look_b = old_looks.get(la, {}), new_looks.get(lb, {})
            if not _same(look_a, look_b):
                out.append(Change(key, where, look_a, look_b, text=f"{w}的{_look_change(look_a, look_b)}"))
    formulas_a, formulas_b = a.get("formulas") or {}, b.get("formulas") or {}
    for coord in sorted(set(formulas_a) | set(formulas_b), key=reading_order):
        if formulas_a.get(coord) != formulas_b.get(coord):
            f = formulas_b.get(coord)
            message = (
                f"{shown} {coord} 含公式 {f}（定稿文件只含数值，表格显示的是公式保存的结果，不一定是公式的值）"
                if f
                else f"{shown} {coord} 的公式已被删除"
            )
            out.append(_text(f"{name}!{coord}", message))
    was, now = set(a.get("hidden_rows") or []), set(b.get("hidden_rows") or [])
    for n in sorted(now - was):
        out.append(_text(f"{name}.hidden_rows", f"{shown} 第 {n} 行被隐藏"))
    for n in sorted(was - now):
        out.append(_text(f"{name}.hidden_rows", f"{shown} 第 {n} 行已取消隐藏"))
    spans_a = [tuple(s) for s in a.get("hidden_columns") or [] if isinstance(s, list) and len(s) == 2]
    spans_b = [tuple(s) for s in b.get("hidden_columns") or [] if isinstance(s, list) and len(s) == 2]
    for span in spans_b:
        if span not in spans_a:
            out.append(_text(f"{name}.hidden_columns", f"{shown} 第 {_columns(span)} 列被隐藏"))
    for span in spans_a:
        if span not in spans_b:
            out.append(_text(f"{name}.hidden_columns", f"{shown} 第 {_columns(span)} 列不再是定稿时的隐藏状态"))
    was, now = set(a.get("merged") or []), set(b.get("merged") or [])
    for ref in sorted(was - now, key=reading_order):
        out.append(_text(f"{name}.merged", f"{shown} 合并单元格 {ref} 已取消合并"))
    for ref in sorted(now - was, key=reading_order):
        out.append(_text(f"{name}.merged", f"{shown} 新增合并单元格 {ref}"))
    comments_a, comments_b = a.get("comments") or {}, b.get("comments") or {}
    for coord in sorted(set(comments_a) | set(comments_b), key=reading_order):
        ca, cb = comments_a.get(coord), comments_b.get(coord)
        if ca != cb:
            message = (
                f"{shown} {coord} 新增批注 {show(cb)}"
                if ca is None
                else f"{shown} {coord} 的批注已被删除（定稿时为 {show(ca)}）"
                if cb is None
                else f"{shown} {coord} 的批注改为 {show(cb)}，定稿时为 {show(ca)}"
            )
            out.append(_text(f"{name}!{coord}.comment", message))
    if (a.get("header_footer") or {}) != (b.get("header_footer") or {}):
        printed = "；".join(f"{v}" for v in (b.get("header_footer") or {}).values()) or "无"
        out.append(_text(f"{name}.header_footer", f"{shown} 打印的页眉页脚改为 {show(printed)}"))
    for field, words in (("conditional", "条件格式（按条件改变单元格的显示）"), ("drawings", "文本框、形状或图片")):
        if not _same(a.get(field) or [], b.get(field) or []):
            out.append(
                _text(
                    f"{name}.{field}",
                    f"{shown} 的{words}与定稿时不同（现有 {len(b.get(field) or [])} 项，"
                    f"定稿时 {len(a.get(field) or [])} 项）",
                )
            )
    return out


def _columns(span: tuple) -> str:
    lo, hi = (max(1, min(int(x), 16384)) for x in span)
    return column_letter(lo) if lo == hi else f"{column_letter(lo)}–{column_letter(hi)}"


def _look_change(a: dict, b: dict) -> str:
    parts = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            parts.append(f"{_LOOK_WORDS.get(k, k)}改为“{b.get(k, '默认')}”（定稿时为“{a.get(k, '默认')}”）")
    return "、".join(parts) + "，显示效果可能不同"


def token_values(fp: str, time_text: str) -> dict[str, str]:
    """What the placeholders stood for, to show old values as the reader saw them."""
    return {FP_TOKEN: fp[:12], TIME_TOKEN: time_text}
