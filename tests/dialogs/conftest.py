"""A dialog engine over in-memory stores and fake ports, and a resident to talk to it."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.stores.memory import MemoryStores
from dialogs.engine import DialogEngine
from dialogs.inputs import Incoming
from dialogs.kit import DialogKit
from tests.dialogs.fakes import FakeDesk, FakePlaces, FakeTriage

QUESTION = re.compile(r"[?？]")
# A complaint with place and phone: the summary comes at once, "确认" issues the slip.
COMPLETE = "建新北路12号门口井盖丢了两天了，电话13812345678"


@dataclass
class Clock:
    now: float = 1_764_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


@dataclass
class Resident:
    """Sends messages as one resident; keeps every reply."""

    engine: DialogEngine
    clock: Clock
    openid: str = "oResident0001"
    replies: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def message(self, kind: str = "text", text: str = "", **fields: Any) -> Incoming:
        key = fields.pop("dedupe_key", None) or f"{self.openid}:m:{next(self._ids)}"
        return Incoming(openid=self.openid, kind=kind, dedupe_key=key, text=text, **fields)

    async def send(self, message: Incoming) -> str:
        self.clock.advance(0.5)
        reply = await self.engine.handle(message)
        if message.text:
            self.sent.append(message.text)
        self.replies.append(reply)
        return reply

    async def say(self, text: str, **fields: Any) -> str:
        return await self.send(self.message("text", text, **fields))

    async def photo(self, media_id: str = "PHOTO1") -> str:
        return await self.send(self.message("image", media_id=media_id))

    async def voice(self, recognition: str = "", media_id: str = "VOICE1") -> str:
        return await self.send(self.message("voice", recognition, media_id=media_id))

    async def location(self, lat: float, lon: float, label: str = "") -> str:
        return await self.send(self.message("location", lat=lat, lon=lon, label=label))

    async def event(self, event: str, key: str | None = None) -> str:
        return await self.send(self.message("event", event=event, event_key=key))

    def questions(self, reply: str) -> int:
        """Question marks the bot wrote (the resident's words quoted back do not count)."""
        for text in sorted(self.sent, key=len, reverse=True):
            reply = reply.replace(text, "")
        return len(QUESTION.findall(reply))


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture
def kit(desk: FakeDesk) -> DialogKit:
    return DialogKit.load(desk, classifier=FakeTriage(), places=FakePlaces())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stores() -> MemoryStores:
    return MemoryStores()


@pytest.fixture
def engine(kit: DialogKit, stores: MemoryStores, clock: Clock) -> DialogEngine:
    return DialogEngine(kit, stores, idle_timeout_minutes=30, clock=clock)


@pytest.fixture
def resident(engine: DialogEngine, clock: Clock) -> Resident:
    return Resident(engine, clock)


def resident_with(desk: FakeDesk, *, classifier: Any = None, places: Any = None) -> Resident:
    """A resident of a kit with real parts: the shipped gazetteer (`places`, default) and, if
    given, the shipped triage (`classifier`; default the fake one)."""
    if places is None:
        from knowledge.gazetteer import Gazetteer
        from knowledge.pack import load_pack

        places = Gazetteer(load_pack().areas)
    kit = DialogKit.load(desk, classifier=classifier or FakeTriage(), places=places)
    clock = Clock()
    return Resident(DialogEngine(kit, MemoryStores(), idle_timeout_minutes=30, clock=clock),
                    clock)


@pytest.fixture
def town_resident(desk: FakeDesk) -> Resident:
    """A resident of the shipped city: its gazetteer knows streets, estates and landmarks."""
    return resident_with(desk)


@pytest.fixture
def one_question_per_reply(resident: Resident):  # type: ignore[no-untyped-def]
    """Use with pytest.mark.usefixtures: no reply of the test asks more than one thing."""
    yield
    for reply in resident.replies:
        assert resident.questions(reply) <= 1, reply


async def issued(resident: Resident, desk: FakeDesk) -> str:
    """The resident reports COMPLETE and confirms it; the number of their slip."""
    await resident.say(COMPLETE)
    await resident.say("确认")
    return desk.of(resident.openid)[-1].number
