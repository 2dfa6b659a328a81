"""The buttons' webhook answers every request exactly like an unknown webhook.

Whatever the method, headers, bytes or size, the answer (status and body) is the one
Home Assistant gives a webhook id it does not know, nothing fires, and nothing naming
the id is logged at warning or above. A genuine press still works after all of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import ClientSession
from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant
from homeassistant.util.aiohttp import MockRequest
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.activitysmith.webhook import (
    CONF_SECRET,
    CONF_WEBHOOK_ID,
    EVENT_ACTION,
    ButtonPresses,
    token_for,
)

from .conftest import EXAMPLE_CONTENT, START_RESPONSE, START_URL, act, sent_bodies

UNKNOWN = "/api/webhook/0123456789abcdef-not-a-registered-webhook"
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
LOCK = {"title": "Lock", "type": "home_assistant", "action": "lock_front_door"}
MAX_BODY = ButtonPresses.MAX_BODY
# Over aiohttp's client_max_size in Home Assistant (16 MiB).
OVER_HA_LIMIT = 16 * 1024**2 + 1


@pytest.fixture
def presses(hass: HomeAssistant) -> list[Event]:
    """The `activitysmith_action` events fired."""
    events: list[Event] = []
    hass.bus.async_listen(EVENT_ACTION, events.append)
    return events


@pytest.fixture
async def http(
    hass_client_no_auth: ClientSessionGenerator, loaded_entry: MockConfigEntry
) -> ClientSession:
    """A client of Home Assistant's HTTP server (the entry's webhook set up)."""
    return await hass_client_no_auth()


@pytest.fixture
async def genuine(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, loaded_entry: Any
) -> dict[str, Any]:
    """The body of a button that was sent (its action is a known event type)."""
    hass.config.external_url = "https://home.example.org"
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    await act(hass, "start_live_activity", {**EXAMPLE_CONTENT["alert"], "action": LOCK})
    body: dict[str, Any] = sent_bodies(aioclient_mock)[-1]["action"]["body"]
    return body


def own_path(entry: MockConfigEntry) -> str:
    """Where the entry's webhook listens."""
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


async def answer(
    http: ClientSession, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    """The status and body Home Assistant answers."""
    async with http.request(method, path, data=body, headers=headers) as response:
        return response.status, await response.read()


def loud_records_naming(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """Warnings and errors (with their tracebacks) that contain `text`."""
    loud = []
    for record in caplog.records:
        if record.levelno < logging.WARNING:
            continue
        words = record.getMessage()
        if record.exc_info:
            words += logging.Formatter().formatException(record.exc_info)
        if text in words:
            loud.append(words)
    return loud


async def assert_answered_like_an_unknown_webhook(
    hass: HomeAssistant,
    http: ClientSession,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    method: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Same status and body as an unknown id; nothing loud names the id."""
    caplog.clear()
    ours = await answer(http, method, own_path(entry), body, headers)
    await hass.async_block_till_done()
    unknown = await answer(http, method, UNKNOWN, body, headers)
    assert ours == unknown, (method, headers, body[:200])
    assert loud_records_naming(caplog, entry.data[CONF_WEBHOOK_ID]) == []
    assert "Error processing webhook" not in caplog.text


def nested(depth: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    """JSON nested `depth` deep (past the parser's stack when deep enough)."""
    return opener * depth + b"1" + closer * depth


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
charsets = st.sampled_from(
    ["utf-8", "UTF-16", "latin-1", "ascii", "no-such-charset", "utf-8-sig", "", "x;y"]
)
content_types = st.one_of(
    st.just(None),
    st.builds(
        lambda kind, charset: kind + (f"; charset={charset}" if charset else ""),
        st.sampled_from(
            [
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/octet-stream",
                "*/*",
                "garbage",
            ]
        ),
        charsets,
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
)


@st.composite
def bodies(  # noqa: PLR0911 (one return per kind of body)
    draw: st.DrawFn, genuine: dict[str, Any]
) -> bytes:
    """Bytes a request might carry: junk, JSON of any shape, forgeries, odd encodings."""
    forged = {
        **genuine,
        **draw(st.dictionaries(st.sampled_from(list(genuine)), json_values)),
    }
    if forged == genuine:
        forged["token"] = "0" * 64
    kind = draw(
        st.sampled_from(
            ["bytes", "json", "forged", "encoded", "nested", "non_ascii_token", "big"]
        )
    )
    match kind:
        case "bytes":
            return draw(st.binary(max_size=512))
        case "json":
            return json.dumps(draw(json_values)).encode()
        case "forged":
            return json.dumps(forged).encode()
        case "encoded":
            encoding = draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"]))
            return json.dumps(forged, ensure_ascii=False).encode(encoding, "replace")
        case "nested":
            depth = draw(st.sampled_from([10, 1_000, 30_000]))
            return nested(
                depth, *draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
            )
        case "non_ascii_token":
            token = draw(
                st.text(min_size=1, max_size=70).filter(lambda t: not t.isascii())
            )
            return json.dumps({**genuine, "token": token}).encode()
    return b"x" * draw(st.sampled_from([MAX_BODY, MAX_BODY + 1, 3 * MAX_BODY]))


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_request_is_answered_like_an_unknown_webhook(
    hass: HomeAssistant,
    http: ClientSession,
    loaded_entry: MockConfigEntry,
    genuine: dict[str, Any],
    presses: list[Event],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    """Random bytes, content types, charsets, nesting, sizes and methods."""
    method = data.draw(st.sampled_from(METHODS))
    body = data.draw(bodies(genuine))
    headers = {}
    if (content_type := data.draw(content_types)) is not None:
        headers["Content-Type"] = content_type
    await assert_answered_like_an_unknown_webhook(
        hass, http, loaded_entry, caplog, method, body, headers
    )
    assert presses == []


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(
            b"{}", {"Content-Type": "application/json; charset=nope"}, id="charset"
        ),
        pytest.param(nested(100_000), {}, id="nested"),
        pytest.param(b"[1, 2]", {}, id="not_a_dict"),
        pytest.param(b'"just text"', {}, id="a_string"),
        pytest.param(b'{"token": "\xff\xfe"}', {}, id="invalid_utf8"),
        pytest.param(b"x" * OVER_HA_LIMIT, {}, id="over_client_max_size"),
    ],
)
async def test_odd_requests_named_in_the_issue_then_a_genuine_press_works(
    hass: HomeAssistant,
    http: ClientSession,
    loaded_entry: MockConfigEntry,
    genuine: dict[str, Any],
    presses: list[Event],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Each with every method; afterwards the real press fires its event once."""
    for method in METHODS:
        await assert_answered_like_an_unknown_webhook(
            hass, http, loaded_entry, caplog, method, body, headers
        )
    assert presses == []

    status, text = await answer(
        http, "POST", own_path(loaded_entry), json.dumps(genuine).encode(), {}
    )
    await hass.async_block_till_done()
    assert (status, text) == (200, b"")
    [event] = presses
    assert event.data["action"] == "lock_front_door"


async def test_a_genuine_press_fires_whatever_its_content_type_says(
    hass: HomeAssistant,
    http: ClientSession,
    loaded_entry: MockConfigEntry,
    genuine: dict[str, Any],
    presses: list[Event],
) -> None:
    """The token vouches for a press, not the headers: an odd charset does not lose it."""
    for content_type in ("application/json; charset=nope", "text/plain", "x"):
        status, text = await answer(
            http,
            "POST",
            own_path(loaded_entry),
            json.dumps(genuine).encode(),
            {"Content-Type": content_type},
        )
        assert (status, text) == (200, b"")
    await hass.async_block_till_done()
    assert [event.data["action"] for event in presses] == ["lock_front_door"] * 3


async def test_a_token_signed_with_the_secret_but_not_ascii_is_no_press(
    hass: HomeAssistant,
    http: ClientSession,
    loaded_entry: MockConfigEntry,
    genuine: dict[str, Any],
    presses: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """hmac.compare_digest refuses non-ASCII text: such a token is compared as bytes."""
    fields = {name: genuine[name] for name in ("action", "title")}
    token = token_for(loaded_entry.data[CONF_SECRET], fields)
    body = json.dumps({**genuine, "token": token[:-1] + "é"}).encode()
    await assert_answered_like_an_unknown_webhook(
        hass, http, loaded_entry, caplog, "POST", body, {}
    )
    assert presses == []


# Home Assistant registers no other method (async_register refuses it); a relayed
# DELETE or PATCH would meet core's own 405 and warning before any handler.
@pytest.mark.parametrize("method", webhook.SUPPORTED_METHODS)
@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{",
        nested(100_000),
        b"[1]",
        b"x" * OVER_HA_LIMIT,
        json.dumps({"token": "\u00e9" * 64}).encode(),
    ],
    ids=["invalid_utf8", "nested", "not_a_dict", "over_client_max_size", "non_ascii"],
)
async def test_a_request_relayed_by_home_assistant_cloud_is_answered_the_same(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    genuine: dict[str, Any],
    presses: list[Event],
    caplog: pytest.LogCaptureFixture,
    method: str,
    body: bytes,
) -> None:
    """A cloudhook's request is a MockRequest, whose json() decodes text itself."""
    webhook_id = loaded_entry.data[CONF_WEBHOOK_ID]
    headers = {"Content-Type": "application/json; charset=nope"}

    def relayed() -> MockRequest:
        return MockRequest(body, "cloud", method=method, headers=headers)

    ours = await webhook.async_handle_webhook(hass, webhook_id, relayed())
    unknown = await webhook.async_handle_webhook(hass, "not-registered", relayed())
    await hass.async_block_till_done()

    assert (ours.status, ours.body) == (unknown.status, unknown.body)
    assert loud_records_naming(caplog, webhook_id) == []
    assert presses == []


async def test_a_press_of_64_kib_fires_and_one_byte_more_does_not(
    hass: HomeAssistant,
    http: ClientSession,
    loaded_entry: MockConfigEntry,
    genuine: dict[str, Any],
    presses: list[Event],
) -> None:
    """The limit is 64 KiB of body, whitespace included, however it arrives."""
    text = json.dumps(genuine).encode()
    for size in (64 * 1024, 64 * 1024 + 1):
        status, _ = await answer(
            http, "POST", own_path(loaded_entry), text.ljust(size), {}
        )
        assert status == 200
    await hass.async_block_till_done()
    assert [event.data["action"] for event in presses] == ["lock_front_door"]


async def test_a_press_over_64_kib_is_refused_even_when_its_first_part_fits(
    hass: HomeAssistant,
    http: ClientSession,
    loaded_entry: MockConfigEntry,
    genuine: dict[str, Any],
    presses: list[Event],
) -> None:
    """Sent in parts, 64 KiB of valid JSON then one more byte: still too long."""
    text = json.dumps(genuine).encode().ljust(64 * 1024)

    async def parts() -> Any:
        yield text
        await asyncio.sleep(0.05)  # the first part is read on its own
        yield b" "

    status, _ = await answer(http, "POST", own_path(loaded_entry), parts(), {})
    assert status == 200
    await hass.async_block_till_done()
    assert presses == []
