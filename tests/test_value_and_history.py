"""The value Live Activity type, and tags and metadata on every Live Activity action.

Through the real core: each action's schema, the type table, the request builder and
the mocked API (whose requests the OpenAPI contract guard checks).
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
import re
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.client.budget import RequestBudget

from .conftest import ACTIVITY_ID, act, sent_bodies, stream_answer
from .tracked_support import (
    StreamServer,
    add_tracked,
    quick_budget,  # noqa: F401 (a fixture)
    settle,
)

STREAM_URL = re.compile(re.escape(f"{API_BASE_URL}/live-activity/stream/") + ".*")
REVENUE = {"title": "Revenue", "type": "value", "value": "$1,240"}


@pytest.fixture(autouse=True)
def no_stream_spacing() -> Generator[None]:
    """About what is sent, not when (see test_budget)."""
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(RequestBudget, stream_spacing=0.0, min_interval=0.0),
    ):
        yield


@pytest.fixture
def stream_api(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    """Stream PUTs answer started, DELETEs ended."""
    aioclient_mock.put(STREAM_URL, json=stream_answer("started", "act-1", "sales"))
    aioclient_mock.delete(STREAM_URL, json=stream_answer("ended", "act-1", "sales"))
    return aioclient_mock


def content_states(aioclient_mock: AiohttpClientMocker) -> list[Any]:
    return [body["content_state"] for body in sent_bodies(aioclient_mock)]


# The value type ---------------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("value", ["$1,240", "007", "21.5 °C", 1240, -3.5, 0])
async def test_a_value_activity_sends_its_value_as_given(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker, value: Any
) -> None:
    """A text keeps its formatting (even one that looks like a number); a number stays one."""
    await act(hass, "start_live_activity", {**REVENUE, "value": value})
    [state] = content_states(lifecycle_api)
    assert state == {**REVENUE, "value": value}
    assert type(state["value"]) is type(value)


@pytest.mark.usefixtures("loaded_entry")
async def test_a_value_activity_takes_badge_color_icon_and_a_second_button(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """What the spec allows the value type, besides its value."""
    button = {"title": "Open", "type": "open_url", "url": "https://x.io/sales"}
    await act(
        hass,
        "start_live_activity",
        {
            **REVENUE,
            "badge": "LIVE",
            "color": "green",
            "icon": "dollarsign.circle",
            "action": button,
            "secondary_action": button,
        },
    )
    [body] = sent_bodies(lifecycle_api)
    assert body["content_state"]["badge"] == {"title": "LIVE"}
    assert body["secondary_action"] == button


@pytest.mark.usefixtures("loaded_entry")
async def test_a_value_update_merges_and_keeps_the_type(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """A partial update changes the readout; title, type and color come along."""
    await act(hass, "start_live_activity", {**REVENUE, "color": "green"})
    await act(hass, "update_live_activity", {"value": "$1,310"})
    await act(hass, "end_live_activity", {"value": 1400})
    assert content_states(lifecycle_api)[1:] == [
        {**REVENUE, "value": "$1,310", "color": "green"},
        {**REVENUE, "value": 1400, "color": "green"},
    ]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        (
            {"upper_limit": 10},
            "field_not_for_type",
            {"field": "upper_limit", "type": "value"},
        ),
        (
            {"percentage": 10},
            "field_not_for_type",
            {"field": "percentage", "type": "value"},
        ),
        ({"value": None}, "field_required", {"field": "value", "type": "value"}),
    ],
)
async def test_a_value_activity_refuses_what_it_does_not_show(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """No upper limit or percentage beside a value; a value activity needs its value."""
    start = {**REVENUE, **data}
    start = {name: value for name, value in start.items() if value is not None}
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "start_live_activity", start)
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == placeholders
    assert sent_bodies(lifecycle_api) == []


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize("value", [True, "", [1], float("nan"), {"a": 1}])
async def test_a_value_that_is_neither_a_number_nor_a_text_is_refused(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker, value: Any
) -> None:
    """A boolean, an empty text, a list or an infinite number is no readout."""
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "start_live_activity", {**REVENUE, "value": value})
    assert raised.value.translation_key == "invalid_field"
    assert raised.value.translation_placeholders["field"] == "value"
    assert sent_bodies(lifecycle_api) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_a_progress_value_from_a_text_field_is_sent_as_a_number(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """The form's text field (or a template) gives "7.5": a progress bar needs 7.5."""
    progress = {"title": "EV", "type": "progress", "value": "7.5", "upper_limit": 60}
    await act(hass, "start_live_activity", progress)
    await act(hass, "update_live_activity", {"value": "8", "upper_limit": "60"})
    assert content_states(lifecycle_api) == [
        {**progress, "value": 7.5},
        {**progress, "value": 8},
    ]


@pytest.mark.usefixtures("loaded_entry")
async def test_a_progress_value_that_is_not_a_number_is_refused_and_explained(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """A formatted text is a value activity's, not a progress bar's."""
    progress = {"title": "EV", "type": "progress", "value": "$7", "upper_limit": 60}
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "start_live_activity", progress)
    assert raised.value.translation_key == "number_required"
    assert raised.value.translation_placeholders == {
        "field": "value",
        "type": "progress",
    }
    assert sent_bodies(lifecycle_api) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_switching_a_value_activity_to_progress_drops_nothing_it_needs(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """From value to progress with a percentage: the old readout is not carried along."""
    await act(hass, "start_live_activity", {**REVENUE, "badge": "LIVE"})
    await act(hass, "update_live_activity", {"type": "progress", "percentage": 40})
    assert content_states(lifecycle_api)[1] == {
        "title": "Revenue",
        "type": "progress",
        "percentage": 40,
        "badge": {"title": "LIVE"},
    }


@pytest.mark.usefixtures("loaded_entry")
async def test_a_value_stream_starts_updates_and_ends(
    hass: HomeAssistant, stream_api: AiohttpClientMocker
) -> None:
    """A stream of the value type: the readout changes, formatting kept."""
    await act(hass, "stream_live_activity", {"stream_key": "sales", **REVENUE})
    await act(hass, "stream_live_activity", {"stream_key": "sales", "value": "$2,000"})
    await act(
        hass, "end_live_activity_stream", {"stream_key": "sales", "value": "$2,100"}
    )
    assert content_states(stream_api) == [
        REVENUE,
        {**REVENUE, "value": "$2,000"},
        {**REVENUE, "value": "$2,100"},
    ]


@pytest.mark.usefixtures("quick_budget")
async def test_a_tracked_entity_shown_as_a_value_keeps_the_rendered_text(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The value type is offered in the flow; its readout is sent as rendered."""
    server = StreamServer(aioclient_mock)
    await async_setup_component(hass, "sensor", {})
    hass.states.async_set("sensor.revenue", "1,240", {"friendly_name": "Revenue"})
    await add_tracked(
        hass,
        loaded_entry,
        "sensor.revenue",
        activity_type="value",
        content={"value": "${{ state }}"},
    )
    await settle(hass, loaded_entry)
    [sent] = server.states()
    assert sent["type"] == "value"
    assert sent["value"] == "$1,240"


# Tags and metadata --------------------------------------------------------------------

TAGS = ["laundry", "Home:Washer", "cycle.60-cotton_1"]
METADATA = {"program": "Cotton 60", "spin": 1400, "eco": True, "load_kg": 7.5}


@pytest.mark.usefixtures("loaded_entry")
async def test_tags_and_metadata_go_beside_content_state_on_every_manual_call(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """Start, update and end send them at the top of the body, as given."""
    history = {"tags": TAGS, "metadata": METADATA}
    await act(hass, "start_live_activity", {**REVENUE, **history})
    await act(hass, "update_live_activity", {"value": "$1,300", **history})
    await act(hass, "end_live_activity", {**history})
    for body in sent_bodies(lifecycle_api):
        assert body["tags"] == TAGS
        assert body["metadata"] == METADATA
        assert "tags" not in body["content_state"]
        assert "metadata" not in body["content_state"]


@pytest.mark.usefixtures("loaded_entry")
async def test_omitted_tags_keep_and_empty_ones_clear(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """They are never merged from an earlier call: omitted is not sent, [] and {} are."""
    await act(hass, "start_live_activity", {**REVENUE, "tags": TAGS})
    await act(hass, "update_live_activity", {"value": "$1,300"})
    await act(hass, "end_live_activity", {"tags": [], "metadata": {}})
    start, update, end = sent_bodies(lifecycle_api)
    assert start["tags"] == TAGS
    assert "tags" not in update
    assert "metadata" not in update
    assert end["tags"] == []
    assert end["metadata"] == {}
    assert end["activity_id"] == ACTIVITY_ID


@pytest.mark.usefixtures("loaded_entry")
async def test_streams_send_tags_and_metadata_on_put_and_delete(
    hass: HomeAssistant, stream_api: AiohttpClientMocker
) -> None:
    """A stream PUT and DELETE carry them; an end with only tags sends only tags."""
    await act(
        hass,
        "stream_live_activity",
        {"stream_key": "sales", **REVENUE, "tags": TAGS, "metadata": METADATA},
    )
    await act(hass, "end_live_activity_stream", {"stream_key": "sales", "tags": []})
    put, delete = sent_bodies(stream_api)
    assert put["tags"] == TAGS
    assert put["metadata"] == METADATA
    assert delete == {"tags": []}


@pytest.mark.usefixtures("loaded_entry")
async def test_a_single_tag_counts_as_a_list_and_a_start_may_have_more_than_20(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """The spec limits only update and end to 20 tags."""
    await act(hass, "start_live_activity", {**REVENUE, "tags": "laundry"})
    many = [f"tag{n}" for n in range(25)]
    await act(hass, "start_live_activity", {**REVENUE, "tags": many})
    assert [body["tags"] for body in sent_bodies(lifecycle_api)] == [["laundry"], many]


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("update_live_activity", {"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ("end_live_activity", {"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ("start_live_activity", {"tags": ["_underscore_first"]}, "tags.0"),
        ("start_live_activity", {"tags": ["x" * 65]}, "tags.0"),
        ("start_live_activity", {"tags": ["two words"]}, "tags.0"),
        ("start_live_activity", {"tags": ["line\n"]}, "tags.0"),
        ("start_live_activity", {"tags": [""]}, "tags.0"),
        ("stream_live_activity", {"stream_key": "s", "tags": ["é"]}, "tags.0"),
        (
            "end_live_activity_stream",
            {"stream_key": "s", "tags": ["a/b"]},
            "tags.0",
        ),
        ("start_live_activity", {"metadata": ["a"]}, "metadata"),
        (
            "start_live_activity",
            {"metadata": {f"k{n}": n for n in range(51)}},
            "metadata",
        ),
        ("start_live_activity", {"metadata": {"note": "x" * 4001}}, "metadata.note"),
        ("start_live_activity", {"metadata": {"n": float("inf")}}, "metadata.n"),
        ("start_live_activity", {"metadata": {"n": None}}, "metadata.n"),
        ("start_live_activity", {"metadata": {"n": {"deep": 1}}}, "metadata.n"),
        (
            "update_live_activity",
            {"metadata": {f"k{n}": "x" * 400 for n in range(41)}},
            "metadata",
        ),
    ],
)
async def test_bad_tags_and_metadata_are_refused_before_sending(
    hass: HomeAssistant,
    lifecycle_api: AiohttpClientMocker,
    action: str,
    data: dict[str, Any],
    field: str,
) -> None:
    """The spec's pattern and limits, and the 16 KB JSON Schema cannot check."""
    base = REVENUE if action in ("start_live_activity", "stream_live_activity") else {}
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, action, {**base, **data})
    assert raised.value.translation_key == "invalid_field"
    assert raised.value.translation_placeholders["field"] == field
    assert sent_bodies(lifecycle_api) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_metadata_at_its_limits_is_sent(
    hass: HomeAssistant, lifecycle_api: AiohttpClientMocker
) -> None:
    """50 entries, a 4000-character text, and just under 16 KB as JSON pass."""
    fifty = {f"k{n:02}": n for n in range(50)}
    await act(hass, "start_live_activity", {**REVENUE, "metadata": fifty})
    # {"k00":"xxx…",…}: 4 entries of 4000 characters plus keys stay within 16384 bytes.
    big = {f"k{n}": "x" * 4000 for n in range(4)}
    await act(hass, "start_live_activity", {**REVENUE, "metadata": big})
    assert [body["metadata"] for body in sent_bodies(lifecycle_api)] == [fifty, big]
