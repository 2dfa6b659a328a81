"""Helpers for the widget metric and badge tests: a fake API and the subentry flows."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import timedelta
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.metrics.config import (
    BADGE_SUBENTRY_TYPE,
    METRIC_SUBENTRY_TYPE,
)

from .tracked_support import suggested

METRIC_URL = re.compile(re.escape(f"{API_BASE_URL}/metrics/") + r"[^/]+/value")
BADGE_URL = f"{API_BASE_URL}/badge"
BADGE_ANSWER = {
    "success": True,
    "devices_updated": 1,
    "users_updated": 1,
    "effective_channel_slugs": None,
    "timestamp": "2026-12-03T12:00:00Z",
}


class MetricServer:
    """Answers metric and badge updates like ActivitySmith; remembers what it got."""

    def __init__(self, aioclient_mock: AiohttpClientMocker) -> None:
        self.metrics: list[tuple[str, Any]] = []
        self.badges: list[int] = []
        self.failures: list[dict[str, Any]] = []
        # While set, each request waits on the wire until the gate opens.
        self.gate: asyncio.Event | None = None
        aioclient_mock.post(METRIC_URL, side_effect=self.metric)
        aioclient_mock.post(BADGE_URL, side_effect=self.badge)

    async def metric(
        self, method: str, url: Any, data: Any
    ) -> AiohttpClientMockResponse:
        self.metrics.append((str(url).split("/")[-2], data["value"]))
        return await self._answer(method, url, {"success": True})

    async def badge(
        self, method: str, url: Any, data: Any
    ) -> AiohttpClientMockResponse:
        self.badges.append(data["badge"])
        return await self._answer(method, url, {**BADGE_ANSWER, "badge": data["badge"]})

    async def _answer(
        self, method: str, url: Any, answer: dict[str, Any]
    ) -> AiohttpClientMockResponse:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            return AiohttpClientMockResponse(method, url, **self.failures.pop(0))
        return AiohttpClientMockResponse(method, url, json=answer)

    def values(self, key: str | None = None) -> list[Any]:
        """The metric values received, of one key or all."""
        return [value for k, value in self.metrics if key in (None, k)]


@pytest.fixture
def no_spacing() -> Generator[None]:
    """Sends are not spread over the window: what goes depends on the intervals."""
    with patch(
        "custom_components.activitysmith.metrics.sender.spacing_for",
        return_value=0.0,
    ):
        yield


async def add_metric(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_id: str,
    **settings: Any,
) -> str:
    """Walk the widget metric flow, changing only what is given; the subentry id."""
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, METRIC_SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    result = await flows.async_configure(result["flow_id"], {"entity_id": entity_id})
    result = await flows.async_configure(
        result["flow_id"], {**suggested(result), **settings}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done(wait_background_tasks=True)
    return next(
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == METRIC_SUBENTRY_TYPE
        and subentry.data["entity_id"] == entity_id
    )


async def metric_settings_form(
    hass: HomeAssistant, entry: MockConfigEntry, entity_id: str, **settings: Any
) -> Any:
    """Submit the settings step with `settings`; the result (a form on an error)."""
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, METRIC_SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    result = await flows.async_configure(result["flow_id"], {"entity_id": entity_id})
    return await flows.async_configure(
        result["flow_id"], {**suggested(result), **settings}
    )


async def reconfigure_metric(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, **settings: Any
) -> Any:
    """Walk the reconfigure flow of a widget metric."""
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, METRIC_SUBENTRY_TYPE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    entity_id = settings.pop(
        "entity_id", entry.subentries[subentry_id].data["entity_id"]
    )
    result = await flows.async_configure(result["flow_id"], {"entity_id": entity_id})
    result = await flows.async_configure(
        result["flow_id"], {**suggested(result), **settings}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


async def add_badge(
    hass: HomeAssistant, entry: MockConfigEntry, **data: Any
) -> tuple[Any, str | None]:
    """Submit the badge flow with `data`: the result, and the subentry id if made."""
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (entry.entry_id, BADGE_SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    if result["type"] is FlowResultType.FORM:
        result = await flows.async_configure(
            result["flow_id"], {**suggested(result), **data}
        )
    await hass.async_block_till_done(wait_background_tasks=True)
    subentry_id = next(
        (
            subentry_id
            for subentry_id, subentry in entry.subentries.items()
            if subentry.subentry_type == BADGE_SUBENTRY_TYPE
        ),
        None,
    )
    return result, subentry_id


async def pass_seconds(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    """Let time pass second by second, so a timer due in between fires on time."""
    for _ in range(seconds):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
