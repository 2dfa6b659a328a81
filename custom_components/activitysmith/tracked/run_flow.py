"""The run condition's part of the tracked-entity flow: its fields, checks and presets.

The "when it shows" step (`flow`) offers, besides the states and the show template, a
run condition (`conditions`): a value above or below a threshold for a duration, or a
value that changes. Its fields are pre-filled from the entity's default row (the
appliance run of a power sensor, "while it changes" of a percentage). A run then gets
a step of its own for its end: the final words and the "done" push. Durations are
shown as hours, minutes and seconds and stored as seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any, Final

from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import TemplateError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    BooleanSelector,
    DurationSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.template import Template
import voluptuous as vol

from .conditions import (
    CONF_CHANGED_WITHIN,
    CONF_CONDITION,
    CONF_DONE_MESSAGE,
    CONF_DONE_PUSH,
    CONF_END_FOR,
    CONF_END_THRESHOLD,
    CONF_PUSH_BUTTON_ACTION,
    CONF_PUSH_BUTTON_TITLE,
    CONF_PUSH_MESSAGE,
    CONF_PUSH_TITLE,
    CONF_RUN_VALUE,
    CONF_START_FOR,
    CONF_START_THRESHOLD,
    MAX_DURATION,
    MIN_DURATION,
    ConditionKind,
    hysteresis_possible,
)
from .config import variables_for
from .flow_checks import button_errors, template_errors

TEXT: Final = TextSelector()
NUMBER_TEXT: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.NUMBER))
DURATION: Final = DurationSelector()
THRESHOLDS: Final = (CONF_START_THRESHOLD, CONF_END_THRESHOLD)
DURATIONS: Final = (CONF_START_FOR, CONF_END_FOR, CONF_CHANGED_WITHIN)
# Every field a run condition adds to the subentry data (dropped for states).
RUN_KEYS: Final = (
    CONF_CONDITION,
    CONF_RUN_VALUE,
    *THRESHOLDS,
    *DURATIONS,
    CONF_DONE_MESSAGE,
    CONF_DONE_PUSH,
    CONF_PUSH_TITLE,
    CONF_PUSH_MESSAGE,
    CONF_PUSH_BUTTON_TITLE,
    CONF_PUSH_BUTTON_ACTION,
)
# Before any input: a run of 1 minute's start and 3 minutes' end, like the preset.
FORM_DEFAULTS: Final[Mapping[str, Any]] = {
    CONF_START_FOR: 60,
    CONF_END_FOR: 180,
    CONF_CHANGED_WITHIN: 600,
}

WHEN_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(CONF_CONDITION): SelectSelector(
        SelectSelectorConfig(
            options=[kind.value for kind in ConditionKind],
            translation_key="condition",
            mode=SelectSelectorMode.DROPDOWN,
        )
    ),
}
# The run step's fields: a threshold run's, or a changing value's.
THRESHOLD_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_START_THRESHOLD): NUMBER_TEXT,
        vol.Optional(CONF_START_FOR): DURATION,
        vol.Optional(CONF_END_THRESHOLD): NUMBER_TEXT,
        vol.Optional(CONF_END_FOR): DURATION,
        vol.Optional(CONF_RUN_VALUE): TEXT,
    }
)
CHANGING_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_CHANGED_WITHIN): DURATION,
        vol.Optional(CONF_RUN_VALUE): TEXT,
    }
)
# The end of a run unless the preset or the user says otherwise (a summary, no push).
DONE_DEFAULTS: Final[Mapping[str, Any]] = {
    CONF_DONE_MESSAGE: "{{ run_summary }}",
    CONF_DONE_PUSH: False,
    CONF_PUSH_TITLE: "{{ name }}",
    CONF_PUSH_MESSAGE: "{{ run_summary }}",
    CONF_PUSH_BUTTON_TITLE: "",
    CONF_PUSH_BUTTON_ACTION: "",
}
DONE_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_DONE_MESSAGE): TEXT,
        vol.Optional(CONF_DONE_PUSH): BooleanSelector(),
        vol.Optional(CONF_PUSH_TITLE): TEXT,
        vol.Optional(CONF_PUSH_MESSAGE): TEXT,
        vol.Optional(CONF_PUSH_BUTTON_TITLE): TEXT,
        vol.Optional(CONF_PUSH_BUTTON_ACTION): TEXT,
    }
)


def is_run(data: Mapping[str, Any]) -> bool:
    """Whether the data's condition is a run (not states)."""
    return bool(data.get(CONF_CONDITION, ConditionKind.STATES) != ConditionKind.STATES)


def condition_suggestion(data: Mapping[str, Any], preset: Mapping[str, Any]) -> str:
    """The condition the when step suggests: the data's, else the preset's.

    A tracked entity made before run conditions (it has states but no condition)
    keeps its states; only a new one gets the preset.
    """
    if CONF_CONDITION in data:
        return str(data[CONF_CONDITION])
    fresh = "show_states" not in data
    return str(preset.get(CONF_CONDITION, ConditionKind.STATES)) if fresh else "states"


def run_suggestions(
    data: Mapping[str, Any], preset: Mapping[str, Any]
) -> dict[str, Any]:
    """The run step's values as the form shows them: the data's, else the preset's.

    The preset counts only for its own kind of run (a power sensor's thresholds are
    no suggestion for "while it changes").
    """
    own = preset if preset.get(CONF_CONDITION) == data.get(CONF_CONDITION) else {}
    values = {**FORM_DEFAULTS, **own, **data}
    for name in DURATIONS:
        if isinstance(seconds := values.get(name), int | float):
            whole = round(seconds)
            values[name] = {
                "hours": whole // 3600,
                "minutes": whole % 3600 // 60,
                "seconds": whole % 60,
            }
    for name in THRESHOLDS:
        if isinstance(threshold := values.get(name), int | float):
            values[name] = f"{threshold:g}"  # the text field shows 5, not 5.0
    return {key: values[key] for key in RUN_KEYS if key in values}


def condition_errors(
    hass: HomeAssistant,
    state: State | None,
    kind: ConditionKind,
    user_input: dict[str, Any],
) -> dict[str, str]:
    """Check the run step's `user_input`, and store its durations as seconds.

    Thresholds must be numbers that allow the run to end, durations between a second
    and a day, and the value (the state, or the value template) a number now, when
    the entity has a state to judge by.
    """
    errors: dict[str, str] = {}
    used = (CONF_CHANGED_WITHIN,) if kind is ConditionKind.CHANGING else DURATIONS[:2]
    for name in used:
        seconds = _seconds(user_input.get(name))
        if not MIN_DURATION <= seconds <= MAX_DURATION:
            errors[name] = "invalid_duration"
        user_input[name] = seconds
    if kind is not ConditionKind.CHANGING:
        thresholds = {name: _number(user_input.get(name)) for name in THRESHOLDS}
        for name, threshold in thresholds.items():
            if threshold is None:
                errors[name] = "threshold_not_a_number"
        start, end = thresholds.values()
        if start is not None and end is not None:
            if not hysteresis_possible(kind, start, end):
                errors[CONF_END_THRESHOLD] = "hysteresis_impossible"
            user_input |= {CONF_START_THRESHOLD: start, CONF_END_THRESHOLD: end}
    if (value_error := _value_error(hass, state, user_input)) is not None:
        errors[CONF_RUN_VALUE] = value_error
    return errors


def done_errors(user_input: dict[str, Any]) -> dict[str, str]:
    """The push's templates parse; its button has a title and a valid action id."""
    errors = template_errors(
        user_input, (CONF_DONE_MESSAGE, CONF_PUSH_TITLE, CONF_PUSH_MESSAGE)
    )
    return errors | button_errors(
        user_input, CONF_PUSH_BUTTON_TITLE, CONF_PUSH_BUTTON_ACTION
    )


def _value_error(
    hass: HomeAssistant, state: State | None, user_input: Mapping[str, Any]
) -> str | None:
    """Why the value cannot drive a run, judged by the entity's state now."""
    text = user_input.get(CONF_RUN_VALUE) or ""
    try:
        template = Template(cv.template(text).template, hass) if text else None
    except vol.Invalid:
        return "invalid_template"
    if state is None or state.state in ("unavailable", "unknown"):
        return None  # nothing to judge by yet
    if template is None:
        value: object = state.state
    else:
        try:
            value = template.async_render(
                variables_for(hass, state), parse_result=False
            )
        except TemplateError:
            return "value_not_a_number"
    return None if _number(value) is not None else "value_not_a_number"


def _seconds(value: object) -> float:
    """A duration from the form (hours, minutes, seconds) in seconds; 0 if unreadable."""
    try:
        return float(cv.time_period_dict(value).total_seconds())
    except vol.Invalid:
        return 0.0


def _number(value: object) -> float | None:
    """A finite number (a missing field, "None" or "inf" is none)."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
