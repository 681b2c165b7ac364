"""Property-based fuzzing of /api/v1 from its own OpenAPI 3.1 document (schemathesis), on
PostgreSQL + Redis: every operation, with a write token, a read-only token and no token. No
response may be a 5xx, and every response must match the document (status codes, content
types, bodies).

The app runs in a thread of its own (schemathesis calls it over real HTTP, synchronously).
Hypothesis is derandomized and each operation gets a bounded number of examples, so a run is
the same every time and takes well under a minute."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.config import Settings
from bot.slips.views import SlipDraft
from handlers.api.app import OPENAPI, create_api_app
from handlers.console import keys
from tests.conftest import REDIS_URL, PgDatabases, make_settings
from tests.handlers.staff_app import FAST_PASSWORDS, PASSWORD, triage_for

EXAMPLES = 15  # per operation and token; 9 operations x 3 tokens


@dataclass
class Running:
    base_url: str
    tokens: dict[str, str]  # scope -> bearer token
    numbers: list[str]  # slips that exist


class ServerThread:
    """`create_app` served on a free port by an event loop in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None

    def start(self) -> Running:
        self.thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=120)

    async def _start(self) -> Running:
        app = create_app(self.settings, migrate=True)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        staff = app[keys.STAFF]
        staff.passwords = FAST_PASSWORDS
        root = await staff.create_user(
            "root", password=PASSWORD, role="admin", department=None, display_name="管理员"
        )
        tokens = {
            scope: (await staff.create_token(root.id, name=f"fuzz-{scope}", scope=scope))[1]
            for scope in ("read", "write")
        }
        numbers = []
        for i in range(3):  # ids 1-3 exist: the fuzzer's small numbers find real slips
            slip = await app[keys.SLIPS].issue(
                SlipDraft(
                    openid=f"oFuzz{i:023d}",
                    description=f"建新北路的路灯坏了 {i}",
                    idempotency_key=f"fuzz:{i}",
                    location_text="建新北路 12 号",
                    phone="13800138000",
                    triage=triage_for("D-CGJ", "区城市管理局"),
                )
            )
            numbers.append(slip.number)
        return Running(f"http://127.0.0.1:{port}", tokens, numbers)

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def running(pg_databases: PgDatabases, request: pytest.FixtureRequest) -> Iterator[Running]:
    prefix = request.getfixturevalue("redis_prefix_module")
    settings = make_settings(
        **{"database.url": pg_databases.create(), "redis.url": REDIS_URL, "redis.prefix": prefix}
    )
    server = ServerThread(settings)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def redis_prefix_module() -> Iterator[str]:
    from redis import Redis

    prefix = "minyitest-fuzz"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    try:
        keys_ = list(client.scan_iter(f"{prefix}:*"))
        if keys_:
            client.delete(*keys_)
    finally:
        client.close()


# The document the app serves at /api/v1/openapi.json (built at import: schemathesis's lazy
# loader from a fixture does not run under pytest 9, its eager one does).
SPEC = json.loads(create_api_app()[OPENAPI])
schema = schemathesis.openapi.from_dict(SPEC)


def test_the_fuzzed_document_is_the_served_one(running: Running) -> None:
    with urllib.request.urlopen(f"{running.base_url}/api/v1/openapi.json", timeout=30) as r:
        assert json.loads(r.read()) == SPEC


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run
    deadline=None,  # a loaded CI machine is slow, not wrong
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Every built-in check but one: positive_data_acceptance wants every schema-valid request
# accepted, and the API refuses some by design with a field error (date_to before date_from, a
# status code that is not in the workflow, text with NUL). No 5xx, responses that match the
# document, schema-violating requests refused and auth enforced are all still checked.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def _aim(case, running: Running) -> None:  # type: ignore[no-untyped-def]
    """Half of the generated slip numbers are swapped for real ones (chosen by the number's
    hash, so runs stay the same), so bodies and actions reach the slip service and its
    database instead of stopping at 404."""
    params = case.path_parameters or {}
    number = params.get("number")
    if isinstance(number, str):
        pick = zlib.crc32(number.encode("utf-8", "surrogatepass"))
        if pick % 2 == 0:
            params["number"] = running.numbers[pick // 2 % len(running.numbers)]


def _call(case, running: Running, scope: str | None) -> None:  # type: ignore[no-untyped-def]
    _aim(case, running)
    headers = {} if scope is None else {"Authorization": f"Bearer {running.tokens[scope]}"}
    case.call_and_validate(
        base_url=f"{running.base_url}/api/v1",
        headers=headers,
        excluded_checks=EXCLUDED,
        timeout=30,
    )


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_api_with_a_write_token(case, running: Running) -> None:  # type: ignore[no-untyped-def]
    _call(case, running, "write")


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_api_with_a_read_token(case, running: Running) -> None:  # type: ignore[no-untyped-def]
    _call(case, running, "read")


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_api_without_a_token(case, running: Running) -> None:  # type: ignore[no-untyped-def]
    _call(case, running, None)


# Random schema-shaped bodies rarely reach the database (most name a field the action does not
# have), so text, the part PostgreSQL is strict about, gets a property of its own: any
# characters in a note or a field (NUL, lone surrogates as JSON escapes, control characters,
# very long text) on a real slip get an answer or a field error, never a 5xx.
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
TEXT = st.one_of(st.text(ANY_CHAR, max_size=40), st.just("长" * 2_001), st.just("a\x00b"))


@pytest.mark.slow
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    action=st.sampled_from(["reply", "sign", "return", "transfer", "supervise", "start"]),
    note=st.one_of(st.none(), TEXT),
    data=st.dictionaries(
        st.sampled_from(["contact", "department", "due_date", "co_departments"]), TEXT, max_size=2
    ),
    which=st.integers(0, 2),
)
def test_any_text_in_an_action_gets_an_answer_or_a_field_error(
    running: Running, action: str, note: str | None, data: dict[str, str], which: int
) -> None:
    body = json.dumps({"note": note, "data": data}).encode()  # lone surrogates as \ud800
    request = urllib.request.Request(
        f"{running.base_url}/api/v1/slips/{running.numbers[which]}/actions/{action}",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {running.tokens['write']}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, answer = response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        status, answer = refused.code, json.loads(refused.read())
    assert status < 500, answer
    if status >= 400:
        assert set(answer["error"]) == {"code", "message", "field"}
