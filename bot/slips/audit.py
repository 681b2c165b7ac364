"""The audit chain (责任倒查): each event's hash covers the event and the previous hash, so a
changed, removed or reordered event breaks the chain from that point on.

hash = SHA-256(prev_hash + canonical JSON of the event), hex. The first event's prev_hash is
64 zeros. The slip row keeps the head (event_count, chain_head) so a removed last event shows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.slips.actor import Actor
from bot.slips.models import Slip, SlipEvent

GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_body(number: str, e: SlipEvent) -> dict[str, Any]:
    """The hashed content of an event (everything but its own hash and row id)."""
    return {
        "slip": number,
        "seq": e.seq,
        "action": e.action,
        "actor": {
            "kind": e.actor_kind,
            "id": e.actor_id,
            "name": e.actor_name,
            "role": e.actor_role,
            "department": e.actor_department,
        },
        "at": _instant(e.at),
        "from": e.from_status,
        "to": e.to_status,
        "note": e.note,
        "data": e.data or {},
        "prev": e.prev_hash,
    }


def event_hash(number: str, e: SlipEvent) -> str:
    return hashlib.sha256((e.prev_hash + canonical(event_body(number, e))).encode()).hexdigest()


def record_event(
    slip: Slip,
    *,
    action: str,
    actor: Actor,
    at: datetime,
    from_status: str | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> SlipEvent:
    """The slip's next event, chained to its head; moves the head. The caller adds it to the
    session in the transaction that changes the slip (the slip's version check guards the
    chain against two writers)."""
    event = SlipEvent(
        slip_id=slip.id,
        seq=slip.event_count + 1,
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.id[:64],
        actor_name=actor.name[:100],
        actor_role=actor.role,
        actor_department=actor.department,
        at=at.astimezone(UTC),
        from_status=from_status,
        to_status=slip.status,
        note=note,
        data=data or {},
        prev_hash=slip.chain_head or GENESIS,
    )
    event.hash = event_hash(slip.number, event)
    slip.event_count, slip.chain_head = event.seq, event.hash
    return event


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Broken:
    number: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"{self.number} seq {self.seq}: {self.reason}"


def check_chain(slip: Slip, events: list[SlipEvent]) -> Broken | None:
    """The first broken link of one slip's chain, or None when it is intact."""
    prev = GENESIS
    for expected_seq, e in enumerate(events, start=1):
        if e.seq != expected_seq:
            return Broken(slip.number, expected_seq, f"event {expected_seq} is missing")
        if e.prev_hash != prev:
            return Broken(slip.number, e.seq, "prev_hash does not match the previous event")
        if event_hash(slip.number, e) != e.hash:
            return Broken(slip.number, e.seq, "the event was changed after it was recorded")
        prev = e.hash
    if len(events) != slip.event_count or prev != (slip.chain_head or GENESIS):
        seq = len(events) + 1 if len(events) < slip.event_count else slip.event_count
        return Broken(slip.number, seq, "the slip's chain head does not match its last event")
    return _fields_follow_events(slip, events)


def _fields_follow_events(slip: Slip, events: list[SlipEvent]) -> Broken | None:
    """The row's status and satisfaction are what its events say: an intact chain beside a row
    changed by hand (a 不满意 turned 满意 to lift the 满意率, a slip closed without an event) is
    tampering too."""
    if not events:
        return None
    last = events[-1]
    if slip.status != last.to_status:
        return Broken(slip.number, last.seq,
                      f"the slip's status {slip.status!r} is not its last event's "
                      f"{last.to_status!r}")
    satisfaction, seq = None, 0
    for e in events:
        if e.action in SATISFACTION_SETTERS:
            satisfaction, seq = SATISFACTION_SETTERS[e.action](e), e.seq
    if slip.satisfaction != satisfaction:
        return Broken(slip.number, seq or last.seq,
                      f"the slip's satisfaction {slip.satisfaction!r} is not what its events "
                      f"recorded ({satisfaction!r})")
    return None


# The actions that set a slip's satisfaction (bot/slips/effects.py), and the value each leaves.
SATISFACTION_SETTERS: dict[str, Callable[[SlipEvent], str | None]] = {
    "survey": lambda e: (e.data or {}).get("verdict"),
    "reopen": lambda e: None,
    # a slip without a resident of its own keeps no verdict when its survey expires
    "expire_survey": lambda e: None if (e.data or {}).get("no_resident") else "未评价",
    # a merged duplicate's resident who did not answer when the kept slip's survey expired
    "merged_survey_expired": lambda e: "未评价",
    # a merged duplicate's verdict on a round of the kept slip that was reopened
    "merged_survey_reset": lambda e: None,
}


async def verify_slips(
    session: AsyncSession, *, number: str | None = None, batch: int = 500
) -> AsyncIterator[tuple[int, Broken | None]]:
    """Walk every chain (or one slip's), yielding (slips checked so far, first break or None)."""
    last_id = 0
    checked = 0
    while True:
        query = select(Slip).where(Slip.id > last_id).order_by(Slip.id).limit(batch)
        if number is not None:
            query = select(Slip).where(Slip.number == number)
        slips = list((await session.execute(query)).scalars())
        if not slips:
            return
        ids = [s.id for s in slips]
        rows = await session.execute(
            select(SlipEvent).where(SlipEvent.slip_id.in_(ids))
            .order_by(SlipEvent.slip_id, SlipEvent.seq)
        )
        by_slip: dict[int, list[SlipEvent]] = {i: [] for i in ids}
        for e in rows.scalars():
            by_slip[e.slip_id].append(e)
        for slip in slips:
            checked += 1
            broken = check_chain(slip, by_slip[slip.id])
            if broken is not None:
                yield checked, broken
        yield checked, None
        session.expunge_all()
        if number is not None:
            return
        last_id = ids[-1]
