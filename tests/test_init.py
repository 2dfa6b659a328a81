"""Setting up and unloading an entry."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.const import DOMAIN, VERSION

from .conftest import mock_key_check, setup_integration

INTEGRATION_DIR = Path(__file__).parent.parent / "custom_components" / DOMAIN


async def test_setup_and_unload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A valid key loads the entry; unloading leaves it cleanly not loaded."""
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED


async def test_rejected_key_at_setup_starts_reauth(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A 401 while setting up fails the entry and asks the user for a new key."""
    mock_key_check(aioclient_mock, 401)
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == mock_config_entry.entry_id


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503},
        {"exc": aiohttp.ClientConnectionError()},
        {"exc": TimeoutError()},
    ],
)
async def test_unreachable_api_at_setup_retries_later(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
    answer: dict[str, object],
) -> None:
    """A network or server fault makes Home Assistant retry the setup."""
    mock_key_check(aioclient_mock, **answer)  # type: ignore[arg-type]
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


def test_manifest_version_matches_the_user_agent_version() -> None:
    """The version sent in User-Agent is the one HACS shows."""
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    assert manifest["version"] == VERSION


async def test_setup_helper_loads_entry(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The key check is the only request setup makes."""
    mock_key_check(aioclient_mock)
    await setup_integration(hass, mock_config_entry)
    assert aioclient_mock.call_count == 1
