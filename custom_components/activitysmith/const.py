"""Names shared by several modules of the ActivitySmith integration."""

from __future__ import annotations

import enum
from typing import Final

DOMAIN: Final = "activitysmith"
# Keep in step with manifest.json (a test checks it); sent in the User-Agent header.
VERSION: Final = "0.1.0"

# Action data keys that several modules read.
ATTR_ACTIVITY_ID: Final = "activity_id"
ATTR_STREAM_KEY: Final = "stream_key"
ATTR_AUTO_DISMISS_MINUTES: Final = "auto_dismiss_minutes"
ATTR_AUTO_DISMISS_SECONDS: Final = "auto_dismiss_seconds"
# The least seconds between two updates of one stream; at most an hour.
ATTR_MIN_INTERVAL: Final = "min_interval"
MAX_MIN_INTERVAL: Final = 3600

# The largest app-icon badge the API takes, and the pattern of a widget metric's key.
MAX_BADGE: Final = 2_147_483_647
METRIC_KEY_PATTERN: Final = r"[a-z0-9][a-z0-9_.-]{0,63}"

# Unique-id keys of the activity sensors (after the entry id), which actions resolve.
LIVE_ACTIVITY_SENSOR_KEY: Final = "live_activity"
STREAM_SENSOR_PREFIX: Final = "stream_"
SLOTS_SENSOR_KEY: Final = "slots"

# How much a Live Activity matters when the phone's few slots are full (see slots.py).
ATTR_PRIORITY: Final = "priority"


class Priority(enum.IntEnum):
    """A Live Activity's priority: a higher one may take the slot of a lower one."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        """The name users write and the translations key ("low", "critical")."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Priority:
        """A level from its name; ValueError for anything else."""
        try:
            return cls[value.upper()]
        except KeyError:
            raise ValueError(value) from None


PRIORITY_NAMES: Final = tuple(level.label for level in Priority)
