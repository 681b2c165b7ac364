"""The slip service as the conversation layer sees it (dialogs.ports.SlipDesk).

bot/ does not import dialogs/, so the value types are passed in by the composition root
(`SlipDeskAdapter(service, db, issued=ports.IssuedSlip, status=ports.SlipStatus)`); the
dataclasses below have the same fields and serve when none are given. Errors cross the port
as builtins: LookupError for an unknown slip or one that is not the resident's, ValueError
(with a message for the resident) for a step the slip cannot take now.

A resident whose slip was merged into another (合并办理) follows the kept slip: its number
answers with its progress, their own slip's status says where it went and how that slip
stands, and when it is finished they are asked how satisfied they are; the verdict goes on
their own slip (the workflow lets a merged slip be rated and leaves it merged, and its 不满意
reopens the kept slip, knowledge/workflow.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import aliased

from bot.slips.actor import Actor
from bot.slips.effects import URGED_RECENTLY
from bot.slips.errors import Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from bot.slips.models import Slip
from bot.slips.service import SlipService
from bot.slips.views import SlipView
from bot.storage import Database
from bot.storage.messages import upsert_resident
from bot.storage.models import Resident

SUMMARY_CHARS = 20
SURVEY_STATES = ("resolved", "awaiting_survey")
# A merged duplicate's resident is asked about the kept slip while it is in one of these (its
# own resident may have answered already: rated; or it was archived since, and they are still
# reminded: remind_merged_survey), as long as they have not answered and are not 未评价.
KEPT_SURVEY_STATES = ("resolved", "awaiting_survey", "rated", "archived")
_CHAT = Actor.system("chat")
_Kept = aliased(Slip)
# The resident's merged duplicate not rated yet whose kept slip is finished, newest first.
_MERGED_AWAITING = (
    select(Slip.number, _Kept.number)
    .join(_Kept, _Kept.id == Slip.merged_into_id)
    .where(
        Slip.openid == bindparam("openid"),
        Slip.status == "merged",
        Slip.satisfaction.is_(None),
        _Kept.status.in_(KEPT_SURVEY_STATES),
    )
    .order_by(_Kept.resolved_at.desc(), _Kept.id.desc())
    .limit(1)
)

# The conversation asks these on most turns; most residents have no slip and a known phone is
# one column: one statement each, built once (SQLAlchemy caches its compiled form), outside a
# transaction (no BEGIN/COMMIT round trips).
_HAS_SLIP_IN = (
    select(Slip.id)
    .where(
        Slip.openid == bindparam("openid"),
        Slip.status.in_(bindparam("statuses", expanding=True)),
    )
    .limit(1)
)
_PHONE_OF = select(Resident.phone).where(Resident.openid == bindparam("openid"))


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedSlip:
    number: str
    departments: list[str]
    lead: str
    response_due_at: datetime | None
    due_at: datetime | None
    status_label: str
    low_confidence: bool = False
    advice: str | None = None
    urgency: str | None = None
    earlier: str | None = None
    earlier_resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlipStatus:
    number: str
    status: str
    updated_at: datetime | None = None
    due_at: datetime | None = None
    last_staff_reply: str | None = None
    summary: str | None = None
    lead: str | None = None
    is_open: bool | None = None
    urgency: str | None = None
    response_due_at: datetime | None = None
    signed_at: datetime | None = None
    has_phone: bool | None = None
    reopen_count: int = 0
    lead_phone: str | None = None
    final: bool = False
    place: str | None = None
    area: dict[str, Any] | None = None


class SlipDeskAdapter:
    def __init__(
        self, service: SlipService, db: Database, *, issued: type = IssuedSlip,
        status: type = SlipStatus, desk_name: str = "区民意交办中心",
    ) -> None:
        self._service = service
        self._db = db
        self._issued = issued
        self._status = status
        self._desk_name = desk_name

    async def issue(self, draft: Any) -> Any:
        view, earlier = await self._service.issue_noting_earlier(draft)
        names = [d.name for d in ([view.lead_department] if view.lead_department else [])]
        names += [d.name for d in view.co_departments]
        return self._issued(
            number=view.number,
            departments=names,
            lead=view.lead_department.name if view.lead_department else self._desk_name,
            response_due_at=view.response_due_at,
            due_at=view.due_at,
            status_label=resident_label(view, self._desk_name),
            low_confidence=view.low_confidence,
            advice=view.advice,
            urgency=view.urgency,
            earlier=str(earlier["number"]) if earlier else None,
            earlier_resolved_at=_moment((earlier or {}).get("resolved_at")),
        )

    async def slips_of(self, openid: str, limit: int = 5) -> list[Any]:
        return [await self._status_of(v) for v in await self._service.for_resident(openid, limit)]

    async def status(self, number: str, openid: str) -> Any | None:
        try:
            return await self._status_of(await self._service.get(number, Actor.resident(openid)))
        except NotFound:
            return None
        except Forbidden:
            return await self._kept_status(number, openid)

    async def _status_of(self, view: SlipView) -> Any:
        """The resident's own slip; a merged one with the progress of the slip it went into."""
        if view.status != "merged" or not view.merged_into:
            return self._to_status(view)
        kept = await self._kept(view.merged_into)
        if kept is None:
            return self._to_status(view)
        state = (f"已合并到交办单 {kept.number} 一并办理"
                 f"（该单目前{resident_label(kept, self._desk_name)}）")
        return self._to_status(kept, number=view.number, status=state,
                               summary_of=view.description)

    async def _kept_status(self, number: str, openid: str) -> Any | None:
        """The slip `number` for a resident whose own slip was merged into it (told so by the
        merged notice), or None: their own words as its summary, its progress."""
        kept = await self._kept(number)
        if kept is None:
            return None
        async with self._db.session() as session:
            own = (await session.execute(
                select(Slip.description)
                .where(Slip.openid == openid, Slip.merged_into_id == kept.id)
                .order_by(Slip.id.desc()).limit(1)
            )).scalar_one_or_none()
        return None if own is None else self._to_status(kept, summary_of=own)

    async def _kept(self, number: str) -> SlipView | None:
        try:
            return await self._service.get(number, _CHAT)
        except (NotFound, Forbidden):
            return None

    async def add_followup(
        self,
        openid: str,
        number: str,
        text: str | None,
        media: list[dict[str, str]],
        details: dict[str, str] | None = None,
    ) -> None:
        data: dict[str, Any] = {"media": list(media)} if media else {}
        data.update({k: v for k, v in (details or {}).items() if v})
        await self._act(number, "followup", openid, note=text, data=data)

    async def urge(self, openid: str, number: str, text: str | None) -> tuple[Any, bool]:
        """催办: counted on the slip, its lead department told; the status as it stands and
        whether it counted (not within the policy's gap after the last one: a 补充 then)."""
        try:
            view = await self._act(number, "urge", openid, note=text)
        except ValueError as exc:
            if str(exc) != URGED_RECENTLY:  # the workflow's guard: urged a short while ago
                raise
            await self.add_followup(openid, number, text, [])
            return self._to_status(await self._service.get(number, Actor.resident(openid))), False
        return self._to_status(view), True

    async def open_slip_of(self, openid: str) -> Any | None:
        return await self._newest_of(openid, self._service.workflow.open_states)

    async def awaiting_survey(self, openid: str) -> Any | None:
        own = await self._newest_of(openid, SURVEY_STATES)
        if own is not None:
            return own
        # a duplicate merged into a slip now finished: the survey is about that slip
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(_MERGED_AWAITING, {"openid": openid})).first()
        return None if row is None else await self._kept_status(row[1], openid)

    async def _newest_of(self, openid: str, statuses: tuple[str, ...]) -> Any | None:
        if await self._read_one(_HAS_SLIP_IN, openid=openid, statuses=list(statuses)) is None:
            return None
        view = await self._service.newest_of(openid, statuses)
        return None if view is None else self._to_status(view)

    async def _read_one(self, statement: Any, **params: Any) -> Any:
        """The first column of the first row, read outside a transaction."""
        async with self._db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return (await conn.execute(statement, params)).scalar()

    async def record_survey(
        self, openid: str, number: str, verdict: str, solved: bool | None, reason: str | None
    ) -> Any:
        data: dict[str, Any] = {"verdict": verdict}
        if solved is not None:
            data["solved"] = solved
        # A verdict on a slip the resident's own was merged into goes on their own slip.
        own = await self._merged_into(number, openid)
        # The chat's reply tells the resident what became of the slip (reopened: by whom, until
        # when), so the workflow's resident notice is not pushed on top of it. A merged
        # resident's 不满意 reopens the kept slip in the same step (the workflow's follow-on).
        view = await self._act(own or number, "survey", openid, note=reason, data=data,
                               quiet_resident=True)
        if own is not None:
            kept = await self._kept(number)
            return self._to_status(kept or view, summary_of=view.description)
        return self._to_status(view)

    async def _merged_into(self, number: str, openid: str) -> str | None:
        """The number of the resident's slip merged into slip `number` (None: `number` is
        their own, or nothing of theirs went into it)."""
        ref = number.strip().upper()
        async with self._db.session() as session:
            kept = aliased(Slip)
            return (await session.execute(
                select(Slip.number).join(kept, kept.id == Slip.merged_into_id)
                .where(kept.number == ref, kept.openid.is_distinct_from(openid),
                       Slip.openid == openid, Slip.status == "merged")
                .order_by(Slip.id.desc()).limit(1)
            )).scalar_one_or_none()

    async def withdraw(self, openid: str, number: str, reason: str | None) -> Any:
        # The chat's reply says it is withdrawn: the resident's notice is not pushed on top.
        view = await self._act(number, "withdraw", openid, note=reason, quiet_resident=True)
        return self._to_status(view)

    async def known_phone(self, openid: str) -> str | None:
        return await self._read_one(_PHONE_OF, openid=openid)

    async def remember_phone(self, openid: str, phone: str) -> None:
        async with self._db.session() as session:
            await upsert_resident(session, openid, touch=False)
            await session.execute(
                update(Resident).where(Resident.openid == openid).values(phone=phone.strip())
            )

    async def _act(self, number: str, action: str, openid: str, **kwargs: Any) -> SlipView:
        try:
            return await self._service.act(number, action, Actor.resident(openid), **kwargs)
        except (NotFound, Forbidden):
            raise LookupError(f"没有找到您的交办单 {number}") from None
        except TransitionNotAllowed as exc:
            raise ValueError(exc.reason or "这张交办单现在不能这样操作") from None
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    def _to_status(
        self, view: SlipView, *, number: str | None = None, status: str | None = None,
        summary_of: str | None = None,
    ) -> Any:
        """`view` for the chat; number/status/summary_of replace its own (a merged resident
        reads the kept slip's progress under their own words, never the other resident's)."""
        text = (view.description if summary_of is None else summary_of) or ""
        return self._status(
            number=number or view.number,
            status=status or resident_label(view, self._desk_name),
            updated_at=view.updated_at,
            due_at=view.due_at,
            last_staff_reply=view.last_staff_reply,
            summary=text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…",
            lead=view.lead_department.name if view.lead_department else self._desk_name,
            is_open=view.is_open,
            urgency=view.urgency,
            response_due_at=view.response_due_at,
            signed_at=view.signed_at,
            has_phone=bool(view.phone),
            reopen_count=view.reopen_count,
            lead_phone=getattr(view.lead_department, "phone", None) or None,
            # a merged resident still rates an archived kept slip (through their own slip)
            final=view.status == "archived" and summary_of is None,
            place=view.location_text,
            area=view.area,
        )


def resident_label(view: SlipView, desk_name: str) -> str:
    """The state a resident reads in the chat: the workflow's coarse label, except for a slip
    handed to a department that has not signed it yet, which is not being worked on: "已交给区城
    市管理局，等待签收" (the console shows 已派单)."""
    if view.status == "dispatched":
        lead = view.lead_department.name if view.lead_department else desk_name
        return f"已交给{lead}，等待签收"
    return view.resident_status


def _moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
