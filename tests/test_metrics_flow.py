"""The "Add widget metric" flow: suggestions, and a translated error for bad input."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.metrics.config import (
    interval_of,
    suggested_key,
)

from .metrics_support import (
    MetricServer,
    add_metric,
    metric_settings_form,
    no_spacing,  # noqa: F401 (a fixture)
    reconfigure_metric,
)
from .tracked_support import suggested

pytestmark = pytest.mark.usefixtures("no_spacing")


@pytest.fixture
def server(aioclient_mock: AiohttpClientMocker) -> MetricServer:
    return MetricServer(aioclient_mock)


@pytest.mark.parametrize(
    ("settings", "errors"),
    [
        ({"key": "Indoor Temp"}, {"key": "invalid_metric_key"}),
        ({"key": "-indoor"}, {"key": "invalid_metric_key"}),
        ({"key": "a" * 65}, {"key": "invalid_metric_key"}),
        ({"decimals": -1}, {"decimals": "invalid_decimals"}),
        ({"decimals": 7}, {"decimals": "invalid_decimals"}),
        ({"decimals": 1.5}, {"decimals": "invalid_decimals"}),
        ({"interval": 0.5}, {"interval": "invalid_interval"}),
        ({"interval": -10}, {"interval": "invalid_interval"}),
        ({"interval": 1e9}, {"interval": "invalid_interval"}),
        ({"value_template": "{{ state "}, {"value_template": "invalid_template"}),
        (
            {"value_template": "{{ 'warm' }}"},
            {"value_template": "template_not_a_number"},
        ),
        (
            {"value_template": "{{ states.nope.x.y }}"},
            {"value_template": "template_not_a_number"},
        ),
        (
            {"value_template": "{{ 1 / 0 }}"},
            {"value_template": "template_not_a_number"},
        ),
    ],
)
async def test_bad_settings_are_refused_with_a_translated_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    settings: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """The form comes back with the error beside its field; nothing is created."""
    hass.states.async_set("sensor.indoor", "21.5")
    result = await metric_settings_form(hass, loaded_entry, "sensor.indoor", **settings)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert not loaded_entry.subentries


async def test_an_entity_whose_state_is_no_number_needs_a_value_template(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """A climate's state is its mode: a template gives its number."""
    hass.states.async_set("climate.hall", "heat", {"current_temperature": 19})
    result = await metric_settings_form(hass, loaded_entry, "climate.hall")
    assert result["errors"] == {"base": "entity_not_numeric"}


async def test_an_entity_without_a_value_yet_can_be_added(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """Its value is sent once it has one; nothing before."""
    hass.states.async_set("sensor.later", "unavailable")
    await add_metric(hass, loaded_entry, "sensor.later", value_template="{{ 1 }}")
    await add_metric(hass, loaded_entry, "sensor.later_too")
    assert server.metrics == []
    hass.states.async_set("sensor.later_too", "3")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.metrics == [("later_too", 3)]


async def test_the_key_and_decimals_are_suggested_from_the_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    entity_registry: er.EntityRegistry,
) -> None:
    """The key from the entity id; the decimals from its display precision."""
    entity = entity_registry.async_get_or_create(
        "sensor", "demo", "solar-1", suggested_object_id="Solar Power"
    )
    entity_registry.async_update_entity_options(
        entity.entity_id, "sensor", {"suggested_display_precision": 2}
    )
    hass.states.async_set(entity.entity_id, "1234.5")
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (loaded_entry.entry_id, "tracked_metric"), context={"source": "user"}
    )
    result = await flows.async_configure(
        result["flow_id"], {"entity_id": entity.entity_id}
    )
    assert suggested(result) == {
        "key": "solar_power",
        "decimals": 2,
        "interval": 60.0,
    }
    entity_registry.async_update_entity_options(
        entity.entity_id, "sensor", {"display_precision": 0}
    )
    result = await flows.async_init(
        (loaded_entry.entry_id, "tracked_metric"), context={"source": "user"}
    )
    result = await flows.async_configure(
        result["flow_id"], {"entity_id": entity.entity_id}
    )
    assert suggested(result)["decimals"] == 0


@pytest.mark.parametrize(
    ("state", "decimals"), [("21.25", 2), ("7", 0), ("0.1234567", 6)]
)
async def test_without_a_display_precision_the_state_suggests_the_decimals(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    server: MetricServer,
    state: str,
    decimals: int,
) -> None:
    """As many as the state has now, at most six."""
    hass.states.async_set("input_number.level", state)
    flows = hass.config_entries.subentries
    result = await flows.async_init(
        (loaded_entry.entry_id, "tracked_metric"), context={"source": "user"}
    )
    result = await flows.async_configure(
        result["flow_id"], {"entity_id": "input_number.level"}
    )
    assert suggested(result)["decimals"] == decimals


@pytest.mark.parametrize(
    ("entity_id", "key"),
    [
        ("sensor.indoor_temperature", "indoor_temperature"),
        ("sensor.Living-Room Temp", "living-room_temp"),
        ("sensor.__x", "x"),
        ("sensor.___", "metric"),
        (f"sensor.{'a' * 80}", "a" * 64),
    ],
)
def test_a_suggested_key_is_always_one_the_api_takes(entity_id: str, key: str) -> None:
    """Lowercase, allowed characters, a letter or digit first, 64 at most."""
    assert suggested_key(entity_id) == key


@pytest.mark.parametrize(
    ("stored", "interval"),
    [(None, 60.0), ("x", 60.0), (float("nan"), 60.0), (0.2, 1.0), (1e9, 86400.0)],
)
def test_a_stored_interval_is_read_within_its_bounds(
    stored: Any, interval: float
) -> None:
    """Data written by hand or by another version never breaks the pacing."""
    assert interval_of(stored) == interval


async def test_two_widget_metrics_cannot_share_a_key(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """They would overwrite each other; reconfiguring one keeps its own key."""
    hass.states.async_set("sensor.a", "1")
    hass.states.async_set("sensor.b", "2")
    subentry_id = await add_metric(hass, loaded_entry, "sensor.a", key="shared")
    result = await metric_settings_form(hass, loaded_entry, "sensor.b", key="shared")
    assert result["errors"] == {"key": "metric_key_in_use"}
    result = await reconfigure_metric(hass, loaded_entry, subentry_id, decimals=2)
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.subentries[subentry_id].data["key"] == "shared"


async def test_reconfigure_to_another_entity_suggests_its_own_key(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, server: MetricServer
) -> None:
    """The previous entity's answers are not carried over; the title follows."""
    hass.states.async_set("sensor.a", "1", {"friendly_name": "Alpha"})
    hass.states.async_set("sensor.b", "2", {"friendly_name": "Beta"})
    subentry_id = await add_metric(
        hass, loaded_entry, "sensor.a", value_template="{{ 5 }}"
    )
    await reconfigure_metric(hass, loaded_entry, subentry_id, entity_id="sensor.b")
    subentry = loaded_entry.subentries[subentry_id]
    assert subentry.data["key"] == "b"
    assert "value_template" not in subentry.data
    assert subentry.title == "Beta"
    assert server.metrics[-1] == ("b", 2)
