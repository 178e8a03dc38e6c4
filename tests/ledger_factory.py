"""Offices' own ledgers (台账) in realistic layouts, built by code, each with the rows a careful clerk
would type into our template for it (``native``: sheet key → rows for :func:`tally_factory.tally_from_rows`).

    layout = register_xlsx(tmp_path)   # layout.path, layout.native
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl

from .tally_factory import case, decision, document, fee, put, request

D = date


@dataclass
class Layout:
    path: Path
    native: dict[str, list[dict]]  # what a careful clerk types into our template, sheet key → rows


def _save(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    put(ws.cell(r, c), v)
    wb.save(path)
    return path


# 1. The classic 10-column 登记台账: title row, free-text results, dates in every spelling, a 合计 row.
REGISTER_HEADER = [
    "序号",
    "申请日期",
    "申请人",
    "申请人类型",
    "申请方式",
    "申请内容",
    "受理日期",
    "答复日期",
    "答复结果",
    "备注",
]
REGISTER_ROWS = [  # (ledger row, the clerk's row)
    (
        [1, "2024.1.3", "张三", "个人", "当面", "某路段规划", "2024.1.4", "2024年1月20日", "予以公开", None],
        request("第3行", D(2024, 1, 4), "自然人", D(2024, 1, 20), "予以公开"),
    ),
    (
        [2, "2024年2月5日", "李四", "公民", "网上", "某项目批复", "2024年2月5日", "20240228", "信息不存在", None],
        request("第4行", D(2024, 2, 5), "自然人", D(2024, 2, 28), "无法提供-本机关不掌握相关政府信息"),
    ),
    (
        [
            3,
            D(2024, 3, 1),
            "某某有限公司",
            "企业",
            "邮寄",
            "招标文件",
            D(2024, 3, 4),
            D(2024, 3, 20),
            "属于信访事项，告知通过信访渠道",
            "转信访办",
        ],
        request("第5行", D(2024, 3, 4), "商业企业", D(2024, 3, 20), "不予处理-信访举报投诉类申请"),
    ),
    (
        [
            4,
            "2024-04-08",
            "王五",
            "群众",
            "网上",
            "拆迁补偿名单",
            "2024-04-08",
            "2024-04-30",
            "部分公开（涉及个人隐私）",
            None,
        ],
        request("第6行", D(2024, 4, 8), "自然人", D(2024, 4, 30), "部分公开"),
    ),
    (
        [
            5,
            "2024/5/6",
            "某律师事务所",
            "律师事务所",
            "邮寄",
            "行政处罚决定书",
            "2024/5/7",
            "2024/5/27",
            "不予公开（属于国家秘密）",
            None,
        ],
        request("第7行", D(2024, 5, 7), "法律服务机构", D(2024, 5, 27), "不予公开-属于国家秘密"),
    ),
    (
        [
            6,
            "20240610",
            "某大学",
            "大学",
            "网上",
            "历年统计数据",
            "20240611",
            "20240702",
            "需另行制作统计表，无法提供",
            None,
        ],
        request("第8行", D(2024, 6, 11), "科研机构", D(2024, 7, 2), "无法提供-没有现成信息需要另行制作"),
    ),
    (
        [7, "2024.7.1", "赵六", "个人", "当面", "同一事项", "2024.7.1", "2024.7.3", "重复申请，不予处理", None],
        request("第9行", D(2024, 7, 1), "自然人", D(2024, 7, 3), "不予处理-重复申请"),
    ),
    (
        [8, "2024.8.12", "某环保协会", "协会", "邮寄", "排污许可", "2024.8.13", "2024.9.20", "申请人逾期未补正", None],
        request(
            "第10行",
            D(2024, 8, 13),
            "社会公益组织",
            D(2024, 9, 20),
            "其他处理-申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ),
    ),
    (
        [9, "2024.12.20", "孙七", "个人", "网上", "年度预算", "2024.12.23", None, None, "尚未办结"],
        request("第11行", D(2024, 12, 23), "自然人"),
    ),
    (["合计", None, None, None, None, None, None, None, "9件", None], None),
]


def register_xlsx(tmp: Path, name: str = "登记台账.xlsx") -> Layout:
    rows = [["某某县某某局2024年政府信息公开申请登记台账"], REGISTER_HEADER] + [r for r, _ in REGISTER_ROWS]
    path = _save(tmp / name, {"依申请公开台帐": rows})
    return Layout(path, {"requests": [n for _, n in REGISTER_ROWS if n]})


# 2. A one-sheet 执法决定 register (sheet named Sheet1) with the 类型 in words.
DECISION_HEADER = ["序号", "案件名称", "当事人", "决定书文号", "执法类型", "作出决定日期", "备注"]
DECISION_ROWS = [
    (
        [1, "无证经营案", "甲", "某罚〔2024〕1号", "行政处罚（罚款）", "2024.3.1", None],
        decision("行政处罚", D(2024, 3, 1), number="某罚〔2024〕1号"),
    ),
    (
        [2, "准予设立", "乙", "某许〔2024〕1号", "准予行政许可", "2024年4月2日", None],
        decision("行政许可", D(2024, 4, 2), number="某许〔2024〕1号"),
    ),
    (
        [3, "查封仓库", "丙", "某强〔2024〕1号", "查封、扣押", D(2024, 5, 3), None],
        decision("行政强制", D(2024, 5, 3), number="某强〔2024〕1号"),
    ),
    (
        [4, "超范围经营", "丁", "某罚〔2024〕2号", "警告", "20240604", None],
        decision("行政处罚", D(2024, 6, 4), number="某罚〔2024〕2号"),
    ),
    (
        [5, "去年的案件", "戊", "某罚〔2023〕9号", "处罚", "2023.12.30", "上年度"],
        decision("行政处罚", D(2023, 12, 30), number="某罚〔2023〕9号"),
    ),
]


def decisions_register(tmp: Path, name: str = "执法决定登记.xlsx") -> Layout:
    rows = [["2024年行政执法决定登记表"], DECISION_HEADER] + [r for r, _ in DECISION_ROWS]
    path = _save(tmp / name, {"Sheet1": rows})
    return Layout(path, {"decisions": [n for _, n in DECISION_ROWS]})


# 3. A fees list in 元, amounts as text '1,200.00元', a 合计 row.
FEE_HEADER = ["序号", "收费项目", "缴费单位", "金额", "缴费日期"]
FEE_ROWS = [
    ([1, "不动产登记费", "甲", "1,200.00元", "2024.3.5"], fee("不动产登记费", D(2024, 3, 5), 1200)),
    ([2, "不动产登记费", "乙", "80元", "2024年4月1日"], fee("不动产登记费", D(2024, 4, 1), 80)),
    ([3, "工本费", "丙", 10, D(2024, 6, 30)], fee("工本费", D(2024, 6, 30), 10)),
    ([4, "复印费", "丁", "￥25.50", "20241231"], fee("复印费", D(2024, 12, 31), 25.5)),
    (["合计", None, None, "1,315.50元", None], None),
]


def fees_list(tmp: Path, name: str = "收费明细.xlsx") -> Layout:
    path = _save(tmp / name, {"收费明细": [FEE_HEADER] + [r for r, _ in FEE_ROWS]})
    return Layout(path, {"fees": [n for _, n in FEE_ROWS if n]})


# 4. A requests export as CSV in GBK, other headers again.
CSV_HEADER = ["编号", "收到申请日期", "申请人姓名", "申请人类别", "所需信息内容描述", "答复时间", "处理结果"]
CSV_ROWS = [
    (
        ["YS-001", "2024/1/8", "周八", "公民", "道路规划", "2024/1/25", "同意公开"],
        request("YS-001", D(2024, 1, 8), "自然人", D(2024, 1, 25), "予以公开"),
    ),
    (
        ["YS-002", "2024/2/9", "某研究院", "研究院", "水质数据", "2024/3/1", "部分予以公开"],
        request("YS-002", D(2024, 2, 9), "科研机构", D(2024, 3, 1), "部分公开"),
    ),
    (
        ["YS-003", "2024/3/11", "某公司", "公司", "采购合同", "2024/4/1", "涉及商业秘密，不予公开"],
        request("YS-003", D(2024, 3, 11), "商业企业", D(2024, 4, 1), "不予公开-保护第三方合法权益"),
    ),
    (
        ["YS-004", "2023/12/28", "吴九", "个人", "会议纪要", "2024/1/10", "属于过程性信息，不予公开"],
        request("YS-004", D(2023, 12, 28), "自然人", D(2024, 1, 10), "不予公开-属于四类过程性信息"),
    ),
    (
        ["YS-005", "2024/5/6", "郑十", "个人", "统计年鉴", "2024/5/8", "要求提供公开出版物，不予处理"],
        request("YS-005", D(2024, 5, 6), "自然人", D(2024, 5, 8), "不予处理-要求提供公开出版物"),
    ),
    (
        ["YS-006", "2024/6/6", "某村委会", "村委会", "土地台账", "2024/6/7", "申请人撤回申请"],
        request("YS-006", D(2024, 6, 6), "其他", D(2024, 6, 7), "其他处理-其他"),
    ),
]


def requests_csv(tmp: Path, name: str = "申请登记.csv", encoding: str = "gbk") -> Layout:
    path = tmp / name
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_HEADER)
        w.writerows(r for r, _ in CSV_ROWS)
    return Layout(path, {"requests": [n for _, n in CSV_ROWS]})


# 5. (.xls) A documents register; 6. (.ods) a cases register — written as .xlsx, converted by LibreOffice.
DOC_HEADER = ["序号", "文件标题", "发文字号", "文件类型", "发布日期", "失效日期"]
DOC_ROWS = [
    (
        [1, "某某管理办法", "某政规〔2024〕1号", "规范性文件", "2024.2.1", None],
        document("某某管理办法", "行政规范性文件", D(2024, 2, 1), number="某政规〔2024〕1号"),
    ),
    (
        [2, "某某实施细则", "某政规〔2020〕3号", "行政规范性文件", "2020年5月1日", "2024年6月30日"],
        document("某某实施细则", "行政规范性文件", D(2020, 5, 1), D(2024, 6, 30), number="某政规〔2020〕3号"),
    ),
    (
        [3, "某某规定", "某政令第1号", "政府规章", D(2019, 9, 1), None],
        document("某某规定", "规章", D(2019, 9, 1), number="某政令第1号"),
    ),
]
CASE_HEADER = ["案号", "案件类型", "收案日期", "审理结果", "审结日期"]
CASE_ROWS = [
    (
        ["复2024-1", "行政复议", "2024.3.1", "维持原行政行为", "2024.5.1"],
        case("复2024-1", "行政复议", D(2024, 3, 1), "结果维持", D(2024, 5, 1)),
    ),
    (
        ["诉2024-1", "未经复议直接起诉", "2024.4.1", "判决撤销", "2024.8.1"],
        case("诉2024-1", "行政诉讼-未经复议直接起诉", D(2024, 4, 1), "结果纠正", D(2024, 8, 1)),
    ),
    (["诉2024-2", "复议后起诉", "2024.9.1", None, None], case("诉2024-2", "行政诉讼-复议后起诉", D(2024, 9, 1))),
]


def documents_xlsx(tmp: Path, name: str = "规范性文件目录.xlsx") -> Layout:
    path = _save(tmp / name, {"规范性文件目录": [DOC_HEADER] + [r for r, _ in DOC_ROWS]})
    return Layout(path, {"documents": [n for _, n in DOC_ROWS]})


def cases_xlsx(tmp: Path, name: str = "复议诉讼.xlsx") -> Layout:
    path = _save(tmp / name, {"复议诉讼案件台账": [CASE_HEADER] + [r for r, _ in CASE_ROWS]})
    return Layout(path, {"cases": [n for _, n in CASE_ROWS]})
