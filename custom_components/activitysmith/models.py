"""What a loaded ActivitySmith config entry carries at runtime."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .activities import ActivityTracker
from .api import ActivitySmithClient

type ActivitySmithConfigEntry = ConfigEntry[ActivitySmithData]


@dataclass(slots=True)
class ActivitySmithData:
    """Runtime data of one config entry."""

    client: ActivitySmithClient
    activities: ActivityTracker
