"""The config flow: add a key, every error and its recovery, reauth and reconfigure."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.config_flow import API_KEY_SCHEMA, unique_id_for
from custom_components.activitysmith.const import DOMAIN

from .conftest import API_KEY, OTHER_API_KEY, mock_key_check


@pytest.fixture(autouse=True)
def no_entry_setup() -> Any:
    """Keep the flow tests about the flow: creating an entry does not set it up."""
    with patch(
        "custom_components.activitysmith.async_setup_entry", return_value=True
    ) as mock_setup:
        yield mock_setup


def suggested_api_key(result: ConfigFlowResult) -> Any:
    """The value the form pre-fills in its API key field (None when empty)."""
    for marker in result["data_schema"].schema:
        if marker == CONF_API_KEY:
            return (marker.description or {}).get("suggested_value")
    raise AssertionError("the form has no API key field")


async def test_user_flow_creates_entry_after_testing_the_key(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A valid key becomes an entry whose unique id is a hash, not the key."""
    mock_key_check(aioclient_mock)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: f"  {API_KEY} "}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "ActivitySmith"
    assert result["data"] == {CONF_API_KEY: API_KEY}
    assert result["result"].unique_id == unique_id_for(API_KEY)
    assert API_KEY not in result["result"].unique_id
    assert aioclient_mock.call_count == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            {"status": 401, "json": {"error": "Unauthorized", "message": "bad"}},
            "invalid_auth",
        ),
        ({"status": 500, "text": "down"}, "cannot_connect"),
        ({"exc": aiohttp.ClientConnectionError()}, "cannot_connect"),
        ({"exc": TimeoutError()}, "cannot_connect"),
        ({"exc": ValueError("surprise")}, "unknown"),
    ],
)
async def test_user_flow_errors_recover_on_retry(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    error: str,
) -> None:
    """Each failure shows its error, and a retry with a good answer succeeds."""
    mock_key_check(aioclient_mock, **answer)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    aioclient_mock.clear_requests()
    mock_key_check(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_key_cannot_be_added_twice(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The second flow with the same key aborts before contacting the API."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert aioclient_mock.call_count == 0


async def test_reauth_replaces_the_key_after_an_error(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Reauth shows invalid_auth for a bad key, then stores a good one."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["title"] == "ActivitySmith"

    mock_key_check(aioclient_mock, 401)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "ask_wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    aioclient_mock.clear_requests()
    mock_key_check(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_API_KEY] == OTHER_API_KEY
    assert mock_config_entry.unique_id == unique_id_for(OTHER_API_KEY)


async def test_reconfigure_replaces_the_key_after_an_error(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Reconfigure tests the new key, shows cannot_connect, then stores it."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    mock_key_check(aioclient_mock, exc=aiohttp.ClientConnectionError())
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_API_KEY}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    aioclient_mock.clear_requests()
    mock_key_check(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_API_KEY] == OTHER_API_KEY


async def test_reconfigure_to_a_key_of_another_entry_aborts(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Two entries can never end up with the same key."""
    mock_config_entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN,
        data={CONF_API_KEY: OTHER_API_KEY},
        unique_id=unique_id_for(OTHER_API_KEY),
    ).add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: OTHER_API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_API_KEY] == API_KEY
    assert aioclient_mock.call_count == 0


async def test_reauth_with_the_same_key_is_accepted(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Re-entering the entry's own key (after a transient 401) is not a duplicate."""
    mock_config_entry.add_to_hass(hass)
    mock_key_check(aioclient_mock)
    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY}
    )
    assert result["reason"] == "reauth_successful"


@pytest.mark.parametrize("step_id", ["user", "reauth_confirm", "reconfigure"])
async def test_form_keeps_the_typed_key_after_an_error(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
    step_id: str,
) -> None:
    """After invalid_auth the form shows the key again, so a typo is fixed, not retyped."""
    if step_id == "user":
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    else:
        mock_config_entry.add_to_hass(hass)
        if step_id == "reauth_confirm":
            result = await mock_config_entry.start_reauth_flow(hass)
        else:
            result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == step_id
    assert suggested_api_key(result) is None

    mock_key_check(aioclient_mock, 401)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "ask_typo"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested_api_key(result) == "ask_typo"
    # The shared schema is copied, never changed: the next flow starts empty.
    assert all(marker.description is None for marker in API_KEY_SCHEMA.schema)
