"""What a loaded ActivitySmith config entry carries at runtime, and how its client is made."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .client import ActivitySmithClient
from .const import VERSION
from .store import ActivityTracker

type ActivitySmithConfigEntry = ConfigEntry[ActivitySmithData]

USER_AGENT = f"HomeAssistant/{HA_VERSION} activitysmith-home-assistant/{VERSION}"


@dataclass(slots=True)
class ActivitySmithData:
    """Runtime data of one config entry."""

    client: ActivitySmithClient
    activities: ActivityTracker


def create_client(hass: HomeAssistant, api_key: str) -> ActivitySmithClient:
    """Build a client on Home Assistant's shared aiohttp session."""
    return ActivitySmithClient(
        async_get_clientsession(hass), api_key, user_agent=USER_AGENT
    )
