"""The benchmark's scenarios tagged `ci` (bench/scenarios.yaml), through the webhook on both
backends. The whole set runs in bench/dialogs.py."""

from __future__ import annotations

import pytest
from aiohttp import web_app

from bench.dialogs import load_scenarios, report, run_all
from bot.config import Settings

CI = load_scenarios(tags={"ci"})


def test_the_benchmark_has_enough_scenarios_of_every_kind() -> None:
    everything = load_scenarios()
    assert len(everything) >= 40
    kinds = {tag for s in everything for tag in s.tags}
    assert {"complete", "missing", "correction", "cancel", "media", "emergency", "dialect",
            "chitchat", "status"} <= kinds
    assert len(CI) >= 15


async def test_ci_scenarios_pass(backend_settings: Settings) -> None:
    outcomes = await run_all(backend_settings, CI)
    web_app._cached_build_middleware.cache_clear()  # see test_conversation.site
    failed = [o for o in outcomes if not o.ok]
    assert not failed, report(failed)
    complete = [o for o in outcomes if "complete" in o.scenario.tags]
    assert complete and all(o.turns_to_slip is not None and o.turns_to_slip <= 3
                            for o in complete)


@pytest.mark.parametrize("scenario", [s for s in CI if "complete" in s.tags and not s.known_phone],
                         ids=lambda s: s.id)
def test_complete_first_messages_are_written_to_take_two_turns(scenario) -> None:  # type: ignore[no-untyped-def]
    assert scenario.max_turns == 2
