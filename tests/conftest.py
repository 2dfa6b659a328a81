"""Shared fixtures: a config entry, the ActivitySmith API mocked at the HTTP layer."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import logging
import re
from typing import Any
from unittest.mock import patch

from aiohttp import ClientResponse
from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from hypothesis import HealthCheck, settings
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.activitysmith import PLATFORMS
from custom_components.activitysmith.client import API_BASE_URL, ActivitySmithClient
from custom_components.activitysmith.config_flow import unique_id_for
from custom_components.activitysmith.const import DOMAIN
from custom_components.activitysmith.webhook import CONF_WEBHOOK_ID

from .openapi_contract import RecordedCalls, published_contract

# Property tests judge their input, not the machine's speed: a loaded CI runner must
# not fail them for slow generation or a slow example.
settings.register_profile(
    "activitysmith", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("activitysmith")

API_KEY = "ask_test_0123456789abcdef"
OTHER_API_KEY = "ask_other_fedcba9876543210"
# The key check ends a random, never-used stream; a valid key gets 404 for it.
KEY_CHECK_URL = re.compile(
    re.escape(f"{API_BASE_URL}/live-activity/stream/home-assistant-key-check-") + ".*"
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the guards below read."""
    config.addinivalue_line(
        "markers",
        "expect_usage_report: the test makes Home Assistant report a usage by "
        "activitysmith on purpose; the usage-report guard fails it if none comes",
    )
    config.addinivalue_line(
        "markers",
        "api_contract_exempt(reason, strict=True): the test sends, on purpose, "
        "requests the published OpenAPI spec refuses; the contract guard fails it "
        "if none does (unless strict=False)",
    )


class UsageReports(logging.Handler):
    """The records `homeassistant.helpers.frame` logs while a test runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def ours(self) -> list[str]:
        """The reported messages that name this integration."""
        return [
            message
            for record in self.records
            if DOMAIN in (message := record.getMessage())
        ]


def usage_report_verdict(reports: UsageReports, *, expected: bool) -> None:
    """Fail on a usage report naming the integration, or on none if one is expected."""
    ours = reports.ours()
    if ours and not expected:
        pytest.fail(
            "Home Assistant reported a usage by activitysmith:\n"
            + "\n".join(f"  - {message}" for message in ours),
            pytrace=False,
        )
    if expected and not ours:
        pytest.fail(
            "marked expect_usage_report, but Home Assistant reported no usage "
            "by activitysmith",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def usage_report_guard(request: pytest.FixtureRequest) -> Generator[UsageReports]:
    """Fail the test if Home Assistant's frame helper reports a usage by us.

    Frame reports each usage once per process; the reported set is cleared first
    so every test that makes the usage is caught, not only the first one.
    """
    frame._REPORTED_INTEGRATIONS.clear()
    reports = UsageReports()
    logger = logging.getLogger(frame.__name__)
    logger.addHandler(reports)
    try:
        yield reports
    finally:
        logger.removeHandler(reports)
    expected = request.node.get_closest_marker("expect_usage_report") is not None
    usage_report_verdict(reports, expected=expected)


def api_contract_verdict(
    calls: list[tuple[Any, ...]], exempt: pytest.Mark | None
) -> None:
    """Fail on requests the OpenAPI spec refuses, unless the test is exempt."""
    violations = published_contract().violations(calls)
    if exempt is None:
        if violations:
            pytest.fail(
                "requests the published OpenAPI spec refuses:\n"
                + "\n".join(violations),
                pytrace=False,
            )
        return
    reason = exempt.args[0] if exempt.args else exempt.kwargs.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        pytest.fail("api_contract_exempt needs a reason string", pytrace=False)
    if not violations and exempt.kwargs.get("strict", True):
        pytest.fail(
            f"marked api_contract_exempt({reason!r}), but every request conforms "
            "to the spec: drop the marker",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def api_contract(request: pytest.FixtureRequest) -> Generator[RecordedCalls | None]:
    """Check every request the mocked API received against the OpenAPI spec.

    Only for tests that use `aioclient_mock`. The calls are recorded here, so a test
    that clears `mock_calls` is still checked for what it sent before.
    """
    if "aioclient_mock" not in request.fixturenames:
        yield None
        return
    mocker: AiohttpClientMocker = request.getfixturevalue("aioclient_mock")
    calls = RecordedCalls(mocker.mock_calls)
    mocker.mock_calls = calls
    yield calls
    api_contract_verdict(
        calls.every, request.node.get_closest_marker("api_contract_exempt")
    )


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots that know Home Assistant's types (states, registry entries...)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def no_retry_delay() -> Generator[None]:
    """Retries happen at once in tests; their count and order are what matter."""
    with patch("custom_components.activitysmith.client.http.RETRY_DELAYS", (0.0, 0.0)):
        yield


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """An ActivitySmith entry holding API_KEY."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="ActivitySmith",
        data={CONF_API_KEY: API_KEY},
        unique_id=unique_id_for(API_KEY),
        entry_id="01JACTIVITYSMITHENTRY0000",
    )


def mock_key_check(
    aioclient_mock: AiohttpClientMocker, status: int = 404, **kwargs: Any
) -> None:
    """Answer the key check: 404 (valid key) unless told otherwise."""
    if status == 404 and not kwargs:
        kwargs["json"] = {"error": "Live Activity stream not found", "message": "nope"}
    aioclient_mock.delete(KEY_CHECK_URL, status=status, **kwargs)


@pytest.fixture
def valid_key(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    """The API accepts the key."""
    mock_key_check(aioclient_mock)
    return aioclient_mock


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add `entry` to Home Assistant and set it up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms `loaded_entry` sets up (parametrize to narrow them)."""
    return PLATFORMS


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    valid_key: Any,
    platforms: list[Platform],
) -> MockConfigEntry:
    """The entry, set up with a valid key."""
    with patch("custom_components.activitysmith.PLATFORMS", platforms):
        await setup_integration(hass, mock_config_entry)
    return mock_config_entry


# A complete, valid start for each Live Activity type (every required field).
EXAMPLE_CONTENT: dict[str, dict[str, Any]] = {
    "segmented_progress": {
        "title": "Nightly backup",
        "type": "segmented_progress",
        "number_of_steps": 3,
        "current_step": 1,
        "color": "yellow",
    },
    "progress": {"title": "EV charging", "type": "progress", "percentage": 42},
    "metrics": {
        "title": "Climate",
        "type": "metrics",
        "metrics": [{"label": "Indoor", "value": 21.5, "unit": "°C"}],
    },
    "stats": {
        "title": "Energy today",
        "type": "stats",
        "metrics": [{"label": "Solar", "value": "12 kWh"}],
    },
    "alert": {"title": "Front door", "type": "alert", "message": "Opened"},
    "timer": {"title": "Pizza", "type": "timer", "duration_seconds": 600},
    "value": {"title": "Revenue", "type": "value", "value": "$1,240"},
}
# One change per type that a partial update could carry.
EXAMPLE_CHANGE: dict[str, dict[str, Any]] = {
    "segmented_progress": {"current_step": 2},
    "progress": {"percentage": 80},
    "metrics": {"metrics": [{"label": "Indoor", "value": 22}]},
    "stats": {"metrics": [{"label": "Solar", "value": 13}]},
    "alert": {"message": "Closed"},
    "timer": {"is_running": False},
    "value": {"value": 1250.5},
}
START_URL = f"{API_BASE_URL}/live-activity/start"
UPDATE_URL = f"{API_BASE_URL}/live-activity/update"
END_URL = f"{API_BASE_URL}/live-activity/end"
ACTIVITY_ID = "pLAr-Hnq9ZFW4sxlk43Lhbuok4GLh7UW"
START_RESPONSE = {
    "success": True,
    "activity_id": ACTIVITY_ID,
    "devices_notified": 2,
    "users_notified": 1,
    "timestamp": "2026-01-28T09:57:22.929Z",
}
CHANGE_RESPONSE = {
    "success": True,
    "activity_id": ACTIVITY_ID,
    "devices_notified": 2,
    "timestamp": "2026-01-28T09:58:00.000Z",
}


def sent_bodies(aioclient_mock: AiohttpClientMocker) -> list[Any]:
    """The JSON bodies of the requests made so far, key checks left out."""
    return [
        body
        for _, url, body, _ in aioclient_mock.mock_calls
        if "home-assistant-key-check" not in str(url)
    ]


def answer_in_turn(
    aioclient_mock: AiohttpClientMocker,
    method: str,
    url: Any,
    answers: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Mock `url` to give `answers` one after the other (each a status/json/exc dict)."""

    async def next_answer(
        request_method: str, request_url: Any, data: Any
    ) -> AiohttpClientMockResponse:
        answer = dict(answers.pop(0))
        return AiohttpClientMockResponse(request_method, request_url, **answer)

    aioclient_mock.request(method, url, side_effect=next_answer)
    return answers


async def act(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    """Call an action of the integration and return its response."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )


@pytest.fixture
def lifecycle_api(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    """The manual lifecycle endpoints (start, update, end) answer success."""
    aioclient_mock.post(START_URL, json=START_RESPONSE)
    aioclient_mock.post(UPDATE_URL, json=CHANGE_RESPONSE)
    aioclient_mock.post(END_URL, json=CHANGE_RESPONSE)
    return aioclient_mock


def stream_answer(
    operation: str,
    activity_id: str | None = None,
    stream_key: str = "washer",
    **extra: Any,
) -> dict[str, Any]:
    """A stream PUT or DELETE answer in the spec's shape."""
    return {
        "success": True,
        "operation": operation,
        "stream_key": stream_key,
        "activity_id": activity_id,
        "timestamp": "2026-11-26T08:00:00Z",
        **extra,
    }


@pytest.fixture
async def make_client(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> AsyncGenerator[Callable[..., ActivitySmithClient]]:
    """Clients on the mocked session, closed at the end of the test."""
    clients: list[ActivitySmithClient] = []

    def make(**options: Any) -> ActivitySmithClient:
        client = ActivitySmithClient(async_get_clientsession(hass), API_KEY, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.async_close(within=0)


type Press = Callable[..., Awaitable[ClientResponse]]


@pytest.fixture
async def press(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> Press:
    """POST a button's body as ActivitySmith does on a tap, and let what it fires run.

    To the entry's webhook as it is at the call, or to `path`.
    """
    client = await hass_client_no_auth()

    async def post(body: Any, path: str | None = None) -> ClientResponse:
        response = await client.post(path or webhook_path(loaded_entry), json=body)
        await hass.async_block_till_done()
        return response

    return post


def webhook_path(entry: MockConfigEntry) -> str:
    """Where the entry's buttons come home."""
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


def store_activities(
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
    data: Any,
    minor_version: int = 2,
) -> None:
    """Put `data` where the entry's activity store reads it when the entry sets up."""
    key = f"{DOMAIN}.{entry.entry_id}.activities"
    hass_storage[key] = {
        "version": 1,
        "minor_version": minor_version,
        "key": key,
        "data": data,
    }
