"""A hand-built set of slips with known statistics (rows inserted directly, fixed timestamps).

"Now" is 2026-03-20 12:00 in Shanghai. Departments A = D-CGJ, B = D-ZJW. Times are local.
The expected figures are worked out by hand in EXPECTED_* below (see the comments per slip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.slips.models import Slip, SlipCluster, SlipEvent
from bot.storage import Database

SH = ZoneInfo("Asia/Shanghai")
A, B = "D-CGJ", "D-ZJW"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=SH).astimezone(UTC)

# What must never appear on a public page or in Open311.
SECRETS = (
    "13912345678",
    "139-1234-5678",
    "oAbCdEfGhIjKlMnOpQrStUvWx01",
    "王建国",
    "18号",
    "3栋",
    "2单元",
    "502室",
    "110101199003071234",
)


def t(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@dataclass
class S:
    """One slip; `surveys` = [(verdict, solved)] as survey events, in order."""

    number: str
    dept: str | None
    street: str | None
    category: str
    accepted: datetime
    status: str
    response_due: datetime
    due: datetime
    signed: datetime | None = None
    resolved: datetime | None = None
    alert_red: datetime | None = None
    satisfaction: str | None = None
    solved: bool | None = None
    reopen_count: int = 0
    surveys: list[tuple[str, bool | None]] = field(default_factory=list)
    result: str | None = None
    cluster: int | None = None
    request_type: str = "投诉"


def _open_red(accepted: datetime, response_due: datetime, due: datetime, signed: bool) -> datetime:
    return min(response_due, due) if not signed else due


SLIPS: list[S] = [
    # A, GYQ: signed on time, closed on time (72 h), 满意 (solved not said → solved)
    S("JB2026030200001", A, "GYQ", "城乡建设", t(3, 2), "rated", t(3, 3), t(3, 11),
      signed=t(3, 2, 15), resolved=t(3, 5), satisfaction="满意", surveys=[("满意", None)],
      result="已联系王建国先生，电话13912345678，3栋2单元502室的路灯已修复。"),
    # A, street stored by NAME: signed late, closed late (240 h), 基本满意 but said not solved
    S("JB2026030300001", A, "观音桥街道", "城乡建设", t(3, 3), "rated", t(3, 4), t(3, 12),
      signed=t(3, 5, 10), resolved=t(3, 13), satisfaction="基本满意", solved=False,
      surveys=[("基本满意", False)], result="建新北路18号门前井盖已更换，联系电话139-1234-5678。"),
    # A, HXJ: on time; once 不满意 (said solved!) → reopened; closed again (48 h), awaiting survey
    S("JB2026030400001", A, "HXJ", "环境保护", t(3, 4), "awaiting_survey", t(3, 5), t(3, 13),
      signed=t(3, 4, 10), resolved=t(3, 6), reopen_count=1, surveys=[("不满意", True)],
      result="已督促商户整改油烟，居民oAbCdEfGhIjKlMnOpQrStUvWx01已知悉。"),
    # A, HXJ: never signed; response and completion both overdue now
    S("JB2026030500001", A, "HXJ", "环境保护", t(3, 5), "dispatched", t(3, 6), t(3, 16),
      alert_red=t(3, 6)),
    # B, GYQ: signed on time, in progress, nothing due yet
    S("JB2026031800001", B, "GYQ", "城乡建设", t(3, 18), "in_progress", t(3, 19), t(3, 27),
      signed=t(3, 18, 10), alert_red=t(3, 27)),
    # B, GYQ: response limit passed at 09:00 today, unsigned → late and overdue now
    S("JB2026031900001", B, "GYQ", "城乡建设", t(3, 19), "dispatched", t(3, 20), t(3, 30),
      alert_red=t(3, 20)),
    # B, no street: withdrawn before signing → no deadline owed
    S("JB2026031000001", B, None, "城乡建设", t(3, 10), "withdrawn", t(3, 11), t(3, 19)),
    # B, HXJ: on time (96 h); survey expired 未评价
    S("JB2026030600001", B, "HXJ", "环境保护", t(3, 6), "archived", t(3, 7), t(3, 17),
      signed=t(3, 6, 9, 30), resolved=t(3, 10), satisfaction="未评价"),
    # A, GYQ: on time (24 h); 不满意 (solved not said → not solved), reopen limit reached
    S("JB2026030700001", A, "GYQ", "城乡建设", t(3, 7), "rated", t(3, 8), t(3, 16),
      signed=t(3, 7, 12), resolved=t(3, 8), satisfaction="不满意", surveys=[("不满意", None)]),
    # B, HXJ: on time (48 h); 满意 but said not solved
    S("JB2026030800001", B, "HXJ", "环境保护", t(3, 8), "rated", t(3, 9), t(3, 17),
      signed=t(3, 8, 10), resolved=t(3, 10), satisfaction="满意", solved=False,
      surveys=[("满意", False)]),
    # February (local 23:30 on the 28th): outside March
    S("JB2026022800001", A, "GYQ", "城乡建设", t(2, 28, 23, 30), "rated", t(3, 1, 23, 30),
      t(3, 9), signed=t(3, 1, 8), resolved=t(3, 2), satisfaction="满意", surveys=[("满意", None)]),
    # March 1st 00:10 local = Feb 28th in UTC: in March. In the dispatcher's queue, overdue.
    S("JB2026030100001", None, "GYQ", "城乡建设", t(3, 1, 0, 10), "accepted", t(3, 2, 0, 10),
      t(3, 10), alert_red=t(3, 2, 0, 10)),
]

# Clusters for the hot-issue tests: three street-light slips and two noise slips.
CLUSTERS = {1: "建新北路路灯不亮", 2: "华新街夜间施工噪声"}
SLIPS[0].cluster = SLIPS[1].cluster = SLIPS[8].cluster = 1
SLIPS[2].cluster = SLIPS[3].cluster = 2


def march() -> dict[str, Any]:
    from datetime import date

    return {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


# (received, response_due, on time, completion_due, closed on time, resolved, overdue now,
#  reopened, reopen base, unanswered, answered, satisfied, very satisfied, solved, median h)
EXPECTED_MARCH_TOTAL = (11, 10, 6, 8, 5, 6, 3, 1, 6, 2, 5, 3, 2, 2, 60.0)
EXPECTED_MARCH_BY_DEPARTMENT = {
    A: (5, 5, 3, 5, 3, 4, 1, 1, 4, 1, 4, 2, 1, 2, 60.0),
    B: (5, 4, 3, 2, 2, 2, 1, 0, 2, 1, 1, 1, 1, 0, 72.0),
    None: (1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, None),
}


def row_tuple(row) -> tuple:
    return (row.received, row.response_due, row.responded_on_time, row.completion_due,
            row.closed_on_time, row.resolved, row.overdue_now, row.reopened, row.reopen_base,
            row.unanswered, row.answered, row.satisfied, row.very_satisfied, row.solved,
            None if row.median_hours is None else round(row.median_hours, 6))


async def insert(db: Database, slips: list[S] | None = None) -> dict[str, int]:
    """Insert the slips (and their survey events and clusters); their ids by number."""
    ids: dict[str, int] = {}
    async with db.session() as session:
        for cid, label in CLUSTERS.items():
            session.add(SlipCluster(id=cid, label=label, created_at=t(3, 1)))
        await session.flush()
        for s in slips or SLIPS:
            signed = s.signed is not None
            open_ = s.status in ("accepted", "dispatched", "signed", "in_progress")
            slip = Slip(
                number=s.number,
                openid="oAbCdEfGhIjKlMnOpQrStUvWx01",
                description="王建国反映：3栋2单元502室楼下路灯不亮，电话13912345678",
                location_text="建新北路18号3栋2单元502室",
                area={"street": s.street},
                street=s.street,
                community="嘉陵一村社区" if s.street == "GYQ" else None,
                lat=29.574512, lon=106.525587,
                phone="13912345678",
                category=[s.category, "城市建设和市政管理"],
                category_top=s.category,
                request_type=s.request_type,
                urgency="一般",
                complexity="一般",
                lead_department=s.dept,
                lead_department_name={A: "区城市管理局", B: "区住房城乡建委"}.get(s.dept or ""),
                status=s.status,
                accepted_at=s.accepted,
                dispatched_at=s.accepted if s.dept else None,
                signed_at=s.signed,
                resolved_at=s.resolved,
                closed_at=None,
                completion_start_at=s.accepted,
                response_start_at=s.accepted,
                response_due_at=s.response_due,
                due_at=s.due,
                alert_red_at=(s.alert_red or _open_red(s.accepted, s.response_due, s.due, signed))
                if open_ else None,
                result=s.result,
                last_staff_reply=s.result,
                satisfaction=s.satisfaction,
                solved=s.solved,
                reopen_count=s.reopen_count,
                cluster_id=s.cluster,
                created_at=s.accepted,
                updated_at=s.resolved or s.signed or s.accepted,
            )
            session.add(slip)
            await session.flush()
            ids[s.number] = slip.id
            for seq, (verdict, solved) in enumerate(s.surveys, start=1):
                session.add(SlipEvent(
                    slip_id=slip.id, seq=seq, action="survey", actor_kind="resident",
                    actor_id="oAbCdEfGhIjKlMnOpQrStUvWx01", actor_name="居民",
                    at=(s.resolved or s.accepted), from_status="awaiting_survey",
                    to_status="rated", note=None, data={"verdict": verdict, "solved": solved},
                    prev_hash="0" * 64, hash=f"{slip.id:064d}"[:64],
                ))
    return ids


# 特急 and 紧急 for the emergency counts (every slip above is 一般 as inserted: 特急 ones are
# never published, and the public pages' tests count on all of them). Worked out by hand, for
# March: 特急 open 3 (0305, 0301, 0318), 2 of them unsigned past the response limit (0305,
# 0301); received 3, 2 late. 紧急 open 1 (0319, late); received 3 (0303 signed late, 0319,
# 0310 withdrawn: owed nothing), 2 late. The February 特急 slip is closed and outside March.
URGENT = {
    "JB2026030500001": "特急",
    "JB2026030100001": "特急",
    "JB2026031800001": "特急",
    "JB2026022800001": "特急",
    "JB2026030300001": "紧急",
    "JB2026031900001": "紧急",
    "JB2026031000001": "紧急",
}


async def mark_urgent(db: Database) -> None:
    async with db.session() as session:
        for number, urgency in URGENT.items():
            await session.execute(update(Slip).where(Slip.number == number)
                                  .values(urgency=urgency))


async def said(db: Database, number: str, words: str) -> None:
    """The slip's survey answer says `words` besides its verdict."""
    async with db.session() as session:
        slip_id = (await session.execute(select(Slip.id).where(Slip.number == number))).scalar_one()
        await session.execute(update(SlipEvent).where(
            SlipEvent.slip_id == slip_id, SlipEvent.action == "survey").values(note=words))
