"""Diagnostics: what a bug report shows, and that it never shows the key."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.const import DOMAIN

from .conftest import API_KEY, EXAMPLE_CONTENT, START_RESPONSE, START_URL, stream_answer


async def test_diagnostics_show_activities_streams_budget_and_errors(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """A report holds what the entry knows and the last error of each endpoint."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.put(
        f"{API_BASE_URL}/live-activity/stream/washer",
        json=stream_answer("started", "act-1"),
    )
    aioclient_mock.post(
        f"{API_BASE_URL}/badge",
        status=403,
        json={"error": "Forbidden", "message": "scope"},
    )
    await hass.services.async_call(
        DOMAIN, "start_live_activity", EXAMPLE_CONTENT["alert"], blocking=True
    )
    await hass.services.async_call(
        DOMAIN,
        "stream_live_activity",
        {
            "stream_key": "washer",
            "title": "Washer",
            "type": "progress",
            "percentage": 5,
        },
        blocking=True,
    )
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN, "set_badge_count", {"badge": 1}, blocking=True
        )

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    timestamps = (
        "created_at",
        "modified_at",
        "started_at",
        "updated_at",
        "at",
        "since",
    )
    assert diagnostics == snapshot(exclude=props(*timestamps))
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert API_KEY not in str(diagnostics)
