"""The measures of the statistics (三率 and the rest): one row of counts per group, the rates
computed from them, and the written definitions shown in the console and docs/statistics.md.

Every measure is about the slips *accepted* in the chosen period (受理时间 in the city's time
zone): a slip accepted in March stays in March's figures while it is worked in April. Rates
are None (shown as "—") when their denominator is zero, never 0 % or 100 %.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Measure:
    code: str
    label: str  # the column heading
    unit: str  # "件" | "%" | "小时"
    definition: str  # plain Chinese: what is counted, over what


MEASURES: tuple[Measure, ...] = (
    Measure("received", "受理量", "件", "统计期内受理的交办单数（按受理时间归期，含已撤销、已合并的）。"),
    Measure(
        "response_rate",
        "响应率",
        "%",
        "按时签收的交办单 ÷ 应签收的交办单。按时签收：承办单位在签收时限内签收（签收时间不晚于签收时限）。"
        "应签收：已经签收的，加上签收时限已过仍未签收的（已撤销、已合并且未签收的不计）。"
        "改派或重办后以新承办单位、新时限为准。",
    ),
    Measure(
        "solve_rate",
        "解决率",
        "%",
        "居民回访中认为问题已解决的次数 ÷ 已作答的回访次数。居民明确说“已解决/未解决”的按其所说；"
        "没有明确说的，评价“满意”“基本满意”视为已解决，“不满意”视为未解决。未评价的不计入。",
    ),
    Measure(
        "satisfaction_rate",
        "满意率",
        "%",
        "（满意 + 基本满意）÷ 已作答的回访次数（满意 + 基本满意 + 不满意）。每次回访都计入："
        "不满意后重办、再次回访的，两次评价都算。合并办理的，每位居民的评价各算一次："
        "按单位统计时计入保留的交办单的主办单位（实际办理的单位），"
        "按街镇、类别和时间统计时随该居民自己的交办单。"
        "未评价（居民没有回复、超期未评）不计入分母，也绝不算作满意。",
    ),
    Measure(
        "on_time_rate",
        "按时办结率",
        "%",
        "按时办结的交办单 ÷ 应办结的交办单。按时办结：办结时间不晚于办结时限（含经批准的延期）。"
        "应办结：已经办结的，加上办结时限已过仍在办理的（已撤销、已合并的不计）。重办后以新时限为准。",
    ),
    Measure("resolved", "办结量", "件", "统计期内受理、目前已办结的交办单数（重办中的不算）。"),
    Measure(
        "overdue_now",
        "当前超期",
        "件",
        "统计期内受理、此刻仍在办理且已亮红灯的交办单：办结时限已过，或尚未签收而签收时限已过。",
    ),
    Measure(
        "reopen_rate",
        "重办率",
        "%",
        "重办过（至少一次）的交办单 ÷ 办结过的交办单（目前已办结的，加上重办过的）。",
    ),
    Measure(
        "median_hours",
        "办理时长中位数",
        "小时",
        "已办结交办单从受理到办结所用时间的中位数（自然时间，小时）。一半的交办单比它快，一半比它慢。",
    ),
    Measure(
        "unanswered",
        "未评价",
        "件",
        "已办结但居民没有评价的交办单数：正在等待评价的，加上超期未评价的。未评价不计入满意率和解决率。"
        "合并办理的，每位居民超期未评价的各算一件，与其评价一样计入保留的交办单的主办单位；"
        "工作人员录入、没有居民的交办单不算未评价。",
    ),
    Measure("answered", "已评价（次）", "次", "统计期内受理的交办单收到的居民评价次数（满意、基本满意、不满意）。"),
)

MEASURE_BY_CODE = {m.code: m for m in MEASURES}

PERIOD_RULE = (
    "所有指标都按“受理时间”归入统计期（以本市时区的自然日计）：例如三月受理、四月办结的交办单计入三月。"
    "“当前超期”以查看时刻为准。比率的分母为零时显示“—”。"
)


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@dataclass(frozen=True)
class StatsRow:
    """The counts of one group (a department, a street, a category, a period, or everything)."""

    key: str | None  # department code / street / category / period start (YYYY-MM-DD); None: 未填
    label: str
    received: int = 0
    response_due: int = 0  # 应签收
    responded_on_time: int = 0  # 按时签收
    completion_due: int = 0  # 应办结
    closed_on_time: int = 0  # 按时办结
    resolved: int = 0
    overdue_now: int = 0
    reopened: int = 0
    reopen_base: int = 0
    unanswered: int = 0
    answered: int = 0  # survey answers (events), not slips
    satisfied: int = 0  # 满意 + 基本满意
    very_satisfied: int = 0  # 满意
    solved: int = 0
    median_hours: float | None = None
    # a period only partly inside the range (its first or last, or the one still going on):
    # the days it covers, "YYYY-MM-DD/YYYY-MM-DD"; its counts are not a whole week's or month's
    covers: str | None = None

    @property
    def response_rate(self) -> float | None:
        return _rate(self.responded_on_time, self.response_due)

    @property
    def solve_rate(self) -> float | None:
        return _rate(self.solved, self.answered)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.answered)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.closed_on_time, self.completion_due)

    @property
    def reopen_rate(self) -> float | None:
        return _rate(self.reopened, self.reopen_base)

    def value(self, code: str) -> Any:
        return getattr(self, code)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for code in ("response_rate", "solve_rate", "satisfaction_rate", "on_time_rate",
                     "reopen_rate"):
            out[code] = getattr(self, code)
        return out


def percent(value: float | None, digits: int = 1) -> str:
    """95.3% / —: how rates are written everywhere."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 48:
        return f"{value:.1f} 小时"
    return f"{value / 24:.1f} 天"
