"""The Live Activity type table and everything it drives.

`FIELDS` gives the shape of every `content_state` field (the API's own names, flat in the
action data); `ACTIVITY_TYPES` says which fields each type uses and which rules its content
must follow. Validation, partial-update merging and the request builder all read these two
tables, so a new field or type is a row here plus its translations, never a new code path.
A broken rule is raised here as a translated `ServiceValidationError` naming the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .const import ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS, DOMAIN
from .validators import (
    CHANNELS,
    NON_EMPTY_TEXT,
    action_button,
    metadata,
    number,
    tags,
    target_of,
    text,
    whole_number,
)

type Content = dict[str, Any]
type Phase = Literal["start", "update", "end"]

COLORS: Final = (
    "lime",
    "green",
    "cyan",
    "blue",
    "purple",
    "magenta",
    "red",
    "orange",
    "yellow",
    "gray",
)
MAX_METRICS: Final = 8
MAX_METRIC_TEXT: Final = 64


def _broken_rule(translation_key: str, **placeholders: str) -> ServiceValidationError:
    """The translated error for content that breaks a rule of its type."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )


def _symbol_or_object(key: str) -> vol.Any:
    """`{key: text, color?}`, where a plain string stands for `{key: string}`."""
    return vol.Any(
        vol.All(text(min_length=1), lambda value: {key: value}),
        vol.Schema(
            {vol.Required(key): text(min_length=1), vol.Optional("color"): COLOR}
        ),
    )


COLOR: Final = vol.In(COLORS)
FINITE_NUMBER: Final = number()
# A metric shows a number >= 0 or a short text; a negative reading goes as text ("-3").
METRIC_VALUE: Final = vol.Any(
    vol.All(vol.Any(int, float), number(minimum=0)),
    vol.All(str, vol.Length(min=1, max=MAX_METRIC_TEXT)),
    msg="expected a number of at least 0, or a text of 1 to 64 characters",
)


def _readout(value: Any) -> float | int | str:
    """A value activity's readout: a finite number, or a text sent as written.

    Text keeps its formatting ("$1,240", "21.5 °C", "007"); a boolean is neither. A
    progress bar's value must be a number: its type's rule turns a numeric text into one.
    """
    if isinstance(value, bool):
        raise vol.Invalid("expected a finite number, or a text")
    if isinstance(value, int | float):
        return FINITE_NUMBER(value)
    try:
        readout: str = NON_EMPTY_TEXT(value)
    except vol.Invalid as err:
        raise vol.Invalid("expected a finite number, or a text") from err
    return readout


ALERT: Final = vol.Schema(
    {vol.Optional("title"): cv.string, vol.Optional("body"): cv.string}
)

# The shape of every content_state field, by its API name.
FIELDS: Final[dict[str, Any]] = {
    "title": NON_EMPTY_TEXT,
    "subtitle": cv.string,
    "type": vol.In(
        (
            "segmented_progress",
            "progress",
            "metrics",
            "stats",
            "alert",
            "timer",
            "value",
        )
    ),
    "number_of_steps": whole_number(minimum=1),
    "current_step": whole_number(minimum=0),
    "percentage": number(minimum=0, maximum=100),
    "value": _readout,
    "upper_limit": number(above=0),
    "duration_seconds": number(above=0),
    "counts_down": cv.boolean,
    "is_running": cv.boolean,
    "metrics": vol.All(
        cv.ensure_list,
        [
            vol.Schema(
                {
                    vol.Required("label"): NON_EMPTY_TEXT,
                    vol.Required("value"): METRIC_VALUE,
                    vol.Optional("unit"): cv.string,
                    vol.Optional("color"): COLOR,
                }
            )
        ],
        vol.Length(min=1, max=MAX_METRICS),
    ),
    "message": NON_EMPTY_TEXT,
    "icon": _symbol_or_object("symbol"),
    "badge": _symbol_or_object("title"),
    "color": COLOR,
    "step_color": COLOR,
    "step_colors": vol.All(cv.ensure_list, [COLOR]),
}
# Request-level fields that sit beside content_state.
REQUEST_FIELDS: Final[dict[str, Any]] = {
    "action": action_button,
    "secondary_action": action_button,
    "alert": ALERT,
    "channels": CHANNELS,
    # Sent as given, never merged: omitted keeps them, [] or {} clears them.
    "tags": tags(),
    "metadata": metadata,
}
# Update and end take at most 20 tags.
MAX_CHANGE_TAGS: Final = 20
COMMON_FIELDS: Final = frozenset({"title", "subtitle", "type", "icon"})


# Rules on a whole content state -------------------------------------------------

type Rule = Callable[[str, Content, Phase], None]


def requires(*names: str) -> Rule:
    """Every one of `names` must be present."""

    def check(activity_type: str, content: Content, phase: Phase) -> None:
        for name in names:
            if name not in content:
                raise _broken_rule("field_required", field=name, type=activity_type)

    return check


def _progress_needs_amount(activity_type: str, content: Content, phase: Phase) -> None:
    """A progress bar needs how far it is: a percentage, or a value of an upper limit."""
    if "percentage" not in content and not {"value", "upper_limit"} <= content.keys():
        raise _broken_rule("progress_amount_required")


def _countdown_needs_duration(
    activity_type: str, content: Content, phase: Phase
) -> None:
    """A timer that counts down must know from where, when it starts."""
    if (
        phase == "start"
        and content.get("counts_down", True)
        and "duration_seconds" not in content
    ):
        raise _broken_rule("countdown_needs_duration")


def _title_required(activity_type: str, content: Content, phase: Phase) -> None:
    """The API needs a title in every content state, not only the first."""
    if "title" not in content:
        raise _broken_rule("title_required")


def _value_with_upper_limit(activity_type: str, content: Content, phase: Phase) -> None:
    for name, other in (("value", "upper_limit"), ("upper_limit", "value")):
        if name in content and other not in content:
            raise _broken_rule("fields_together", field=name, other=other)


def _step_within_steps(activity_type: str, content: Content, phase: Phase) -> None:
    steps, step = content.get("number_of_steps"), content.get("current_step")
    if steps is not None and step is not None and step > steps:
        raise _broken_rule(
            "step_out_of_range", current_step=str(step), number_of_steps=str(steps)
        )


# Rules that hold for every content state, whatever its type.
GENERAL_RULES: Final[tuple[Rule, ...]] = (_title_required, _step_within_steps)


@dataclass(frozen=True, slots=True)
class ActivityType:
    """What one Live Activity type takes and requires."""

    fields: frozenset[str]
    rules: tuple[Rule, ...] = ()
    # Field groups that replace one another: setting one drops the others' old values.
    alternatives: tuple[frozenset[str], ...] = ()
    # Fields that are commands rather than state, never repeated from an earlier call.
    one_shot: frozenset[str] = frozenset()
    secondary_action: bool = False
    # Fields whose shape this type narrows: (name, validator), applied before the rules.
    narrowed: tuple[tuple[str, Callable[[Any], Any]], ...] = ()


ACTIVITY_TYPES: Final[dict[str, ActivityType]] = {
    "segmented_progress": ActivityType(
        fields=frozenset(
            {
                "number_of_steps",
                "current_step",
                "color",
                "step_color",
                "step_colors",
                "badge",
            }
        ),
        rules=(requires("number_of_steps", "current_step"),),
        secondary_action=True,
    ),
    "progress": ActivityType(
        fields=frozenset({"percentage", "value", "upper_limit", "color", "badge"}),
        rules=(_value_with_upper_limit, _progress_needs_amount),
        alternatives=(frozenset({"percentage"}), frozenset({"value", "upper_limit"})),
        secondary_action=True,
        # A bar fills by a number; a numeric text from a form or template becomes one.
        narrowed=(("value", FINITE_NUMBER),),
    ),
    "metrics": ActivityType(
        fields=frozenset({"metrics", "color"}), rules=(requires("metrics"),)
    ),
    "stats": ActivityType(fields=frozenset({"metrics"}), rules=(requires("metrics"),)),
    "alert": ActivityType(
        fields=frozenset({"message", "color", "badge"}),
        rules=(requires("message"),),
        secondary_action=True,
    ),
    "timer": ActivityType(
        fields=frozenset({"duration_seconds", "counts_down", "is_running", "color"}),
        rules=(_countdown_needs_duration,),
        one_shot=frozenset({"duration_seconds"}),
    ),
    "value": ActivityType(
        fields=frozenset({"value", "color", "badge"}),
        rules=(requires("value"),),
        secondary_action=True,
    ),
}


# What the actions do with the table -----------------------------------------------


def content_of(data: Mapping[str, Any]) -> Content:
    """The content_state fields present in flat action data, in table order."""
    return {name: data[name] for name in FIELDS if name in data}


def merge(last: Mapping[str, Any] | None, changes: Content) -> Content:
    """Fill a partial update from the last state sent, as the phone still shows it.

    Only fields the (possibly new) type uses are carried over; one-shot fields never
    are; and setting one of a group of alternatives (percentage versus value with
    upper_limit) drops the old values of the others, so the change is what shows.
    """
    if not last:
        return dict(changes)
    activity_type = changes.get("type", last.get("type"))
    row = ACTIVITY_TYPES.get(activity_type) if activity_type else None
    carried = {
        name: value
        for name, value in last.items()
        if name not in changes
        and (row is None or name in COMMON_FIELDS or name in row.fields)
        and (row is None or name not in row.one_shot)
    }
    alternatives = row.alternatives if row else ()
    for group in alternatives:
        if group & changes.keys():
            for other in alternatives:
                for name in other - group - changes.keys():
                    carried.pop(name, None)
    merged = {**carried, **changes}
    return {name: merged[name] for name in FIELDS if name in merged}


def validate(content: Content, phase: Phase, request: Mapping[str, Any]) -> Content:
    """Check the meaning of a complete content state (and its buttons) for its type.

    Return the content state to send: the fields its type narrows in their narrower
    shape (a progress bar's numeric text as a number). Raise a translated
    `ServiceValidationError` for the first broken rule. Without a known type only the
    rules every type shares can be checked; the API then applies the activity's own type.
    """
    activity_type: str = content.get("type", "")
    row = ACTIVITY_TYPES.get(activity_type)
    checked = dict(content)
    if row is not None:
        for name in content:
            if name not in COMMON_FIELDS and name not in row.fields:
                raise _broken_rule("field_not_for_type", field=name, type=activity_type)
        if "secondary_action" in request and not row.secondary_action:
            raise _broken_rule(
                "field_not_for_type", field="secondary_action", type=activity_type
            )
        for name, shape in row.narrowed:
            if name in checked:
                try:
                    checked[name] = shape(checked[name])
                except vol.Invalid as err:
                    raise _broken_rule(
                        "number_required", field=name, type=activity_type
                    ) from err
    for rule in (*GENERAL_RULES, *(row.rules if row else ())):
        rule(activity_type, checked, phase)
    return checked


def with_auto_dismiss(content: Content, data: Mapping[str, Any]) -> Content:
    """The content state to send at an end: plus how long it stays visible."""
    dismiss = {
        name: data[name]
        for name in (ATTR_AUTO_DISMISS_MINUTES, ATTR_AUTO_DISMISS_SECONDS)
        if name in data
    }
    return {**content, **dismiss}


# The request-level fields a body carries as they are (channels are shaped apart).
REQUEST_FIELDS_SENT: Final = ("action", "secondary_action", "alert", "tags", "metadata")


def request_body(
    content: Content | None,
    data: Mapping[str, Any],
    *,
    channels_key: str | None = None,
) -> dict[str, Any]:
    """The JSON body: content_state (if any) plus the request-level fields in `data`.

    `channels_key` is where channels go ("target" nests them as the manual lifecycle
    endpoints want, "channels" is the streams' flat form); None when not accepted.
    """
    body: dict[str, Any] = {} if content is None else {"content_state": content}
    for name in REQUEST_FIELDS_SENT:
        if name in data:
            body[name] = data[name]
    if channels_key == "target":
        body |= target_of(data)
    elif channels_key == "channels" and "channels" in data:
        body["channels"] = data["channels"]
    return body
