"""A new slip from a resident's draft and its classification (before its first event)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.media.enqueue import queue_media
from bot.slips.errors import InvalidInput
from bot.slips.models import Slip
from bot.slips.numbering import next_number
from bot.slips.timing import SlipTiming
from bot.slips.views import SlipDraft
from bot.storage.messages import upsert_resident

log = logging.getLogger(__name__)

UNCLASSIFIED: dict[str, Any] = {
    "category": [],
    "request_type": "投诉",
    "urgency": "一般",
    "complexity": "一般",
    "universality": "个体",
    "departments": [],
    "handling_level": None,
    "advice": None,
    "explanation": "未经自动分类，由派单员人工分派",
    "confidence": 0.0,
    "low_confidence": True,
}
MAX_DESCRIPTION = 5000


def classify(triage: Any | None, draft: SlipDraft, now: datetime) -> dict[str, Any]:
    """The triage result for the draft (of its `triage_text`, the resident's own words, when it
    has one); unclassified (→ the dispatcher's queue) without a classifier."""
    if triage is None:
        return dict(UNCLASSIFIED)
    try:
        text = draft.triage_text if (draft.triage_text or "").strip() else draft.description
        return triage.classify(text, area=draft.area, now=now).to_dict()
    except Exception:  # a classifier fault must not lose the complaint
        log.exception("triage failed; the slip goes to the dispatcher's queue")
        return dict(UNCLASSIFIED)


async def new_slip(
    session: AsyncSession,
    draft: SlipDraft,
    triage: dict[str, Any],
    now: datetime,
    timing: SlipTiming,
    prefix: str,
) -> Slip:
    """Insert the slip (status 已受理, numbered, deadlines started) and return it flushed."""
    description = draft.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("description", f"问题描述不能超过{MAX_DESCRIPTION}字")
    area = draft.area if isinstance(draft.area, dict) else triage.get("area")
    area = area if isinstance(area, dict) else None
    location = (draft.location_text or "").strip() or None
    if draft.employer:
        employer = f"用人单位：{draft.employer.strip()}"
        location = f"{location}（{employer}）" if location else employer
    category = [str(c) for c in triage.get("category") or []]
    resident_id = await upsert_resident(session, draft.openid, at=now, touch=False)
    low = bool(triage.get("low_confidence"))
    slip = Slip(
        number=await next_number(session, prefix, now, timing.calendar.tz),
        idempotency_key=draft.idempotency_key,
        resident_id=resident_id,
        openid=draft.openid,
        description=description,
        location_text=location,
        area=area,
        street=_name(area, "street"),
        community=_name(area, "community"),
        lat=draft.lat if draft.lat is not None else _float(area, "lat"),
        lon=draft.lon if draft.lon is not None else _float(area, "lon"),
        phone=(draft.phone or "").strip() or None,
        occurred_text=(draft.occurred_text or "")[:200] or None,
        media=_media(draft.media),
        category=category,
        category_top=category[0] if category else None,
        request_type=triage.get("request_type"),
        urgency=triage.get("urgency"),
        complexity=triage.get("complexity"),
        universality=triage.get("universality"),
        handling_level=triage.get("handling_level"),
        confidence=triage.get("confidence"),
        low_confidence=low,
        explanation=triage.get("explanation"),
        advice=triage.get("advice"),
        triage=triage,
        co_departments=[],
        queue_reason="low_confidence" if low else None,
        status="accepted",
        accepted_at=now,
        created_at=now,
        updated_at=now,
    )
    timing.start(slip, timing.plan(triage), now)
    session.add(slip)
    await session.flush()
    await queue_media(session, slip.media)  # copied before WeChat deletes them (bot/media)
    return slip


def _name(area: dict[str, Any] | None, key: str) -> str | None:
    value = (area or {}).get(key)
    return str(value)[:64] if value else None


def _float(area: dict[str, Any] | None, key: str) -> float | None:
    value = (area or {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def _media(media: Any) -> list[dict[str, str]]:
    out = []
    for item in media or []:
        if isinstance(item, dict) and item.get("media_id") and item.get("type"):
            out.append({"type": str(item["type"]), "media_id": str(item["media_id"])})
    return out
