"""What a tracked entity shows unless the user says otherwise: one row per kind of entity.

The first row whose `matches` accepts the entity's state gives the Live Activity type,
the template of each field (rendered with the variables of `tracked.variables_for`),
an SF Symbol, when the activity is shown and its priority. A new default is one row
here.

One rule for every row: by default nothing stays on the Lock Screen forever. A row
either ends by itself (an end state, a run that ends, a value that stops changing),
or it can only be "while available" and is priority low: it fills a free slot and
yields it to anything that matters more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT, PERCENTAGE
from homeassistant.core import State, split_entity_id

from ..const import Priority
from .conditions import (
    CONF_CHANGED_WITHIN,
    CONF_CONDITION,
    CONF_DONE_MESSAGE,
    CONF_DONE_PUSH,
    CONF_END_FOR,
    CONF_END_THRESHOLD,
    CONF_PUSH_MESSAGE,
    CONF_PUSH_TITLE,
    CONF_START_FOR,
    CONF_START_THRESHOLD,
    DEFAULT_CHANGED_WITHIN,
    ConditionKind,
)

# Content fields of one metric, for the metrics and stats types (one metric each).
METRIC_FIELDS: Final = ("metric_label", "metric_value", "metric_unit")
# The fields the form offers per type, besides title, subtitle, icon and color.
TYPE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "segmented_progress": ("number_of_steps", "current_step"),
    "progress": ("percentage", "value", "upper_limit"),
    "metrics": METRIC_FIELDS,
    "stats": METRIC_FIELDS,
    "alert": ("message",),
    "timer": ("duration_seconds", "counts_down", "is_running"),
    "value": ("value",),
}
STATE_NAME: Final = "{{ state_name }}"
STATE: Final = "{{ state }}"
RUN_SUMMARY: Final = "{{ run_summary }}"
# The appliance run: on above 5 W for a minute, done below 2 W for three minutes
# (dips of a soak or a pause stay one run), an elapsed timer, a "done" push.
APPLIANCE_RUN: Final[Mapping[str, Any]] = MappingProxyType(
    {
        CONF_CONDITION: ConditionKind.ABOVE.value,
        CONF_START_THRESHOLD: "5",
        CONF_START_FOR: 60,
        CONF_END_THRESHOLD: "2",
        CONF_END_FOR: 180,
        CONF_DONE_MESSAGE: RUN_SUMMARY,
        CONF_DONE_PUSH: True,
        CONF_PUSH_TITLE: "{{ name }}",
        CONF_PUSH_MESSAGE: RUN_SUMMARY,
    }
)
# While it changes: shown while the value changed in the last ten minutes.
WHILE_IT_CHANGES: Final[Mapping[str, Any]] = MappingProxyType(
    {
        CONF_CONDITION: ConditionKind.CHANGING.value,
        CONF_CHANGED_WITHIN: DEFAULT_CHANGED_WITHIN,
        CONF_DONE_PUSH: False,
    }
)


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
    # A run condition's pre-filled fields (conditions.py) instead of the states.
    run: Mapping[str, Any] = field(default_factory=dict)


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


def _power_sensor(state: State) -> bool:
    return (
        _domain("sensor")(state)
        and state.attributes.get(ATTR_DEVICE_CLASS) == SensorDeviceClass.POWER
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
    Default(
        _power_sensor,
        "timer",
        {"counts_down": "false"},
        "powerplug.fill",
        color="green",
        run=APPLIANCE_RUN,
    ),
    Default(
        _percent_like,
        "progress",
        {"percentage": STATE},
        "percent",
        color="green",
        priority=Priority.LOW,
        run=WHILE_IT_CHANGES,
    ),
    Default(
        lambda state: _domain("number", "input_number")(state) and _numeric(state),
        "progress",
        {"value": STATE, "upper_limit": "{{ state_attr(entity_id, 'max') }}"},
        "slider.horizontal.3",
        priority=Priority.LOW,
        run=WHILE_IT_CHANGES,
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
        priority=Priority.LOW,  # a reading: only "while available"
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
    Default(
        _enum_sensor,
        "alert",
        {"message": STATE_NAME},
        "list.bullet",
        priority=Priority.LOW,  # no state is known to end it
    ),
)
# Anything else: an alert with the state as its message, while available.
FALLBACK: Final = Default(
    lambda state: True,
    "alert",
    {"message": STATE_NAME},
    "info.circle",
    priority=Priority.LOW,
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
        "counts_down": "true",
        "is_running": "true",
    }
    fields = {name: guesses[name] for name in TYPE_FIELDS[activity_type]}
    if activity_type == "progress":
        del fields["value"], fields["upper_limit"]
    return fields
