"""The content table's edges: the bounds, empty texts and names the README promises.

Values are written out here rather than read from the table, so a changed table cannot
agree with its own test.
"""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import ServiceValidationError
import pytest
import voluptuous as vol

from custom_components.activitysmith import content
from custom_components.activitysmith.content import FIELDS

from .conftest import EXAMPLE_CONTENT

README_COLORS = [
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
]


def shape(field: str, value: Any) -> Any:
    """`value` as the field's shape accepts it (raises vol.Invalid if it does not)."""
    return vol.Schema(FIELDS[field])(value)


@pytest.mark.parametrize("color", README_COLORS)
def test_every_color_the_readme_names_is_accepted_wherever_a_color_goes(
    color: str,
) -> None:
    """Activity, step, steps, metric and icon colors all take the ten names."""
    assert shape("color", color) == color
    assert shape("step_color", color) == color
    assert shape("step_colors", [color, "red"]) == [color, "red"]
    metric = {"label": "L", "value": 1, "color": color}
    assert shape("metrics", [metric]) == [metric]
    assert shape("icon", {"symbol": "bolt", "color": color}) == {
        "symbol": "bolt",
        "color": color,
    }
    assert shape("badge", {"title": "B", "color": color}) == {
        "title": "B",
        "color": color,
    }


@pytest.mark.parametrize("field", ["color", "step_color"])
@pytest.mark.parametrize("color", ["", "Red", "pink", "grey"])
def test_a_color_outside_the_ten_names_is_rejected(field: str, color: str) -> None:
    """No empty name, no other spelling."""
    with pytest.raises(vol.Invalid):
        shape(field, color)


@pytest.mark.parametrize(
    "value", [0, 0.0, 0.001, 0.5, 0.99, 1, 21.5, 10**6, "x", "-3 °C", "x" * 64]
)
def test_a_metric_value_is_any_number_from_zero_or_a_short_text(value: Any) -> None:
    """Fractions below 1 are numbers like any other; a text of 1 to 64 characters."""
    metric = {"label": "L", "value": value}
    assert shape("metrics", [metric]) == [metric]


@pytest.mark.parametrize("value", [-0.001, -0.5, -1, "", "x" * 65, None, True, []])
def test_a_metric_value_below_zero_empty_or_too_long_is_rejected_and_explained(
    value: Any,
) -> None:
    """The message says what a metric value may be."""
    with pytest.raises(vol.Invalid) as raised:
        shape("metrics", [{"label": "L", "value": value}])
    assert "expected a number of at least 0, or a text of 1 to 64 characters" in str(
        raised.value
    )


@pytest.mark.parametrize("count", [1, 8])
def test_one_to_eight_metrics_are_accepted(count: int) -> None:
    """The API shows up to eight."""
    metrics = [{"label": f"L{n}", "value": n} for n in range(count)]
    assert shape("metrics", metrics) == metrics


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("message", ""),
        ("icon", ""),
        ("icon", {"symbol": ""}),
        ("badge", ""),
        ("badge", {"title": ""}),
        ("metrics", [{"label": "", "value": 1}]),
    ],
)
def test_an_empty_text_is_rejected_where_the_phone_would_show_nothing(
    field: str, value: Any
) -> None:
    """Titles, messages, symbols, badges and labels need at least one character."""
    with pytest.raises(vol.Invalid):
        shape(field, value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", "T", "T"),
        ("message", "M", "M"),
        ("icon", "x", {"symbol": "x"}),
        ("icon", {"symbol": "x"}, {"symbol": "x"}),
        ("badge", "B", {"title": "B"}),
        ("badge", {"title": "B"}, {"title": "B"}),
        ("metrics", [{"label": "L", "value": "v"}], [{"label": "L", "value": "v"}]),
    ],
)
def test_a_single_character_is_text_enough(
    field: str, value: Any, expected: Any
) -> None:
    """The shortest text that is not empty passes."""
    assert shape(field, value) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number_of_steps", 1),
        ("current_step", 0),
        ("percentage", 0),
        ("percentage", 0.5),
        ("percentage", 100),
        ("value", 0),
        ("upper_limit", 0.5),
        ("duration_seconds", 0.5),
    ],
)
def test_the_lowest_and_highest_values_a_field_allows_pass(
    field: str, value: Any
) -> None:
    """Bounds are inclusive where the spec says "at least", exclusive for "above"."""
    assert shape(field, value) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number_of_steps", 0),
        ("current_step", -1),
        ("percentage", -0.5),
        ("percentage", 100.5),
        ("upper_limit", 0),
        ("duration_seconds", 0),
    ],
)
def test_just_past_the_bounds_is_rejected(field: str, value: Any) -> None:
    """One step outside each bound fails."""
    with pytest.raises(vol.Invalid):
        shape(field, value)


def test_the_last_step_of_a_segmented_progress_is_valid() -> None:
    """`current_step` may equal `number_of_steps` (the README's "done" step)."""
    state = {**EXAMPLE_CONTENT["segmented_progress"], "current_step": 3}
    content.validate(state, "end", {})


@pytest.mark.parametrize(
    ("amount", "key", "placeholders"),
    [
        ({}, "progress_amount_required", {}),
        ({"value": 3}, "fields_together", {"field": "value", "other": "upper_limit"}),
        (
            {"upper_limit": 9},
            "fields_together",
            {"field": "upper_limit", "other": "value"},
        ),
    ],
    ids=["nothing", "value alone", "upper_limit alone"],
)
def test_a_progress_without_either_form_of_amount_says_what_it_needs(
    amount: dict[str, Any], key: str, placeholders: dict[str, str]
) -> None:
    """No amount: `percentage`, or `value` with `upper_limit`; half a pair: its partner."""
    state = {"title": "T", "type": "progress", **amount}
    with pytest.raises(ServiceValidationError) as raised:
        content.validate(state, "start", {})
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == placeholders


@pytest.mark.parametrize(
    "amount", [{"percentage": 40}, {"value": 3, "upper_limit": 10}]
)
def test_a_progress_with_either_form_of_amount_is_valid(
    amount: dict[str, Any],
) -> None:
    """Either form of the amount is enough."""
    content.validate({"title": "T", "type": "progress", **amount}, "start", {})


@pytest.mark.parametrize("activity_type", ["segmented_progress", "progress", "alert"])
def test_a_second_button_is_accepted_by_the_types_that_show_it(
    activity_type: str,
) -> None:
    """Segmented progress, progress and alert show a secondary action."""
    content.validate(
        dict(EXAMPLE_CONTENT[activity_type]),
        "start",
        {"secondary_action": {"title": "B", "type": "open_url", "url": "https://e.x"}},
    )
