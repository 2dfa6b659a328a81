"""A key with a control character (a pasted line break, tab, NUL, DEL...) is never sent.

No HTTP header may carry it and no server would accept it: the client refuses it as a
rejected key before any request, so the flow says invalid_auth and set-up asks again.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import (
    API_BASE_URL,
    ActivitySmithAuthError,
    ActivitySmithClient,
    ActivitySmithUnusableKeyError,
)
from custom_components.activitysmith.config_flow import unique_id_for
from custom_components.activitysmith.const import DOMAIN

from .conftest import API_KEY, KEY_CHECK_URL

CONTROL_CHARACTERS = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028"]


def key_with(char: str) -> str:
    """API_KEY with `char` inside it (where a paste would break it)."""
    return f"{API_KEY[:8]}{char}{API_KEY[8:]}"


def answer_everything(aioclient_mock: AiohttpClientMocker) -> None:
    """Any request would get an answer: the tests show none is made."""
    aioclient_mock.delete(KEY_CHECK_URL, status=404, json={"error": "not found"})
    for method in ("get", "post", "put", "delete"):
        getattr(aioclient_mock, method)(f"{API_BASE_URL}/", json={"success": True})


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
async def test_the_client_refuses_the_key_before_sending_or_spending(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, char: str
) -> None:
    """Every endpoint raises the auth error; nothing is sent, the budget is untouched."""
    answer_everything(aioclient_mock)
    client = ActivitySmithClient(async_get_clientsession(hass), key_with(char))
    calls: list[Any] = [
        client.check_api_key(),
        client.start_live_activity({"content_state": {}}),
        client.update_live_activity({"activity_id": "a"}),
        client.end_live_activity({"activity_id": "a"}),
        client.put_stream("washer", {"content_state": {}}),
        client.end_stream("washer"),
        client.send_push_notification({"title": "t"}),
        client.set_badge({"badge": 1}),
        client.update_metric_value("m", {"value": 1}),
    ]
    for call in calls:
        with pytest.raises(ActivitySmithAuthError) as raised:
            await call
        assert isinstance(raised.value, ActivitySmithUnusableKeyError)
        assert key_with(char) not in str(raised.value)
        assert API_KEY not in str(raised.value)

    assert aioclient_mock.call_count == 0
    assert (
        client.budget.as_dict()
        == ActivitySmithClient(async_get_clientsession(hass), API_KEY).budget.as_dict()
    )  # untouched
    assert not client.streams
    await client.async_close()


async def test_printable_keys_are_still_sent(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Spaces, punctuation and letters beyond ASCII are the server's to judge."""
    aioclient_mock.post(f"{API_BASE_URL}/badge", json={"success": True})
    for key in ("ask a b", "ask_ü-é.~!", "ask\u00a0x"):
        client = ActivitySmithClient(async_get_clientsession(hass), key)
        assert await client.set_badge({"badge": 1}) == {"success": True}
        await client.async_close()
    assert [headers["Authorization"] for *_, headers in aioclient_mock.mock_calls] == [
        "Bearer ask a b",
        "Bearer ask_ü-é.~!",
        "Bearer ask\u00a0x",
    ]


@pytest.fixture
def no_entry_setup() -> Any:
    """A created entry is not set up (the flow is what is tested)."""
    with patch(
        "custom_components.activitysmith.async_setup_entry", return_value=True
    ) as mock_setup:
        yield mock_setup


@pytest.mark.usefixtures("no_entry_setup")
@pytest.mark.parametrize("char", ["\n", "\t", "\x00", "\x7f"])
@pytest.mark.parametrize("step_id", ["user", "reauth_confirm", "reconfigure"])
async def test_the_flow_says_invalid_auth_and_sends_nothing(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    mock_config_entry: MockConfigEntry,
    step_id: str,
    char: str,
) -> None:
    """Each step shows invalid_auth for such a key, keeps the form, and stores nothing."""
    answer_everything(aioclient_mock)
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

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: key_with(char)}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["errors"] == {"base": "invalid_auth"}
    assert aioclient_mock.call_count == 0
    assert [e.data for e in hass.config_entries.async_entries(DOMAIN)] == (
        [] if step_id == "user" else [{CONF_API_KEY: API_KEY}]
    )


@pytest.mark.parametrize("char", ["\n", "\t", "\x00", "\x7f"])
async def test_set_up_with_such_a_key_starts_reauth(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, char: str
) -> None:
    """A stored key that holds one (an older version let it in) asks for a new one."""
    answer_everything(aioclient_mock)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="ActivitySmith",
        data={CONF_API_KEY: key_with(char)},
        unique_id=unique_id_for(key_with(char)),
    )
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == entry.entry_id
    assert aioclient_mock.call_count == 0
