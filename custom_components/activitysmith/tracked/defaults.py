"""What a tracked entity shows unless the user says otherwise: one row per kind of entity.

The first row whose `matches` accepts the entity's state gives the Live Activity type,
the template of each field (rendered with the variables of `tracked.variables_for`),
an SF Symbol and when the activity is shown. A new default is one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT, PERCENTAGE
from homeassistant.core import State, split_entity_id

from ..const import Priority

# Content fields of one metric, for the metrics and stats types (one metric each).
METRIC_FIELDS: Final = ("metric_label", "metric_value", "metric_unit")
# The fields the form offers per type, besides title, subtitle, icon and color.
TYPE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "segmented_progress": ("number_of_steps", "current_step"),
    "progress": ("percentage", "value", "upper_limit"),
    "metrics": METRIC_FIELDS,
    "stats": METRIC_FIELDS,
    "alert": ("message",),
    "timer": ("duration_seconds", "is_running"),
    "value": ("value",),
}
STATE_NAME: Final = "{{ state_name }}"
STATE: Final = "{{ state }}"


@dataclass(frozen=True, slots=True)
class Default:
    """How one kind of entity is shown by default."""

    matches: Callable[[State], bool]
    type: str
    fields: dict[str, str]
    icon: str
    # States that show it; empty: every state but unavailable/unknown.
    show_states: tuple[str, ...] = ()
    # States that end it; empty: every state that does not show it.
    end_states: tuple[str, ...] = ()
    color: str = "blue"
    # Which activity keeps a slot when the phone's few are full (slots.py).
    priority: Priority = Priority.NORMAL


def _domain(*domains: str) -> Callable[[State], bool]:
    return lambda state: split_entity_id(state.entity_id)[0] in domains


def _numeric(state: State) -> bool:
    try:
        float(state.state)
    except ValueError:
        return False
    return True


def _percent_like(state: State) -> bool:
    return (
        _domain("sensor", "number", "input_number")(state)
        and _numeric(state)
        and (
            state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) == PERCENTAGE
            or state.attributes.get(ATTR_DEVICE_CLASS)
            in (SensorDeviceClass.BATTERY, SensorDeviceClass.HUMIDITY)
        )
    )


def _enum_sensor(state: State) -> bool:
    return (
        _domain("sensor")(state)
        and state.attributes.get(ATTR_DEVICE_CLASS) == SensorDeviceClass.ENUM
    )


DEFAULTS: Final[tuple[Default, ...]] = (
    Default(
        _domain("timer"),
        "timer",
        {
            "duration_seconds": "{{ remaining }}",
            "is_running": "{{ state == 'active' }}",
        },
        "timer",
        show_states=("active", "paused"),
        end_states=("idle",),
        color="orange",
    ),
    Default(_percent_like, "progress", {"percentage": STATE}, "percent", color="green"),
    Default(
        lambda state: _domain("number", "input_number")(state) and _numeric(state),
        "progress",
        {"value": STATE, "upper_limit": "{{ state_attr(entity_id, 'max') }}"},
        "slider.horizontal.3",
    ),
    Default(
        lambda state: _domain("sensor")(state) and _numeric(state),
        "metrics",
        {
            "metric_label": "{{ name }}",
            "metric_value": STATE,
            "metric_unit": "{{ state_attr(entity_id, 'unit_of_measurement') or '' }}",
        },
        "gauge.with.dots.needle.50percent",
    ),
    Default(
        _domain("binary_sensor", "input_boolean", "switch"),
        "alert",
        {"message": STATE_NAME},
        "exclamationmark.circle",
        show_states=("on",),
        end_states=("off",),
        color="red",
    ),
    Default(
        _domain("vacuum"),
        "alert",
        {"message": STATE_NAME},
        "fan",
        show_states=("cleaning", "returning"),
        end_states=("docked", "idle"),
    ),
    Default(
        _domain("lawn_mower"),
        "alert",
        {"message": STATE_NAME},
        "leaf",
        show_states=("mowing", "returning"),
        end_states=("docked",),
        color="green",
    ),
    Default(
        _domain("media_player"),
        "alert",
        {"message": "{{ state_attr(entity_id, 'media_title') or state_name }}"},
        "play.circle",
        show_states=("playing", "paused", "buffering"),
        end_states=("off", "idle", "standby", "on"),
        color="purple",
    ),
    Default(_enum_sensor, "alert", {"message": STATE_NAME}, "list.bullet"),
)
# Anything else: an alert with the state as its message, while available.
FALLBACK: Final = Default(
    lambda state: True, "alert", {"message": STATE_NAME}, "info.circle"
)


def default_for(state: State) -> Default:
    """The row that fits `state` (the fallback when none does)."""
    return next((row for row in DEFAULTS if row.matches(state)), FALLBACK)


def default_fields(row: Default, activity_type: str) -> dict[str, str]:
    """The templates of `activity_type`'s fields: the row's own, or a plain guess."""
    if activity_type == row.type:
        return dict(row.fields)
    guesses = {
        "percentage": STATE,
        "value": STATE,
        "upper_limit": "100",
        "number_of_steps": "3",
        "current_step": "1",
        "metric_label": "{{ name }}",
        "metric_value": STATE,
        "metric_unit": "",
        "message": STATE_NAME,
        "duration_seconds": "{{ remaining or 60 }}",
        "is_running": "true",
    }
    fields = {name: guesses[name] for name in TYPE_FIELDS[activity_type]}
    if activity_type == "progress":
        del fields["value"], fields["upper_limit"]
    return fields
