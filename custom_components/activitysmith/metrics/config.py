"""A tracked metric's and the badge's configuration, and the checks of their values.

The data of a `tracked_metric` subentry and of the `badge` subentry (written by `flow`,
read by `tracked` and `badge`), the signals their sensors listen to, and the rules a
value meets before it is sent: a metric is a finite number, rounded; a badge count is a
whole number from 0 to the API's maximum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.util.signal_type import SignalType
import voluptuous as vol

from ..const import DOMAIN, MAX_BADGE, METRIC_KEY_PATTERN
from ..validators import number, whole_number

METRIC_SUBENTRY_TYPE: Final = "tracked_metric"
BADGE_SUBENTRY_TYPE: Final = "badge"
CONF_ENTITY_ID: Final = "entity_id"
CONF_KEY: Final = "key"
CONF_DECIMALS: Final = "decimals"
CONF_INTERVAL: Final = "interval"
CONF_VALUE_TEMPLATE: Final = "value_template"
CONF_ENTITIES: Final = "entities"
CONF_COUNT_STATES: Final = "count_states"
CONF_COUNT_TEMPLATE: Final = "count_template"

DEFAULT_INTERVAL: Final = 60.0
MIN_INTERVAL: Final = 1.0
MAX_INTERVAL: Final = 86400.0
MAX_DECIMALS: Final = 6
# Larger numbers are not readings a widget shows, and lose digits as floats.
MAX_METRIC: Final = 1e15
# The same pattern as the update_metric_value action's key.
_METRIC_KEY: Final = re.compile(rf"(?:{METRIC_KEY_PATTERN})\Z")
DEFAULT_COUNT_STATES: Final = ("on",)

_METRIC_VALUE = number(minimum=-MAX_METRIC, maximum=MAX_METRIC)
_BADGE_COUNT = vol.All(whole_number(minimum=0), vol.Range(max=MAX_BADGE))

type MetricValue = int | float


def metric_subentries(entry: ConfigEntry[Any]) -> dict[str, ConfigSubentry]:
    """The entry's tracked-metric subentries, by subentry id."""
    return _of_type(entry, METRIC_SUBENTRY_TYPE)


def badge_subentries(entry: ConfigEntry[Any]) -> dict[str, ConfigSubentry]:
    """The entry's badge subentry (at most one), by subentry id."""
    return _of_type(entry, BADGE_SUBENTRY_TYPE)


def _of_type(entry: ConfigEntry[Any], kind: str) -> dict[str, ConfigSubentry]:
    return {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == kind
    }


def signal_metric(entry_id: str, subentry_id: str) -> SignalType[()]:
    """Sent when a tracked metric's or the badge's last send or error changes."""
    return SignalType(f"{DOMAIN}_{entry_id}_metric_{subentry_id}")


def suggested_key(entity_id: str) -> str:
    """A metric key from an entity id: sensor.Living_Room-T -> living_room-t."""
    key = re.sub(r"[^a-z0-9_.-]", "_", entity_id.partition(".")[2].lower())
    key = key.lstrip("_.-") or "metric"
    return key[:64]


def is_metric_key(key: str) -> bool:
    """Whether the API takes `key` as a metric key."""
    return _METRIC_KEY.match(key) is not None


def metric_value(value: Any, decimals: int) -> MetricValue:
    """A rendered value as the number to send, rounded; vol.Invalid if it is none."""
    parsed = _METRIC_VALUE(value)
    rounded = round(float(parsed), decimals)
    return int(rounded) if decimals == 0 else rounded


def badge_count(value: Any) -> int:
    """A rendered count as the badge to send; vol.Invalid if it is no such count."""
    count: int = _BADGE_COUNT(value)
    return count


def interval_of(value: Any) -> float:
    """A stored interval, within its bounds (older or odd data falls back to them)."""
    try:
        seconds = float(value)
    except TypeError, ValueError:
        return DEFAULT_INTERVAL
    if not math.isfinite(seconds):
        return DEFAULT_INTERVAL
    return min(MAX_INTERVAL, max(MIN_INTERVAL, seconds))


@dataclass(frozen=True, slots=True)
class MetricConfig:
    """A tracked_metric subentry's data, typed."""

    entity_id: str
    key: str
    decimals: int
    interval: float
    value_template: str | None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MetricConfig:
        """Read a subentry's data (written by the subentry flow)."""
        return cls(
            entity_id=data[CONF_ENTITY_ID],
            key=data[CONF_KEY],
            decimals=min(MAX_DECIMALS, max(0, int(data.get(CONF_DECIMALS, 1)))),
            interval=interval_of(data.get(CONF_INTERVAL, DEFAULT_INTERVAL)),
            value_template=data.get(CONF_VALUE_TEMPLATE) or None,
        )


@dataclass(frozen=True, slots=True)
class BadgeConfig:
    """The badge subentry's data: entities and the states that count, or a template."""

    entities: tuple[str, ...]
    count_states: tuple[str, ...]
    count_template: str | None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> BadgeConfig:
        """Read the subentry's data (written by the subentry flow)."""
        return cls(
            entities=tuple(data.get(CONF_ENTITIES, ())),
            count_states=tuple(data.get(CONF_COUNT_STATES, DEFAULT_COUNT_STATES)),
            count_template=data.get(CONF_COUNT_TEMPLATE) or None,
        )
