"""Statistics tables as CSV and XLSX files.

CSV: UTF-8 with a byte-order mark (so Excel on Windows reads the Chinese), one table.
XLSX: a minimal Office Open XML workbook written with zipfile — one sheet per table, inline
strings, rates as real numbers with a percent format, a bold header row, frozen. No library:
the format needs five small XML parts, and a dependency would be heavier than this module.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from bot.stats.measures import StatsRow

# (heading, attribute, kind): kind = text | int | rate | hours
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("受理量", "received", "int"),
    ("应签收", "response_due", "int"),
    ("按时签收", "responded_on_time", "int"),
    ("响应率", "response_rate", "rate"),
    ("应办结", "completion_due", "int"),
    ("按时办结", "closed_on_time", "int"),
    ("按时办结率", "on_time_rate", "rate"),
    ("办结量", "resolved", "int"),
    ("当前超期", "overdue_now", "int"),
    ("已评价（次）", "answered", "int"),
    ("满意+基本满意", "satisfied", "int"),
    ("满意率", "satisfaction_rate", "rate"),
    ("认为已解决", "solved", "int"),
    ("解决率", "solve_rate", "rate"),
    ("未评价", "unanswered", "int"),
    ("重办", "reopened", "int"),
    ("重办率", "reopen_rate", "rate"),
    ("办理时长中位数（小时）", "median_hours", "hours"),
)


@dataclass(frozen=True)
class Sheet:
    name: str  # at most 31 characters, no []:*?/\
    key_heading: str  # e.g. 单位 / 街镇 / 类别 / 统计期
    rows: Sequence[StatsRow]
    total: StatsRow | None = None


def _cells(row: StatsRow) -> list[float | int | None]:
    out: list[float | int | None] = []
    for _, attr, kind in COLUMNS:
        value = getattr(row, attr)
        if value is not None and kind == "hours":
            value = round(value, 1)
        out.append(value)
    return out


def to_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([sheet.key_heading, *(h for h, _, _ in COLUMNS)])
    rows = [*sheet.rows, *([sheet.total] if sheet.total else [])]
    for row in rows:
        cells = []
        for value, (_, _, kind) in zip(_cells(row), COLUMNS, strict=True):
            if value is None:
                cells.append("")
            elif kind == "rate":
                cells.append(f"{value * 100:.1f}%")
            else:
                cells.append(str(value))
        writer.writerow([_csv_safe(row.label), *cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_safe(text: str) -> str:
    """Labels come from data: a leading = + - @ would be a formula in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- XLSX --------------------------------------------------------------------------------------
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
               'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# cellXfs: 0 default, 1 bold (header), 2 percent 0.0%, 3 number 0.0
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<styleSheet xmlns="{_NS_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/>'
    '<numFmt numFmtId="165" formatCode="0.0"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# XML 1.0 forbids most control characters; data may contain them.
_XML_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    clean = escape(_XML_CONTROL.sub("", text))
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{clean}</t></is></c>'


def _number_cell(ref: str, value: float | int, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s}><v>{value!r}</v></c>'


def _sheet_xml(sheet: Sheet) -> str:
    rows_xml = []
    header = [sheet.key_heading, *(h for h, _, _ in COLUMNS)]
    rows_xml.append('<row r="1">' + "".join(
        _text_cell(f"{_col(i)}1", h, 1) for i, h in enumerate(header)) + "</row>")
    data = [*sheet.rows, *([sheet.total] if sheet.total else [])]
    for r, row in enumerate(data, start=2):
        cells = [_text_cell(f"A{r}", row.label, 1 if row is sheet.total else 0)]
        for i, (value, (_, _, kind)) in enumerate(zip(_cells(row), COLUMNS, strict=True),
                                                   start=1):
            if value is None:
                continue
            style = 2 if kind == "rate" else 3 if kind == "hours" else 0
            cells.append(_number_cell(f"{_col(i)}{r}", value, style))
        rows_xml.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    widths = ('<cols><col min="1" max="1" width="22" customWidth="1"/>'
              f'<col min="2" max="{len(header)}" width="12" customWidth="1"/></cols>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
        '<sheetViews><sheetView workbookViewId="0"><pane xSplit="1" ySplit="1" '
        'topLeftCell="B2" activePane="bottomRight" state="frozen"/></sheetView></sheetViews>'
        f"{widths}<sheetData>{''.join(rows_xml)}</sheetData></worksheet>"
    )


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    names: list[str] = []
    for sheet in sheets:
        name = _BAD_SHEET_CHARS.sub(" ", sheet.name)[:31] or "Sheet"
        while name in names:
            name = name[:28] + f"({len(names)})"
        names.append(name)
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>'
        + "".join(f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                  for i, n in enumerate(names, start=1))
        + "</sheets></workbook>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_NS_REL}/styles" '
          'Target="styles.xml"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(
            _SHEET_TYPE.format(n=i) for i in range(1, len(sheets) + 1))))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/styles.xml", _STYLES)
        for i, sheet in enumerate(sheets, start=1):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(sheet))
    return buffer.getvalue()
