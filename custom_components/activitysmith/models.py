"""What a loaded ActivitySmith config entry carries at runtime."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .api import ActivitySmithClient

type ActivitySmithConfigEntry = ConfigEntry[ActivitySmithData]


@dataclass(slots=True)
class ActivitySmithData:
    """Runtime data of one config entry: its API client."""

    client: ActivitySmithClient
