"""The official format (国办公开办函〔2021〕30号) as data.

This module is the single source of every official label, cell name, number kind and arithmetic
identity. The template builder, the filler, the rules, the renderer and the importer all read it;
nothing else in the code base spells a label or a cell name a second time.

Cell names (listed in ``docs/cell-names.md``, generated from this module):
``t2_<item>_<measure>``, ``t3_<row>_<col>``, ``t4_<group>_<outcome>``, ``meta_<field>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FORM_ID = "国办公开办函〔2021〕30号"
FORM_ID_2019 = "国办公开办函〔2019〕60号"  # the superseded 试行 format (its 表二 is T2_2019_SIGNATURE)
REGULATION_NAME = "中华人民共和国政府信息公开条例"  # cited in the preamble as 《…》
FORM_NAME = "中华人民共和国政府信息公开工作年度报告格式"
REPORT_TITLE_SUFFIX = "年政府信息公开工作年度报告"

Kind = Literal["count", "amount"]

# --------------------------------------------------------------------------------------------
# The six sections
# --------------------------------------------------------------------------------------------
SECTIONS: tuple[tuple[str, str], ...] = (
    ("overview", "一、总体情况"),
    ("active", "二、主动公开政府信息情况"),
    ("requests", "三、收到和处理政府信息公开申请情况"),
    ("appeals", "四、政府信息公开行政复议、行政诉讼情况"),
    ("problems", "五、存在的主要问题及改进情况"),
    ("other", "六、其他需要报告的事项"),
)
SECTION_TITLES = dict(SECTIONS)
# Sections whose content is free text kept on the 正文 sheet (the others are the tables).
NARRATIVE_SECTIONS: tuple[str, ...] = ("overview", "problems", "other")
OVERVIEW_TOPICS: tuple[str, ...] = (
    "（一）主动公开",
    "（二）依申请公开",
    "（三）政府信息管理",
    "（四）政府信息公开平台建设",
    "（五）监督保障",
)


@dataclass(frozen=True)
class CellDef:
    """One value cell of an official table."""

    name: str
    table: str  # "表二" | "表三" | "表四"
    row_key: str
    col_key: str
    row_labels: tuple[str, ...]  # label path, outermost first, verbatim
    col_labels: tuple[str, ...]  # header path, outermost first, verbatim
    kind: Kind = "count"
    computed: bool = False  # a 总计 cell: derived from others by an identity

    @property
    def row_label(self) -> str:
        return self.row_labels[-1]

    @property
    def col_label(self) -> str:
        return self.col_labels[-1]

    @property
    def caption(self) -> str:
        """Short Chinese description for messages: 表三 自然人列 （一）予以公开. A column heading that
        repeats the row's (表二's blocks head both) is said once."""
        cols = self.col_labels[1:] if self.col_labels[:1] == self.row_labels[:1] else self.col_labels
        return f"{self.table} {'·'.join(self.row_labels)} · {'·'.join(cols)}"


# --------------------------------------------------------------------------------------------
# 表二 主动公开政府信息情况
# --------------------------------------------------------------------------------------------
T2_TITLE = SECTION_TITLES["active"]
T2_ITEM_HEADER = "信息内容"


@dataclass(frozen=True)
class T2Block:
    caption: str
    measures: tuple[tuple[str, str], ...]  # (measure key, column header)
    items: tuple[tuple[str, str], ...]  # (item key, row label)
    kind: Kind = "count"


T2_BLOCKS: tuple[T2Block, ...] = (
    T2Block(
        "第二十条第（一）项",
        (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")),
        (("rules", "规章"), ("normative", "行政规范性文件")),
    ),
    T2Block("第二十条第（五）项", (("decisions", "本年处理决定数量"),), (("licensing", "行政许可"),)),
    T2Block(
        "第二十条第（六）项",
        (("decisions", "本年处理决定数量"),),
        (("penalty", "行政处罚"), ("coercion", "行政强制")),
    ),
    T2Block(
        "第二十条第（八）项",
        (("amount", "本年收费金额（单位：万元）"),),
        (("fees", "行政事业性收费"),),
        kind="amount",
    ),
)
# Older wording of a 2021 label still common in published reports (accepted on import).
T2_LABEL_SYNONYMS: dict[str, tuple[str, ...]] = {"行政规范性文件": ("规范性文件",)}
# Labels of the superseded 2019 试行 表二 (国办公开办函〔2019〕60号): any of them marks a 2019-format report.
T2_2019_SIGNATURE: tuple[str, ...] = (
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "其他对外管理服务事项",
    "第二十条第（九）项",
    "政府集中采购",
    "采购项目数量",
    "采购总金额",
)

# --------------------------------------------------------------------------------------------
# 表三 收到和处理政府信息公开申请情况
# --------------------------------------------------------------------------------------------
T3_TITLE = SECTION_TITLES["requests"]
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_APPLICANT_HEADER = "申请人情况"
T3_LEGAL_PERSON_HEADER = "法人或其他组织"

# (key, label, under 法人或其他组织?)
T3_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("person", "自然人", False),
    ("business", "商业企业", True),
    ("research", "科研机构", True),
    ("charity", "社会公益组织", True),
    ("legal", "法律服务机构", True),
    ("other", "其他", True),
    ("total", "总计", False),
)
T3_APPLICANT_COLUMNS = tuple(k for k, _, _ in T3_COLUMNS if k != "total")  # the six
T3_COLUMN_LABELS = {k: lab for k, lab, _ in T3_COLUMNS}

T3_RESULTS_LABEL = "三、本年度办理结果"


@dataclass(frozen=True)
class T3Group:
    key: str
    label: str  # e.g. "（三）不予公开"
    short: str  # e.g. "不予公开" (used in tally result values)
    items: tuple[str, ...]  # numbered sub-item labels, verbatim; empty for a single row


T3_RESULT_GROUPS: tuple[T3Group, ...] = (
    T3Group("open", "（一）予以公开", "予以公开", ()),
    T3Group("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开", ()),
    T3Group(
        "deny",
        "（三）不予公开",
        "不予公开",
        (
            "1.属于国家秘密",
            "2.其他法律行政法规禁止公开",
            "3.危及“三安全一稳定”",
            "4.保护第三方合法权益",
            "5.属于三类内部事务信息",
            "6.属于四类过程性信息",
            "7.属于行政执法案卷",
            "8.属于行政查询事项",
        ),
    ),
    T3Group(
        "unable",
        "（四）无法提供",
        "无法提供",
        ("1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"),
    ),
    T3Group(
        "reject",
        "（五）不予处理",
        "不予处理",
        (
            "1.信访举报投诉类申请",
            "2.重复申请",
            "3.要求提供公开出版物",
            "4.无正当理由大量反复申请",
            "5.要求行政机关确认或重新出具已获取信息",
        ),
    ),
    T3Group(
        "other",
        "（六）其他处理",
        "其他处理",
        (
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "3.其他",
        ),
    ),
)
T3_TOTAL_LABEL = "（七）总计"
# Short row names for messages (新收 12 + 上年结转 3 ≠ 办理结果总计 13 + 结转下年度 1).
T3_ROW_SHORT = {"new": "新收", "carried_in": "上年结转", "total": "办理结果总计", "carried_out": "结转下年度"}


def strip_item_number(label: str) -> str:
    """'4.保护第三方合法权益' -> '保护第三方合法权益'."""
    head, sep, rest = label.partition(".")
    return rest if sep and head.isdigit() else label


@dataclass(frozen=True)
class T3Row:
    key: str
    labels: tuple[str, ...]  # label path: ("三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益")
    result: str | None = None  # tally value for a result leaf: "不予公开-保护第三方合法权益"


def _t3_rows() -> tuple[T3Row, ...]:
    rows = [
        T3Row("new", ("一、本年新收政府信息公开申请数量",)),
        T3Row("carried_in", ("二、上年结转政府信息公开申请数量",)),
    ]
    for g in T3_RESULT_GROUPS:
        if not g.items:
            rows.append(T3Row(g.key, (T3_RESULTS_LABEL, g.label), g.short))
        for i, item in enumerate(g.items, start=1):
            rows.append(
                T3Row(f"{g.key}_{i}", (T3_RESULTS_LABEL, g.label, item), f"{g.short}-{strip_item_number(item)}")
            )
    rows.append(T3Row("total", (T3_RESULTS_LABEL, T3_TOTAL_LABEL)))
    rows.append(T3Row("carried_out", ("四、结转下年度继续办理",)))
    return tuple(rows)


T3_ROWS: tuple[T3Row, ...] = _t3_rows()
T3_RESULT_ROWS: tuple[T3Row, ...] = tuple(r for r in T3_ROWS if r.result)  # the 21 leaves
RESULT_VALUES: dict[str, str] = {r.result: r.key for r in T3_RESULT_ROWS if r.result}  # tally value -> row key
RESULT_OF: dict[str, str] = {key: result for result, key in RESULT_VALUES.items()}  # row key -> tally value

# --------------------------------------------------------------------------------------------
# 表四 政府信息公开行政复议、行政诉讼情况
# --------------------------------------------------------------------------------------------
T4_TITLE = SECTION_TITLES["appeals"]
T4_REVIEW = "行政复议"
T4_SUIT = "行政诉讼"
# (key, header path)
T4_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("review", (T4_REVIEW,)),
    ("suit_direct", (T4_SUIT, "未经复议直接起诉")),
    ("suit_after", (T4_SUIT, "复议后起诉")),
)
T4_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
T4_PARTS = tuple(k for k, _ in T4_OUTCOMES if k != "total")

# Header paths (outermost first), one per value column, in official order.
T3_COLUMN_PATHS: tuple[tuple[str, ...], ...] = tuple(
    (T3_APPLICANT_HEADER, T3_LEGAL_PERSON_HEADER, lab) if legal else (T3_APPLICANT_HEADER, lab)
    for _, lab, legal in T3_COLUMNS
)
T4_COLUMN_PATHS: tuple[tuple[str, ...], ...] = tuple(
    labels + (olab,) for _, labels in T4_GROUPS for _, olab in T4_OUTCOMES
)


def label_spans(paths, depth: int) -> list[tuple[int, int, int, int, str]]:
    """Merge label paths (one per line) into spans ``(level, first, last, end_level, label)``.

    Consecutive lines with an equal prefix share the cell of that prefix; the last label of a path
    stretches to ``depth - 1`` so every line fills all levels. This is the merge structure of
    表三's row labels and of the column headers of 表三/表四 (the same tree, transposed); the
    template and every renderer draw from it.
    """
    spans = []
    for level in range(depth):
        i = 0
        while i < len(paths):
            path = paths[i]
            if len(path) <= level:
                i += 1
                continue
            end = i
            while (
                end + 1 < len(paths)
                and len(paths[end + 1]) > level
                and paths[end + 1][: level + 1] == path[: level + 1]
            ):
                end += 1
            end_level = depth - 1 if level == len(path) - 1 else level
            spans.append((level, i, end, end_level, path[level]))
            i = end + 1
    return spans


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def t2(item: str, measure: str) -> str:
    return f"t2_{item}_{measure}"


def t3(row: str, col: str) -> str:
    return f"t3_{row}_{col}"


def t4(group: str, outcome: str) -> str:
    return f"t4_{group}_{outcome}"


def _build_cells() -> tuple[CellDef, ...]:
    cells: list[CellDef] = []
    for block in T2_BLOCKS:
        for item, item_label in block.items:
            for measure, measure_label in block.measures:
                cells.append(
                    CellDef(
                        t2(item, measure),
                        "表二",
                        item,
                        measure,
                        (block.caption, item_label),
                        (block.caption, measure_label),
                        block.kind,
                    )
                )
    for row in T3_ROWS:
        for col, col_label, legal in T3_COLUMNS:
            col_labels = (
                (T3_APPLICANT_HEADER, T3_LEGAL_PERSON_HEADER, col_label) if legal else (T3_APPLICANT_HEADER, col_label)
            )
            cells.append(
                CellDef(
                    f"t3_{row.key}_{col}",
                    "表三",
                    row.key,
                    col,
                    row.labels,
                    col_labels,
                    computed=(col == "total" or row.key == "total"),
                )
            )
    for group, group_labels in T4_GROUPS:
        for outcome, outcome_label in T4_OUTCOMES:
            cells.append(
                CellDef(
                    f"t4_{group}_{outcome}",
                    "表四",
                    group,
                    outcome,
                    (T4_TITLE,),
                    group_labels + (outcome_label,),
                    computed=(outcome == "total"),
                )
            )
    return tuple(cells)


CELLS: tuple[CellDef, ...] = _build_cells()
CELL_BY_NAME: dict[str, CellDef] = {c.name: c for c in CELLS}
CELL_NAMES: tuple[str, ...] = tuple(c.name for c in CELLS)
TABLES: tuple[str, ...] = ("表二", "表三", "表四")
TABLE_TITLES = {"表二": T2_TITLE, "表三": T3_TITLE, "表四": T4_TITLE}


# --------------------------------------------------------------------------------------------
# Arithmetic identities
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """sum(lhs) == sum(rhs). ``code`` is the stable finding code; ``where`` a short Chinese locus."""

    code: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    where: str
    # the cell that the template computes with a formula from ``rhs`` (None for A01)
    total: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return self.lhs + self.rhs


IDENTITY_TITLES = {
    "A01": "表三 勾稽关系：第一项加第二项之和等于第三项加第四项之和",
    "A02": "表三 总计列等于六类申请人之和",
    "A03": "表三 （七）总计等于各项办理结果之和",
    "A04": "表四 总计等于结果维持、结果纠正、其他结果、尚未审结之和",
}


def _build_identities() -> tuple[Identity, ...]:
    ids: list[Identity] = []
    for col, label, _ in T3_COLUMNS:
        ids.append(
            Identity(
                "A01",
                (t3("new", col), t3("carried_in", col)),
                (t3("total", col), t3("carried_out", col)),
                f"表三 {label}列",
            )
        )
    for row in T3_ROWS:
        ids.append(
            Identity(
                "A02",
                (t3(row.key, "total"),),
                tuple(t3(row.key, c) for c in T3_APPLICANT_COLUMNS),
                f"表三 {row.labels[-1]}行",
                total=t3(row.key, "total"),
            )
        )
    for col, label, _ in T3_COLUMNS:
        ids.append(
            Identity(
                "A03",
                (t3("total", col),),
                tuple(t3(r.key, col) for r in T3_RESULT_ROWS),
                f"表三 {label}列",
                total=t3("total", col),
            )
        )
    for group, labels in T4_GROUPS:
        ids.append(
            Identity(
                "A04",
                (t4(group, "total"),),
                tuple(t4(group, o) for o in T4_PARTS),
                f"表四 {'·'.join(labels)}",
                total=t4(group, "total"),
            )
        )
    return tuple(ids)


IDENTITIES: tuple[Identity, ...] = _build_identities()


def _computed_from() -> dict[str, tuple[str, ...]]:
    """The formula the template puts in each computed cell: name -> names it sums.

    t3_total_total is the total of both an A02 row and an A03 column; the A02 row sum is used (A03
    still checks it). Ordered so that a total comes after every computed cell it sums, which lets
    callers fill totals in one pass.
    """
    sums: dict[str, tuple[str, ...]] = {}
    for ident in IDENTITIES:
        if ident.total and ident.total not in sums:
            sums[ident.total] = ident.rhs
    ordered: dict[str, tuple[str, ...]] = {}

    def visit(name: str) -> None:
        if name in sums and name not in ordered:
            for part in sums[name]:
                visit(part)
            ordered[name] = sums[name]

    for name in sums:
        visit(name)
    return ordered


COMPUTED_FROM: dict[str, tuple[str, ...]] = _computed_from()

# --------------------------------------------------------------------------------------------
# Report metadata (说明 sheet) and narrative (正文 sheet)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetaField:
    name: str
    label: str
    hint: str
    kind: Literal["text", "year", "choice", "date"] = "text"
    choices: tuple[str, ...] = ()
    user_input: bool = True


@dataclass(frozen=True)
class UnitLevel:
    label: str
    can_make_rules: bool  # 规章制定权
    government: bool  # 人民政府 itself (its own report is due 3月31日 at 县级以上)
    county_or_above_government: bool = False


UNIT_LEVELS: tuple[UnitLevel, ...] = (
    UnitLevel("乡镇人民政府", False, True),
    UnitLevel("街道办事处", False, False),
    UnitLevel("县级人民政府部门", False, False),
    UnitLevel("县级人民政府", False, True, True),
    UnitLevel("设区的市级人民政府部门", False, False),
    UnitLevel("设区的市级人民政府", True, True, True),
    UnitLevel("省级人民政府部门", False, False),
    UnitLevel("省级人民政府", True, True, True),
    UnitLevel("国务院部门", True, False),
    UnitLevel("其他", False, False),
)
UNIT_LEVEL_BY_LABEL = {u.label: u for u in UNIT_LEVELS}

META_FIELDS: tuple[MetaField, ...] = (
    MetaField("meta_unit", "单位名称", "填写全称，如：某某县某某镇人民政府"),
    MetaField("meta_year", "报告年度", "四位数字，如：2024", kind="year"),
    MetaField("meta_level", "单位类型", "从下拉列表选择", kind="choice", choices=tuple(u.label for u in UNIT_LEVELS)),
    MetaField("meta_contact", "联系电话", "年报中公布的咨询电话，如：0476-5326621"),
    MetaField("meta_published", "发布日期", "年报在网站上发布的日期（发布后填写）", kind="date"),
    MetaField("meta_fingerprint", "定稿指纹", "定稿时自动生成，请勿修改", user_input=False),
    MetaField("meta_frozen_at", "定稿时间", "定稿时自动生成，请勿修改", user_input=False),
)
META_BY_NAME = {m.name: m for m in META_FIELDS}

# 正文: one named range of paragraph cells per narrative section.
NARRATIVE_NAMES: dict[str, str] = {key: f"text_{key}" for key in NARRATIVE_SECTIONS}

# Placeholders usable in 正文 (render substitutes them so text and tables cannot disagree).
PLACEHOLDERS: dict[str, str] = {
    "新收": t3("new", "total"),
    "上年结转": t3("carried_in", "total"),
    "办结": t3("total", "total"),
    "结转下年度": t3("carried_out", "total"),
    "予以公开": t3("open", "total"),
    "部分公开": t3("partial", "total"),
    "行政复议": t4("review", "total"),
    "直接起诉": t4("suit_direct", "total"),
    "复议后起诉": t4("suit_after", "total"),
    "行政许可": "t2_licensing_decisions",
    "行政处罚": "t2_penalty_decisions",
    "行政强制": "t2_coercion_decisions",
    "收费金额": "t2_fees_amount",
}

# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------
SHEET_README = "说明"
SHEET_NARRATIVE = "正文"
SHEET_FINDINGS = "校验结果"
SHEET_LISTS = "_lists"  # hidden: dropdown sources longer than Excel's 255-character inline limit
