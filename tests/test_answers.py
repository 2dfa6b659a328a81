"""The October answers, through the real core: billing blocks (402), no recipients
(422), badge errors, the per-device Live Activity limit, stream warnings and a start
that ended an older activity.

Each failure must become one translated error (and a repair where the user has to act),
each odd field must stay harmless, and each success must clear what no longer applies.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from functools import partial
import json
import re
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.activitysmith.client import (
    API_BASE_URL,
    ActivitySmithBadgeUpdateError,
    ActivitySmithBillingBlockedError,
    ActivitySmithError,
    ActivitySmithLiveActivityLimitError,
    ActivitySmithNoRecipientsError,
    ActivitySmithServerError,
)
from custom_components.activitysmith.client.budget import RequestBudget
from custom_components.activitysmith.client.response import MAX_MESSAGE, read_answer
from custom_components.activitysmith.const import DOMAIN
from custom_components.activitysmith.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.activitysmith.failures import DEFAULT_UPGRADE_URL

from .conftest import (
    ACTIVITY_ID,
    API_KEY,
    CHANGE_RESPONSE,
    EXAMPLE_CONTENT,
    START_RESPONSE,
    START_URL,
    UPDATE_URL,
    act,
    setup_integration,
    store_activities,
    stream_answer,
)

PUSH_URL = f"{API_BASE_URL}/push-notification"
BADGE_URL = f"{API_BASE_URL}/badge"
METRIC_URL = f"{API_BASE_URL}/metrics/indoor.temperature/value"
STREAM_URL = f"{API_BASE_URL}/live-activity/stream/washer"
WASHER = "sensor.activitysmith_washer"
WASHER_START = {
    "stream_key": "washer",
    "title": "Washer",
    "type": "progress",
    "percentage": 10,
}
PUSH_RESPONSE = {
    "success": True,
    "devices_notified": 2,
    "users_notified": 1,
    "timestamp": "2026-11-26T08:00:00Z",
}
METRIC_RESPONSE = {
    "success": True,
    "metric": {"key": "indoor.temperature", "value": 1},
    "timestamp": "2026-11-26T08:00:00Z",
}
BILLING_ISSUE = "billing_blocked_01JACTIVITYSMITHENTRY0000"
LIMIT_ISSUE = "live_activity_limit_01JACTIVITYSMITHENTRY0000"
UPGRADE_URL = "https://activitysmith.com/app/account?billing=upgrade"
TRIAL_EXPIRED = {
    "error": "trial_expired",
    "message": "Your free trial has ended. Start a subscription or lifetime "
    "membership to resume using ActivitySmith.",
    "trial_period": {
        "started_at": "2026-09-01T00:00:00.000Z",
        "ends_at": "2026-09-08T00:00:00.000Z",
    },
    "upgrade_url": UPGRADE_URL,
}
# Every request that can meet a billing block or no recipients, with a valid body.
DELIVERIES = [
    pytest.param("send_push_notification", "post", PUSH_URL, {"title": "T"}, id="push"),
    pytest.param("set_badge_count", "post", BADGE_URL, {"badge": 1}, id="badge"),
    pytest.param(
        "start_live_activity", "post", START_URL, EXAMPLE_CONTENT["alert"], id="start"
    ),
    pytest.param("stream_live_activity", "put", STREAM_URL, WASHER_START, id="stream"),
]


@pytest.fixture(autouse=True)
def no_stream_spacing() -> Generator[None]:
    """These tests are about answers, not the pacing of streams (see test_budget)."""
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(RequestBudget, stream_spacing=0.0, min_interval=0.0),
    ):
        yield


def requests_to(aioclient_mock: AiohttpClientMocker, url: str) -> int:
    return sum(str(called) == url for _, called, _, _ in aioclient_mock.mock_calls)


def read(status: int, body: Any) -> ActivitySmithError:
    """The error `read_answer` raises for a delivery's answer of `status` and `body`."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(ActivitySmithError) as raised:
        read_answer(
            status,
            {},
            raw,
            not_found=ActivitySmithNoRecipientsError,
            redact=lambda text: text.replace("SECRET", "**REDACTED**"),
            endpoint="POST /badge",
        )
    return raised.value


# 402: billing blocks ---------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(("action", "method", "url", "data"), DELIVERIES)
async def test_a_billing_block_is_a_translated_error_and_a_repair_with_the_link(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    action: str,
    method: str,
    url: str,
    data: dict[str, Any],
) -> None:
    """Sent once (never retried), named by its reason, the repair has link and end."""
    aioclient_mock.request(method, url, status=402, json=TRIAL_EXPIRED)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, action, data)
    assert raised.value.translation_key == "billing_trial_expired"
    assert "free trial of the ActivitySmith account has ended" in str(raised.value)
    assert requests_to(aioclient_mock, url) == 1
    issue = issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE)
    assert issue is not None
    assert not issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "billing_trial_expired_dated"
    assert issue.learn_more_url == UPGRADE_URL
    ends = dt_util.as_local(datetime.fromisoformat("2026-09-08T00:00:00Z"))
    assert issue.translation_placeholders == {
        "title": "ActivitySmith",
        "upgrade_url": UPGRADE_URL,
        "trial_ends": ends.strftime("%Y-%m-%d %H:%M"),
    }


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("body", "error_key", "issue_key"),
    [
        (
            {"error": "trial_exhausted", "message": "m", "upgrade_url": UPGRADE_URL},
            "billing_trial_exhausted",
            "billing_trial_exhausted",
        ),
        (
            {
                "error": "trial_exhausted",
                "message": "m",
                "upgrade_url": UPGRADE_URL,
                "trial_period": TRIAL_EXPIRED["trial_period"],
            },
            "billing_trial_exhausted",
            "billing_trial_exhausted_dated",
        ),
        (
            {**TRIAL_EXPIRED, "trial_period": None},
            "billing_trial_expired",
            "billing_trial_expired",
        ),
        (
            {
                "error": "billing_overage_cap_reached",
                "message": "m",
                "upgrade_url": UPGRADE_URL,
            },
            "billing_overage_cap_reached",
            "billing_overage_cap_reached",
        ),
        (
            {"error": "account_frozen", "message": "Call us", "upgrade_url": "x"},
            "billing_blocked",
            "billing_blocked",
        ),
    ],
)
async def test_each_billing_reason_has_its_own_error_and_repair(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    body: dict[str, Any],
    error_key: str,
    issue_key: str,
) -> None:
    """Trial over, trial spent, usage cap, and a reason the integration does not know."""
    aioclient_mock.post(PUSH_URL, status=402, json=body)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "send_push_notification", {"title": "T"})
    assert raised.value.translation_key == error_key
    if error_key == "billing_blocked":
        assert raised.value.translation_placeholders == {"message": "Call us"}
        assert "(Call us)" in str(raised.value)
    issue = issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE)
    assert issue is not None
    assert issue.translation_key == issue_key


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "upgrade_url",
    [
        None,
        42,
        "",
        "javascript:alert(1)",
        "http://activitysmith.com/app/account",
        "https://activitysmith.com.evil.example/upgrade",
        "https://evil.example/?https://activitysmith.com",
        "https://user:pw@activitysmith.com/app/account",
        'https://activitysmith.com/"><script>alert(1)</script>',
        "https://activitysmith.com/app account",
        "https://activitysmith.com:port/",
        "https://activitysmith.com/" + "a" * 2100,
        f"https://activitysmith.com/{API_KEY}",
    ],
)
async def test_an_upgrade_link_that_is_not_plain_https_to_activitysmith_is_not_shown(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    upgrade_url: object,
) -> None:
    """Another scheme or host, credentials, markup, spaces, the key: the default link."""
    aioclient_mock.post(
        PUSH_URL,
        status=402,
        json={"error": "trial_expired", "message": "m", "upgrade_url": upgrade_url},
    )
    with pytest.raises(HomeAssistantError):
        await act(hass, "send_push_notification", {"title": "T"})
    issue = issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE)
    assert issue is not None
    assert issue.learn_more_url == DEFAULT_UPGRADE_URL
    assert issue.translation_placeholders["upgrade_url"] == DEFAULT_UPGRADE_URL


@pytest.mark.usefixtures("loaded_entry")
async def test_a_billing_block_without_json_shows_no_html(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A proxy's HTML 402 page: the generic billing error, nothing of the page."""
    aioclient_mock.post(
        PUSH_URL, status=402, text="<html><b>Payment Required</b></html>"
    )
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "send_push_notification", {"title": "T"})
    assert raised.value.translation_key == "billing_blocked"
    assert "<" not in str(raised.value)
    assert raised.value.translation_placeholders == {"message": "Payment Required"}
    issue = issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE)
    assert issue is not None
    assert issue.translation_key == "billing_blocked"
    assert "<" not in json.dumps(issue.translation_placeholders)


@pytest.mark.usefixtures("loaded_entry")
async def test_one_billing_repair_per_entry_follows_the_latest_reason(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A second block replaces the first repair: one issue, the newest reason."""
    aioclient_mock.post(PUSH_URL, status=402, json=TRIAL_EXPIRED)
    aioclient_mock.post(
        BADGE_URL,
        status=402,
        json={"error": "billing_overage_cap_reached", "message": "m"},
    )
    with pytest.raises(HomeAssistantError):
        await act(hass, "send_push_notification", {"title": "T"})
    with pytest.raises(HomeAssistantError):
        await act(hass, "set_badge_count", {"badge": 1})
    ours = [key for key in issue_registry.issues if key[1].startswith("billing")]
    assert ours == [(DOMAIN, BILLING_ISSUE)]
    issue = issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE)
    assert issue is not None
    assert issue.translation_key == "billing_overage_cap_reached"


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("action", "method", "url", "data", "answer"),
    [
        pytest.param(
            "send_push_notification",
            "post",
            PUSH_URL,
            {"title": "T"},
            PUSH_RESPONSE,
            id="push",
        ),
        pytest.param(
            "set_badge_count",
            "post",
            BADGE_URL,
            {"badge": 1},
            {
                "success": True,
                "badge": 1,
                "devices_updated": 1,
                "users_updated": 1,
                "effective_channel_slugs": None,
                "timestamp": "2026-11-26T08:00:00Z",
            },
            id="badge",
        ),
        pytest.param(
            "update_metric_value",
            "post",
            METRIC_URL,
            {"key": "indoor.temperature", "value": 1},
            METRIC_RESPONSE,
            id="metric",
        ),
        pytest.param(
            "start_live_activity",
            "post",
            START_URL,
            EXAMPLE_CONTENT["alert"],
            START_RESPONSE,
            id="start",
        ),
        pytest.param(
            "update_live_activity",
            "post",
            UPDATE_URL,
            {"activity_id": ACTIVITY_ID, "title": "Door", "message": "Closed"},
            CHANGE_RESPONSE,
            id="update",
        ),
        pytest.param(
            "stream_live_activity",
            "put",
            STREAM_URL,
            WASHER_START,
            stream_answer("started", "act-1"),
            id="stream",
        ),
    ],
)
async def test_the_next_success_of_any_request_clears_the_billing_repair(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    action: str,
    method: str,
    url: str,
    data: dict[str, Any],
    answer: dict[str, Any],
) -> None:
    """Blocked on a push; then a push, badge, metric, start, update or stream works."""
    aioclient_mock.post(PUSH_URL, status=402, json=TRIAL_EXPIRED)
    with pytest.raises(HomeAssistantError):
        await act(hass, "send_push_notification", {"title": "T"})
    assert issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE) is not None

    aioclient_mock.clear_requests()
    aioclient_mock.request(method, url, json=answer)
    await act(hass, action, data)
    assert issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE) is None


@pytest.mark.usefixtures("loaded_entry")
async def test_a_failure_of_another_kind_keeps_the_billing_repair(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Only an answered request says billing allows it again; a 500 says nothing."""
    aioclient_mock.post(PUSH_URL, status=402, json=TRIAL_EXPIRED)
    aioclient_mock.post(METRIC_URL, status=500, text="")
    with pytest.raises(HomeAssistantError):
        await act(hass, "send_push_notification", {"title": "T"})
    with pytest.raises(HomeAssistantError):
        await act(
            hass, "update_metric_value", {"key": "indoor.temperature", "value": 1}
        )
    assert issue_registry.async_get_issue(DOMAIN, BILLING_ISSUE) is not None


# 422: no recipients ----------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(("action", "method", "url", "data"), DELIVERIES)
@pytest.mark.parametrize(
    ("status", "channels", "key", "named"),
    [
        (422, ["marketing", "ops"], "no_recipients_channels", "marketing, ops"),
        (422, None, "no_recipients", None),
        (422, [], "no_recipients", None),
        (404, ["ops"], "no_recipients_channels", "ops"),
        (404, None, "no_recipients", None),
    ],
)
async def test_no_recipients_is_422_now_and_names_the_channels_it_searched(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    action: str,
    method: str,
    url: str,
    data: dict[str, Any],
    status: int,
    channels: list[str] | None,
    key: str,
    named: str | None,
) -> None:
    """October's 422 and July's 404 read the same; the channels are named if given."""
    body: dict[str, Any] = {
        "error": "No recipients found",
        "message": "No devices matched the effective channel target",
    }
    if channels is not None:
        body["effective_channel_slugs"] = channels
    aioclient_mock.request(method, url, status=status, json=body)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, action, data)
    assert raised.value.translation_key == key
    assert requests_to(aioclient_mock, url) == 1
    if named is not None:
        assert raised.value.translation_placeholders["channels"] == named
        assert f"in the channels {named} (" in str(raised.value)


@pytest.mark.usefixtures("loaded_entry")
async def test_a_422_on_a_lookup_is_not_a_missing_recipient(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Update has no documented 422: the API's own words, not "no device received it"."""
    aioclient_mock.post(
        UPDATE_URL, status=422, json={"error": "Unprocessable", "message": "odd"}
    )
    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "update_live_activity",
            {"activity_id": ACTIVITY_ID, "title": "Door", "message": "Closed"},
        )
    assert raised.value.translation_key == "api_error"


def test_channel_names_are_short_readable_text_and_few() -> None:
    """Non-text entries dropped, each name one line of at most 300, at most 10."""
    err = read(
        422,
        {
            "error": "No recipients found",
            "message": "m",
            "effective_channel_slugs": [
                "ops",
                7,
                None,
                "a\nb",
                "SECRET",
                "x" * 400,
                *(f"c{i}" for i in range(20)),
            ],
        },
    )
    assert isinstance(err, ActivitySmithNoRecipientsError)
    assert len(err.channels) == 10
    assert err.channels[:4] == ("ops", "a b", "**REDACTED**", f"{'x' * 299}…")


# Badge answers ---------------------------------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (422, "badge_device_disconnected"),
        (422, "badge_update_failed"),
        (502, "badge_update_failed"),
        (502, "badge_device_disconnected"),
    ],
)
async def test_a_badge_error_is_translated_by_its_code_and_not_retried(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    code: str,
) -> None:
    """The API's verdict about the devices: one request, the devices updated named."""
    aioclient_mock.post(
        BADGE_URL,
        status=status,
        json={
            "error": "App Icon Badge Count update failed",
            "code": code,
            "message": "A device needs to reconnect",
            "badge": 1,
            "devices_updated": 1,
            "devices_targeted": 2,
            "users_updated": 1,
            "effective_channel_slugs": None,
        },
    )
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "set_badge_count", {"badge": 1})
    assert raised.value.translation_key == code
    assert raised.value.translation_placeholders == {"devices_updated": "1"}
    assert "Devices updated: 1" in str(raised.value)
    assert requests_to(aioclient_mock, BADGE_URL) == 1


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    "body",
    [
        {"error": "Bad Gateway"},
        {"error": "x", "code": "badge_exploded"},
        {"error": "x", "code": ["badge_update_failed"]},
    ],
)
async def test_a_502_without_a_badge_code_is_a_server_error_and_retried(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, body: dict[str, Any]
) -> None:
    """A gateway's 502 (no code the spec names) gets the usual two more tries."""
    aioclient_mock.post(BADGE_URL, status=502, json=body)
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "set_badge_count", {"badge": 1})
    assert raised.value.translation_key == "server_error"
    assert requests_to(aioclient_mock, BADGE_URL) == 3


@pytest.mark.usefixtures("loaded_entry")
async def test_the_badge_answer_passes_its_new_fields_through(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """devices_updated, users_updated, devices_targeted, deactivated, unregistered."""
    answer = {
        "success": True,
        "badge": 3,
        "devices_updated": 2,
        "users_updated": 1,
        "devices_notified": 2,
        "users_notified": 1,
        "devices_targeted": 3,
        "devices_deactivated": 1,
        "devices_unregistered": 1,
        "effective_channel_slugs": ["ops"],
        "timestamp": "2026-11-26T08:00:00Z",
    }
    aioclient_mock.post(BADGE_URL, json=answer)
    assert await act(hass, "set_badge_count", {"badge": 3}) == answer


def test_a_badge_error_keeps_only_counts_that_are_counts() -> None:
    """Strings, booleans and negatives are not counts; a missing count says 0 devices."""
    err = read(
        502,
        {
            "code": "badge_update_failed",
            "devices_updated": True,
            "devices_targeted": -1,
        },
    )
    assert isinstance(err, ActivitySmithBadgeUpdateError)
    assert not isinstance(err, ActivitySmithServerError)
    assert (err.devices_updated, err.devices_targeted) == (None, None)


# The Live Activity limit -----------------------------------------------------------

OCTOBER_LIMIT = {
    "error": "Live Activity limit reached",
    "message": "iOS supports up to 5 concurrent Live Activities per app on a device. "
    "End an active Live Activity before starting another.",
    "limit": 5,
    "active": 5,
}


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("extra", "key", "placeholders", "sentence"),
    [
        (
            {},
            "live_activity_limit",
            {"limit": "5", "active": "5"},
            "A targeted iPhone already shows 5 of the 5 Live Activities",
        ),
        (
            {"blocked_devices": 1, "targeted_devices": 3},
            "live_activity_limit_devices",
            {
                "limit": "5",
                "active": "5",
                "blocked_devices": "1",
                "targeted_devices": "3",
            },
            "1 of the 3 targeted iPhones already show 5 of the 5 Live Activities",
        ),
        (
            {"blocked_devices": "1", "targeted_devices": 3},
            "live_activity_limit",
            {"limit": "5", "active": "5"},
            "A targeted iPhone",
        ),
        (
            {"blocked_devices": 1},
            "live_activity_limit",
            {"limit": "5", "active": "5"},
            "A targeted iPhone",
        ),
    ],
)
async def test_the_limit_names_the_answers_numbers_and_the_full_devices(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    extra: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
    sentence: str,
) -> None:
    """Five per app and device; blocked of targeted only when both are counts."""
    aioclient_mock.post(START_URL, status=429, json={**OCTOBER_LIMIT, **extra})
    with pytest.raises(HomeAssistantError) as raised:
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == placeholders
    assert sentence in str(raised.value)
    issue = issue_registry.async_get_issue(DOMAIN, LIMIT_ISSUE)
    assert issue is not None
    assert issue.translation_key == key
    assert issue.translation_placeholders == {**placeholders, "title": "ActivitySmith"}
    assert isinstance(raised.value.__cause__, ActivitySmithLiveActivityLimitError)


# Stream answers' warning -----------------------------------------------------------

THROTTLE = "This Live Activity has received many frequent updates; iOS may throttle it."


@pytest.fixture
def put_answers(aioclient_mock: AiohttpClientMocker) -> list[dict[str, Any]]:
    """Answers for the next stream PUTs, in order."""
    answers: list[dict[str, Any]] = []

    async def answer(method: str, url: Any, data: Any) -> Any:
        from pytest_homeassistant_custom_component.test_util.aiohttp import (  # noqa: PLC0415
            AiohttpClientMockResponse,
        )

        return AiohttpClientMockResponse(method, url, json=answers.pop(0))

    aioclient_mock.put(
        re.compile(re.escape(f"{API_BASE_URL}/live-activity/stream/") + ".*"),
        side_effect=answer,
    )
    return answers


async def put(
    hass: HomeAssistant,
    answers: list[dict[str, Any]],
    answer: dict[str, Any],
    **data: Any,
) -> None:
    answers.append(answer)
    await act(hass, "stream_live_activity", {**WASHER_START, **data})


async def test_a_stream_warning_shows_on_its_sensor_and_in_diagnostics_until_gone(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    put_answers: list[dict[str, Any]],
) -> None:
    """Set by an answer with a warning, cleared by the next answer without one."""
    await put(hass, put_answers, stream_answer("started", "act-1"))
    assert "warning" not in hass.states.get(WASHER).attributes

    await put(
        hass,
        put_answers,
        stream_answer("updated", "act-1", warning=THROTTLE),
        percentage=20,
    )
    assert hass.states.get(WASHER).attributes["warning"] == THROTTLE
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    assert diagnostics["activities"]["streams"]["washer"]["warning"] == THROTTLE

    await put(hass, put_answers, stream_answer("updated", "act-1"), percentage=30)
    assert "warning" not in hass.states.get(WASHER).attributes
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    assert diagnostics["activities"]["streams"]["washer"]["warning"] is None


async def test_an_ignored_stream_update_says_why_and_keeps_what_the_phone_shows(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    put_answers: list[dict[str, Any]],
) -> None:
    """`ignored` changed nothing: the sensor keeps the last content, with the reason."""
    await put(hass, put_answers, stream_answer("started", "act-1"))
    await put(
        hass,
        put_answers,
        stream_answer("noop", "act-1", ignored=True, message="Stream is paused"),
        percentage=55,
    )
    attributes = hass.states.get(WASHER).attributes
    assert attributes["percentage"] == 10
    assert attributes["warning"] == "Stream is paused"


async def test_an_end_answers_warning_is_recorded_and_a_long_one_is_cut(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    put_answers: list[dict[str, Any]],
) -> None:
    """DELETE answers may warn too; a page of text is cut to one line of 300."""
    await put(hass, put_answers, stream_answer("started", "act-1"))
    aioclient_mock.delete(
        STREAM_URL,
        json=stream_answer("ended", "act-1", warning="Forced\ncompletion " + "x" * 400),
    )
    await act(hass, "end_live_activity_stream", {"stream_key": "washer"})
    warning = hass.states.get(WASHER).attributes["warning"]
    assert warning.startswith("Forced completion xxx")
    assert len(warning) == 300


async def test_a_stored_warning_comes_back_and_a_release_record_loads_without_one(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    valid_key: AiohttpClientMocker,
) -> None:
    """Store 1.3 keeps the warning; a 1.2 record (no warning), or one whose warning is
    not text, reads as none."""
    record = {
        "activity_id": "act-1",
        "content_state": {"title": "Washer", "type": "progress", "percentage": 10},
        "status": "active",
        "started_at": "2026-11-26T08:00:00+00:00",
        "updated_at": "2026-11-26T08:00:00+00:00",
        "ended_at": None,
        "delivery": {},
        "stream_key": "washer",
        "operation": "updated",
        "previous_activity_id": None,
        "pending_content": None,
        "error": None,
    }
    store_activities(
        hass_storage,
        mock_config_entry,
        {
            "current": None,
            "recent": [],
            "streams": {
                "washer": record,
                "dryer": {**record, "stream_key": "dryer", "warning": THROTTLE},
                "odd": {**record, "stream_key": "odd", "warning": 7},
            },
        },
    )
    await setup_integration(hass, mock_config_entry)
    assert "warning" not in hass.states.get(WASHER).attributes
    assert hass.states.get("sensor.activitysmith_dryer").attributes["warning"] == (
        THROTTLE
    )
    assert "warning" not in hass.states.get("sensor.activitysmith_odd").attributes


# A start that ended an older activity ----------------------------------------------


@pytest.mark.usefixtures("loaded_entry")
async def test_a_start_that_ended_an_older_known_activity_records_it_as_ended(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
    put_answers: list[dict[str, Any]],
) -> None:
    """The manual activity and a stream's activity, each ended by a later start.

    The manual one is gone; the stream waits for a slot and comes back (slots.py).
    """
    aioclient_mock.post(
        START_URL,
        side_effect=_starts(
            [
                {**START_RESPONSE, "activity_id": "manual-1"},
                {
                    **START_RESPONSE,
                    "activity_id": "manual-2",
                    "ended_activity_id": "manual-1",
                },
                {
                    **START_RESPONSE,
                    "activity_id": "manual-3",
                    "ended_activity_id": "act-1",
                },
                {
                    **START_RESPONSE,
                    "activity_id": "manual-4",
                    "ended_activity_id": "nope",
                },
            ]
        ),
    )
    await put(hass, put_answers, stream_answer("started", "act-1"))
    put_answers.append(stream_answer("started", "act-2"))  # the stream back
    activities = loaded_entry.runtime_data.activities
    for _ in range(2):
        await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    assert hass.states.get(WASHER).attributes["operation"] == "preempted"
    await act(hass, "start_live_activity", EXAMPLE_CONTENT["alert"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert activities.recent["manual-1"].status == "ended"
    assert activities.recent["manual-1"].ended_at is not None
    assert activities.recent["manual-2"].status == "active"
    washer = hass.states.get(WASHER)
    assert (washer.state, washer.attributes["status"]) == ("act-2", "active")
    sensor = hass.states.get("sensor.activitysmith_live_activity")
    assert (sensor.state, sensor.attributes["status"]) == ("manual-4", "active")


def _starts(answers: list[dict[str, Any]]) -> Any:
    from pytest_homeassistant_custom_component.test_util.aiohttp import (  # noqa: PLC0415
        AiohttpClientMockResponse,
    )

    async def answer(method: str, url: Any, data: Any) -> Any:
        return AiohttpClientMockResponse(method, url, json=answers.pop(0))

    return answer


# Hostile answers -------------------------------------------------------------------


@settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    status=st.sampled_from([402, 404, 422, 429, 502]),
    body=st.dictionaries(
        st.sampled_from(
            [
                "error",
                "message",
                "code",
                "upgrade_url",
                "trial_period",
                "limit",
                "active",
                "blocked_devices",
                "targeted_devices",
                "effective_channel_slugs",
                "devices_updated",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=50),
            st.sampled_from(
                [
                    "badge_update_failed",
                    "trial_expired",
                    "https://activitysmith.com/x",
                    "https://SECRET.activitysmith.com/",
                ]
            ),
            st.lists(st.one_of(st.text(max_size=20), st.integers()), max_size=15),
            st.fixed_dictionaries(
                {
                    "started_at": st.one_of(st.text(max_size=30), st.integers()),
                    "ends_at": st.one_of(
                        st.text(max_size=30),
                        st.just("2026-09-08T00:00:00Z"),
                        st.just("2026-09-08T00:00:00"),
                    ),
                }
            ),
        ),
    ),
)
def test_any_october_error_body_is_one_typed_error_with_safe_fields(
    status: int, body: dict[str, Any]
) -> None:
    """Whatever the new fields hold: short messages, safe links, aware times, counts."""
    err = read(status, body)
    assert len(str(err)) <= MAX_MESSAGE + 100
    assert "SECRET" not in str(err)
    if isinstance(err, ActivitySmithBillingBlockedError):
        assert status == 402
        if err.upgrade_url is not None:
            assert err.upgrade_url.startswith("https://")
            assert "SECRET" not in err.upgrade_url
        if err.trial is not None:
            assert err.trial.ends_at.tzinfo is not None
    if isinstance(err, ActivitySmithNoRecipientsError):
        assert all(isinstance(name, str) and name for name in err.channels)
        assert len(err.channels) <= 10
    if isinstance(err, ActivitySmithLiveActivityLimitError):
        assert (err.blocked_devices is None) == (err.targeted_devices is None)
