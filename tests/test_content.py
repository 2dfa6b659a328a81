"""The type table: every rule of every type, driven by the table itself."""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import ServiceValidationError
import pytest
import voluptuous as vol

from custom_components.activitysmith import content
from custom_components.activitysmith.content import (
    ACTIVITY_TYPES,
    COMMON_FIELDS,
    FIELDS,
)

from .conftest import EXAMPLE_CHANGE, EXAMPLE_CONTENT

# A valid value for every field, so any field can be added to any content.
SAMPLE_VALUE: dict[str, Any] = {
    "title": "T",
    "subtitle": "S",
    "type": "alert",
    "number_of_steps": 4,
    "current_step": 1,
    "percentage": 10,
    "value": 1,
    "upper_limit": 2,
    "duration_seconds": 5,
    "counts_down": True,
    "is_running": True,
    "metrics": [{"label": "L", "value": 1}],
    "message": "M",
    "icon": {"symbol": "bolt"},
    "badge": {"title": "B"},
    "color": "red",
    "step_color": "red",
    "step_colors": ["red"],
}


def test_every_type_has_an_example_and_every_field_a_sample() -> None:
    """The test tables cover the whole content table."""
    assert EXAMPLE_CONTENT.keys() == ACTIVITY_TYPES.keys() == EXAMPLE_CHANGE.keys()
    assert SAMPLE_VALUE.keys() == FIELDS.keys()


@pytest.mark.parametrize("activity_type", ACTIVITY_TYPES)
def test_each_example_passes_every_rule(activity_type: str) -> None:
    """The example of each type is valid to start, update and end."""
    for phase in ("start", "update", "end"):
        content.validate(dict(EXAMPLE_CONTENT[activity_type]), phase, {})


@pytest.mark.parametrize(
    ("activity_type", "field"),
    [
        (activity_type, field)
        for activity_type, row in ACTIVITY_TYPES.items()
        for field in sorted(FIELDS.keys() - COMMON_FIELDS - row.fields)
    ],
)
def test_a_field_the_type_does_not_use_is_an_error(
    activity_type: str, field: str
) -> None:
    """Fields outside a type's row are rejected, never silently dropped."""
    state = {**EXAMPLE_CONTENT[activity_type], field: SAMPLE_VALUE[field]}
    with pytest.raises(ServiceValidationError) as raised:
        content.validate(state, "start", {})
    assert raised.value.translation_key == "field_not_for_type"
    assert raised.value.translation_placeholders == {
        "field": field,
        "type": activity_type,
    }


@pytest.mark.parametrize(
    ("activity_type", "field"),
    [
        (activity_type, field)
        for activity_type, row in ACTIVITY_TYPES.items()
        for field in sorted(row.fields)
    ],
)
def test_every_field_of_a_row_is_accepted_by_its_type(
    activity_type: str, field: str
) -> None:
    """Each field a row names passes the rules (with what it needs beside it)."""
    state = {**EXAMPLE_CONTENT[activity_type], field: SAMPLE_VALUE[field]}
    if activity_type == "progress" and field in ("value", "upper_limit"):
        state.update(value=1, upper_limit=2)
    content.validate(state, "start", {})


@pytest.mark.parametrize(
    ("activity_type", "missing", "key"),
    [
        ("segmented_progress", "number_of_steps", "field_required"),
        ("segmented_progress", "current_step", "field_required"),
        ("progress", "percentage", "progress_amount_required"),
        ("metrics", "metrics", "field_required"),
        ("stats", "metrics", "field_required"),
        ("alert", "message", "field_required"),
        ("timer", "duration_seconds", "countdown_needs_duration"),
        ("value", "value", "field_required"),
        ("alert", "title", "title_required"),
    ],
)
def test_a_start_without_a_required_field_is_an_error(
    activity_type: str, missing: str, key: str
) -> None:
    """Each type names what it cannot start without."""
    state = dict(EXAMPLE_CONTENT[activity_type])
    del state[missing]
    with pytest.raises(ServiceValidationError) as raised:
        content.validate(state, "start", {})
    assert raised.value.translation_key == key


def test_progress_accepts_value_with_upper_limit_instead_of_percentage() -> None:
    """Either form of progress is complete."""
    content.validate(
        {"title": "T", "type": "progress", "value": 3, "upper_limit": 10}, "start", {}
    )


@pytest.mark.parametrize(
    ("given", "other"), [("value", "upper_limit"), ("upper_limit", "value")]
)
def test_value_and_upper_limit_go_together(given: str, other: str) -> None:
    """On a progress bar, one without the other is an error."""
    with pytest.raises(ServiceValidationError) as raised:
        content.validate({"title": "T", "type": "progress", given: 3}, "update", {})
    assert raised.value.translation_placeholders == {"field": given, "other": other}


def test_current_step_cannot_exceed_number_of_steps() -> None:
    """The step must lie within the steps."""
    state = {**EXAMPLE_CONTENT["segmented_progress"], "current_step": 4}
    with pytest.raises(ServiceValidationError) as raised:
        content.validate(state, "update", {})
    assert raised.value.translation_placeholders == {
        "current_step": "4",
        "number_of_steps": "3",
    }


def test_timer_counting_up_needs_no_duration() -> None:
    """counts_down false starts at 00:00 without a duration."""
    content.validate({"title": "T", "type": "timer", "counts_down": False}, "start", {})


def test_timer_update_may_leave_the_duration_out() -> None:
    """Leaving duration_seconds out of an update keeps the running timer."""
    content.validate({"title": "T", "type": "timer", "is_running": False}, "update", {})


@pytest.mark.parametrize("activity_type", ["metrics", "stats", "timer"])
def test_secondary_action_only_on_types_that_show_it(activity_type: str) -> None:
    """A second button only exists on alert, progress and segmented progress."""
    with pytest.raises(ServiceValidationError) as raised:
        content.validate(
            dict(EXAMPLE_CONTENT[activity_type]), "start", {"secondary_action": {}}
        )
    assert raised.value.translation_placeholders["field"] == "secondary_action"


def test_unknown_type_checks_only_the_general_rules() -> None:
    """An update of an activity started elsewhere cannot know its type."""
    content.validate({"title": "T", "current_step": 2, "message": "x"}, "update", {})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number_of_steps", 0),
        ("number_of_steps", 2.5),
        ("current_step", -1),
        ("percentage", 101),
        ("percentage", float("nan")),
        ("percentage", "lots"),
        ("percentage", True),
        ("percentage", None),
        ("upper_limit", 0),
        ("duration_seconds", 0),
        ("duration_seconds", float("inf")),
        ("metrics", []),
        ("metrics", [{"label": "L", "value": 1}] * 9),
        ("metrics", [{"label": "L", "value": -1}]),
        ("metrics", [{"label": "L", "value": "x" * 65}]),
        ("metrics", [{"label": "", "value": 1}]),
        ("message", ""),
        ("title", ""),
        ("color", "pink"),
        ("step_colors", ["red", "pink"]),
        ("icon", {"color": "red"}),
        ("icon", ""),
        ("badge", {"title": "B", "size": 3}),
        ("type", "gauge"),
    ],
)
def test_field_shapes_reject_bad_values(field: str, value: Any) -> None:
    """Each field's shape follows the spec's bounds and enums."""
    with pytest.raises(vol.Invalid):
        vol.Schema(FIELDS[field])(value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("number_of_steps", "3", 3),
        ("number_of_steps", 3.0, 3),
        ("percentage", "42.5", 42.5),
        ("percentage", 50.0, 50),
        ("value", -3, -3),
        (
            "metrics",
            {"label": "L", "value": "21 °C"},
            [{"label": "L", "value": "21 °C"}],
        ),
        ("icon", "washer.fill", {"symbol": "washer.fill"}),
        (
            "icon",
            {"symbol": "bolt", "color": "red"},
            {"symbol": "bolt", "color": "red"},
        ),
        ("badge", "LIVE", {"title": "LIVE"}),
        ("counts_down", "off", False),
        ("step_colors", "red", ["red"]),
    ],
)
def test_field_shapes_normalise_template_friendly_values(
    field: str, value: Any, expected: Any
) -> None:
    """Strings from templates and plain strings for objects become what the API wants."""
    assert vol.Schema(FIELDS[field])(value) == expected


@pytest.mark.parametrize(
    ("button", "ok"),
    [
        ({"title": "Open", "type": "open_url", "url": "https://example.com/x"}, True),
        (
            {
                "title": "Run",
                "type": "open_url",
                "url": "shortcuts://run-shortcut?name=A",
            },
            True,
        ),
        (
            {
                "title": "Hook",
                "type": "webhook",
                "url": "https://example.com",
                "method": "GET",
            },
            True,
        ),
        (
            {
                "title": "Hook",
                "type": "webhook",
                "url": "https://e.com",
                "body": {"a": 1},
            },
            True,
        ),
        ({"title": "Open", "type": "open_url", "url": "http://192.168.1.5:8123"}, True),
        ({"title": "Hook", "type": "webhook", "url": "http://example.com"}, False),
        ({"title": "Open", "type": "open_url", "url": "ftp://example.com"}, False),
        (
            {"title": "Hook", "type": "webhook", "url": "shortcuts://run-shortcut"},
            False,
        ),
        (
            {
                "title": "Open",
                "type": "open_url",
                "url": "https://e.com",
                "method": "GET",
            },
            False,
        ),
        ({"title": "Open", "type": "open_url", "url": "https://"}, False),
        ({"title": "Open", "type": "call", "url": "https://e.com"}, False),
        ({"type": "open_url", "url": "https://e.com"}, False),
    ],
)
def test_action_buttons_follow_the_url_rules(button: dict[str, Any], ok: bool) -> None:
    """open_url takes http(s) or shortcuts, webhook only https, method/body only webhook."""
    validate = content.REQUEST_FIELDS["action"]
    if ok:
        assert validate(button) == button
    else:
        with pytest.raises(vol.Invalid):
            validate(button)


def test_merge_fills_a_partial_update_from_the_last_state() -> None:
    """Fields left out keep the value the phone shows."""
    last = EXAMPLE_CONTENT["segmented_progress"]
    assert content.merge(last, {"current_step": 2}) == {**last, "current_step": 2}


def test_merge_without_a_last_state_is_the_change() -> None:
    """An activity this entry never saw is sent as given."""
    assert content.merge(None, {"title": "T"}) == {"title": "T"}


@pytest.mark.parametrize(
    ("last", "change", "expected"),
    [
        (
            {"title": "T", "type": "progress", "percentage": 10},
            {"value": 3, "upper_limit": 10},
            {"title": "T", "type": "progress", "value": 3, "upper_limit": 10},
        ),
        (
            {"title": "T", "type": "progress", "value": 3, "upper_limit": 10},
            {"percentage": 50},
            {"title": "T", "type": "progress", "percentage": 50},
        ),
        (
            {"title": "T", "type": "progress", "value": 3, "upper_limit": 10},
            {"value": 5},
            {"title": "T", "type": "progress", "value": 5, "upper_limit": 10},
        ),
    ],
)
def test_merge_lets_one_progress_form_replace_the_other(
    last: dict[str, Any], change: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Percentage would take precedence on the phone, so switching forms drops it."""
    assert content.merge(last, change) == expected


def test_merge_never_repeats_a_timer_duration() -> None:
    """Sending duration_seconds again would restart the timer."""
    last = EXAMPLE_CONTENT["timer"]
    assert content.merge(last, {"is_running": False}) == {
        "title": "Pizza",
        "type": "timer",
        "is_running": False,
    }


def test_merge_to_another_type_drops_fields_it_does_not_use() -> None:
    """Changing type keeps the common fields only."""
    last = {**EXAMPLE_CONTENT["segmented_progress"], "icon": {"symbol": "bolt"}}
    assert content.merge(last, {"type": "alert", "message": "Done"}) == {
        "title": "Nightly backup",
        "type": "alert",
        "message": "Done",
        "icon": {"symbol": "bolt"},
        "color": "yellow",
    }


def test_request_body_places_channels_where_the_endpoint_wants_them() -> None:
    """Manual endpoints nest them in target; streams take them flat; others drop them."""
    data = {"channels": ["family"], "alert": {"title": "A"}}
    state = {"title": "T"}
    assert content.request_body(state, data, channels_key="target") == {
        "content_state": state,
        "alert": {"title": "A"},
        "target": {"channels": ["family"]},
    }
    assert content.request_body(state, data, channels_key="channels")["channels"] == [
        "family"
    ]
    assert "channels" not in content.request_body(state, data)
