"""Write tests/fixtures/ from what the integration writes today (run by hand, once).

    python -m pytest -p no:randomly --no-cov tests/generate_release_fixtures.py

Not collected with the suite (its name is not test_*). It sets up an entry, starts a
manual Live Activity with a home_assistant button, streams `washer`, adds a tracked
entity, unloads the entry (the store is flushed), then dumps the store and the entry.
The files are then frozen: test_contracts.py reads them as a past release wrote them,
so only regenerate them on purpose, for a release that changes the stored layout.
"""

from __future__ import annotations

from functools import partial
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import JSONEncoder
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import RequestBudget

from .conftest import (
    API_BASE_URL,
    EXAMPLE_CONTENT,
    act,
    setup_integration,
    stream_answer,
)
from .tracked_support import StreamServer, add_tracked

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.usefixtures("lifecycle_api", "valid_key")
async def test_generate(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    hass.config.external_url = "https://home.example.org"
    StreamServer(aioclient_mock)  # the tracked entity's ha-* stream
    aioclient_mock.put(
        f"{API_BASE_URL}/live-activity/stream/washer",
        json=stream_answer("started", "act-washer", devices_notified=1),
    )
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(
            RequestBudget, limit=1000, window=1.0, stream_spacing=0.0, min_interval=0.0
        ),
    ):
        await setup_integration(hass, mock_config_entry)
    await act(
        hass,
        "start_live_activity",
        {
            **EXAMPLE_CONTENT["alert"],
            "action": {
                "title": "Lock",
                "type": "home_assistant",
                "action": "lock_door",
            },
        },
    )
    await act(
        hass,
        "stream_live_activity",
        {
            "stream_key": "washer",
            "title": "Washer",
            "type": "progress",
            "percentage": 40,
        },
    )
    hass.states.async_set("input_boolean.alarm", "on", {"friendly_name": "Alarm"})
    await add_tracked(hass, mock_config_entry, "input_boolean.alarm")
    await mock_config_entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    key = f"activitysmith.{mock_config_entry.entry_id}.activities"
    store = json.loads(json.dumps(hass_storage[key], cls=JSONEncoder))
    entry = json.loads(json.dumps(mock_config_entry.as_dict(), cls=JSONEncoder))
    FIXTURES.mkdir(exist_ok=True)
    for name, data in (("release_store.json", store), ("release_entry.json", entry)):
        (FIXTURES / name).write_text(
            json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )
