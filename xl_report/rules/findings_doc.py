"""docs/findings.md, generated from the rules catalogue so the list of codes is never a second copy.

Regenerate with ``python -m xl_report.cli.docs`` (a test checks it is current).
"""

from __future__ import annotations

from xl_report.core.findings import SEVERITY_LABELS
from xl_report.rules.catalogue import RULES

# The notes under the table: how the rules read the report (Chinese for the clerk; Markdown).
NOTES: tuple[str, ...] = (
    (
        "位置 · location: `sheet` + `cell`（A1）+ `name`（单元格名称，见 cell-names.md）；"
        "勾稽关系类（A01–A04）在 `names` 中列出涉及的全部单元格，A01 还列出其“总计”公式的各组成单元格（改错其中"
        "任何一格都会在这里被点名）。台账类（R）给出 `row`（Excel 行号）。"
    ),
    ("A01–A04 只由 `form.IDENTITIES` 驱动，合计一律在 Python 中重新计算，不信任文件中缓存的公式值。"),
    (
        "T01：正文中“收到/受理 N 件”可以等于本年新收，也可以等于新收加上年结转（见 format-notes.md §2）。"
        "正文中的 `{新收}` 等占位符先用表格数字替换再比较。"
    ),
    (
        "R01–R03：答复期限 = 收到日期（补正的，自补正收到日期起）后第 20 个工作日，延期的再加 20 个工作日，"
        "再加征求意见所用工作日（条例第三十、三十二、三十三条）；收到当日不计，非工作日收到的从下一个工作日起算"
        "。工作日按国务院节假日安排（含调休上班日），数据来自 chinesecalendar；尚未收录的年度给出 R05 提示，"
        "可在 `xl-report.toml` 的 `[calendar]` 中用 `extra_holidays` / `extra_workdays` 补充。"
    ),
    (
        "R07–R09（表格与台账一致）：工作簿有台账记录时，`check`、`freeze`、`batch`、Excel“校验”“定稿”按钮和按钮服务器"
        "都用与“填报”相同的统计代码从台账重算表格，逐格比较（合计格由 A01–A04 负责）。没有的台账工作表、没有任何"
        "记录的台账工作表对应的格子不比较（这些表格按手工填写）。整张表未填报（全为空或 0）只报一条 R08；填报后"
        "台账有改动时先报 R09，再逐格报 R07（“表中 3，台账 13”）。金额按万元 4 位小数比较。填报时工作簿记下填报"
        "时间和台账摘要（自定义文档属性 `xl_report_filled_at`、`xl_report_tally_digest`，定稿后保留）；摘要不含"
        "申请人、申请内容，不受行的顺序影响。批量处理自己填报表格，只在输入工作簿已填报（表格不全为空或 0）且与"
        "台账不一致时报 R07。"
    ),
    (
        "台账或表格单元格中的 Excel 错误值（`#N/A`、`#VALUE!`、`#REF!`、`#DIV/0!`、`#NAME?`、`#NULL!`、`#NUM!`）"
        "和没有计算结果的公式不是空格：`fill`、`check`、`freeze`、`batch` 都指出工作表、行、列和值，退出码 2，"
        "不写任何文件。"
    ),
    ("正在等待申请人补正（有补正告知日期、没有补正收到日期）的申请，答复期限暂停计算，不报 R03。"),
    (
        "A05 阈值：乡镇、街道、县级部门 1000 万元，县级以上人民政府及有规章制定权的机关 100000 万元；"
        "`[rules] fee_limit_wan` 可改。有收费台账时，表二金额恰好等于台账“元”合计也报 A05。"
    ),
    (
        'D01 期限：县级以上人民政府本级年报 3月31日，其他单位 1月31日；`[deadlines] government = "03-31"`、'
        '`other = "01-31"` 可改。'
    ),
    (
        "已发布年报（`xl-report import` / `audit`）：读不出的单元格一律留空并有一条问题说明原因（`audit --json` 的 "
        "`blank_cells` 逐格列出），凡用到这些单元格的校验（A01–A04、T01–T03、X01 等）不做，不把空白当作 0。"
        "F14 表示文本在某张表中途结束（网页摘录、只保存了前半页）：其后的单元格和后面几部分不在文本中，这是摘录不全，"
        "不是年报本身的错误。F15（数字连写、按总计唯一拆分）和 F18（行名与数字分开、按行序放入）是推断出来的数字，"
        "请对照原文核实；有两种以上读法的（F16 等）一律留空。"
    ),
    (
        "在工作簿中（`--write` 或 Excel 按钮）：`校验结果` 工作表列出全部问题（可点击跳到单元格），"
        "有问题的单元格标红（错误）或橙黄（提示）；再次校验时先删除旧的结果表并恢复模板原来的底色（填写格黄色、"
        "合计格灰色）。"
    ),
)


def findings_markdown() -> str:
    lines = [
        "# 校验结果代码 · Finding codes",
        "",
        "`xl-report check` 报告的每一条问题都有一个固定代码（F、A、X、T、D 与已公布的年报格式检查清单的编号一致，"
        "见 [format-notes.md](format-notes.md) §4；R 开头为台账规则）。",
        "级别：**错误**（error）必须改正，命令退出码为 1；**提示**（warning）请核实，不影响退出码。",
        "",
        "Every finding has a stable code (F/A/X/T/D follow a published check list of the format; R codes are the",
        "tally rules of this toolkit). Errors make `xl-report check` exit 1; warnings do not.",
        "Generated from `xl_report/rules/catalogue.py` by `python -m xl_report.cli.docs`; do not edit by hand.",
        "",
        "| 代码 Code | 级别 Severity | 规则 | Rule |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r.code} | {SEVERITY_LABELS[r.severity]} {r.severity} | {r.title} | {r.title_en} |" for r in RULES]
    lines += ["", "## 说明 · Notes", ""]
    lines += [f"- {note}" for note in NOTES]
    return "\n".join(lines) + "\n"
