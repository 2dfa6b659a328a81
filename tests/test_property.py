"""Generated action data: every call is either rejected cleanly or sent as the spec says.

Hypothesis throws data at every action, mixing valid values with junk. Each call must
either raise a translated ServiceValidationError and send nothing, or send requests whose
bodies (and path keys) the published OpenAPI spec accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from hypothesis import HealthCheck, event, given, settings, strategies as st
from jsonschema import Draft202012Validator
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
import yaml

from custom_components.activitysmith.client import API_BASE_URL
from custom_components.activitysmith.client.budget import (
    BADGES,
    LIVE_ACTIVITIES,
    METRICS,
    NOTIFICATIONS,
)
from custom_components.activitysmith.const import DOMAIN

from .conftest import EXAMPLE_CONTENT, START_RESPONSE, stream_answer
from .test_content import SAMPLE_VALUE

SPEC_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "activitysmith" / "openapi.json"
)
pytestmark = pytest.mark.skipif(
    not SPEC_PATH.exists(), reason=f"the published spec is not at {SPEC_PATH}"
)
SERVICES_YAML = yaml.safe_load(
    (
        Path(__file__).parents[1] / "custom_components" / DOMAIN / "services.yaml"
    ).read_text()
)
ENTRY_ID = "01JACTIVITYSMITHENTRY0000"
BUTTON = {"title": "Open", "type": "open_url", "url": "https://example.com/x"}

# Valid values of the fields the content table does not cover, beside SAMPLE_VALUE's.
VALID: dict[str, list[Any]] = {
    **{name: [value] for name, value in SAMPLE_VALUE.items()},
    "type": list(EXAMPLE_CONTENT),
    "action": [
        BUTTON,
        {"title": "Hook", "type": "webhook", "url": "https://e.com/h", "method": "GET"},
    ],
    "secondary_action": [BUTTON],
    "actions": [[BUTTON], [BUTTON] * 4],
    "alert": [{"title": "A", "body": "B"}],
    "channels": [["family"], "ops"],
    "config_entry_id": [ENTRY_ID],
    "activity_id": ["pLAr-Hnq9ZFW4sxlk43Lhbuok4GLh7UW"],
    "entity_id": ["sensor.activitysmith_live_activity", "sensor.activitysmith_washer"],
    "stream_key": ["washer", "ev_charge-2"],
    "auto_dismiss_minutes": [0, 3],
    "auto_dismiss_seconds": [30],
    "min_interval": [0],  # a longer one would hold the next example back
    "priority": ["low", "normal", "high", "critical"],
    "message": ["Done"],
    "media": ["https://example.com/a.jpg"],
    "redirection": ["shortcuts://run-shortcut?name=X", "spotify:track:123"],
    "payload": [{"a": 1}],
    "badge": [{"title": "B"}, "LIVE"],
    "sound": ["default"],
    "key": ["indoor.temperature", "a"],
    "value": [1, "$1,240"],
    "tags": [["laundry", "home:washer"], "a", []],
    "metadata": [{"program": "Cotton", "spin": 1400, "eco": True}, {}],
    "interruption_level": ["passive", "active", "time-sensitive"],
    "notification_id": ["pn_8f3a2c"],
    "timestamp": ["2026-11-26T08:00:00+01:00", datetime(2026, 11, 26, tzinfo=UTC)],
}
# Where an action gives a field name another meaning.
VALID_FOR: dict[str, dict[str, list[Any]]] = {
    "send_push_notification": {
        "badge": [3, 0],
        "title": ["Door"],
        "icon": ["https://example.com/i.png"],
    },
    "replace_push_notification": {
        "badge": [3, 0],
        "title": ["Door"],
        "icon": ["https://example.com/i.png"],
    },
    "set_badge_count": {"badge": [0, 5, 2_147_483_647]},
    "update_metric_value": {"value": [21.5, -3, "Heating", 7, 0]},
}
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=70),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)
BASES: dict[str, list[dict[str, Any]]] = {
    "start_live_activity": list(EXAMPLE_CONTENT.values()),
    "update_live_activity": [{}],
    "end_live_activity": [{}],
    "stream_live_activity": [
        {"stream_key": "washer", **c} for c in EXAMPLE_CONTENT.values()
    ],
    "end_live_activity_stream": [{"stream_key": "washer"}],
    "send_push_notification": [{"title": "Door"}],
    "replace_push_notification": [{"notification_id": "pn_8f3a2c", "title": "Door"}],
    "set_badge_count": [{"badge": 1}],
    "update_metric_value": [{"key": "indoor.temperature", "value": 1}],
}


def action_data(action: str) -> st.SearchStrategy[dict[str, Any]]:
    """A valid base for the action, with a few of its fields set to valid or junk values."""
    fields = sorted(SERVICES_YAML[action]["fields"])
    valid = {**VALID, **VALID_FOR.get(action, {})}

    def values_for(names: list[str], junk: bool) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {
                name: st.one_of(st.sampled_from(valid[name]), JUNK)
                if junk
                else st.sampled_from(valid[name])
                for name in names
            }
        )

    # Half the examples change fields with valid values only (they explore what is
    # sent), half may use junk (they explore what is rejected).
    changes = st.tuples(
        st.lists(st.sampled_from(fields), max_size=3, unique=True), st.booleans()
    ).flatmap(lambda drawn: values_for(*drawn))
    unknown = st.one_of(
        *[st.just({})] * 5, st.fixed_dictionaries({"unknown_field": JUNK})
    )
    return st.builds(
        lambda base, change, extra: {**base, **change, **extra},
        st.sampled_from(BASES[action]),
        changes,
        unknown,
    )


def spec_validators() -> dict[
    tuple[str, str], tuple[Draft202012Validator, dict[str, Any]]
]:
    """Per (method, path template): the body validator and the path parameter schemas."""
    spec = json.loads(SPEC_PATH.read_text())
    registry = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, DRAFT202012)
    )
    validators = {}
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            ref = operation["requestBody"]["content"]["application/json"]["schema"][
                "$ref"
            ]
            params = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
            validators[(method.upper(), template)] = (
                Draft202012Validator({"$ref": f"urn:spec{ref}"}, registry=registry),
                params,
            )
    return validators


def check_against_spec(
    validators: dict[tuple[str, str], tuple[Draft202012Validator, dict[str, Any]]],
    method: str,
    url: str,
    body: Any,
) -> None:
    """Assert one request is one the spec accepts."""
    path = url.removeprefix(API_BASE_URL)
    for (spec_method, template), (validator, params) in validators.items():
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        if spec_method == method and (match := re.match(pattern, path)):
            for name, value in match.groupdict().items():
                Draft202012Validator(params[name]).validate(value)
            if body is not None or method != "DELETE":
                validator.validate(body)
            return
    raise AssertionError(f"{method} {path} is not an endpoint of the spec")


@pytest.fixture
async def fuzz_target(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    loaded_entry: MockConfigEntry,
) -> AiohttpClientMocker:
    """Every endpoint answers success; a manual activity and a stream exist."""
    client = loaded_entry.runtime_data.client
    for feature in (NOTIFICATIONS, BADGES, LIVE_ACTIVITIES, METRICS):
        client.budget.set_allowance(feature, 10**9, 60.0)  # tested elsewhere
    client.budget.stream_spacing = 0.0
    client.budget.min_interval = 0.0
    any_key = r"[^/]+"
    answers = [
        ("post", "/live-activity/start", START_RESPONSE),
        ("post", "/live-activity/(update|end)", START_RESPONSE),
        (
            "put",
            f"/live-activity/stream/{any_key}",
            stream_answer("updated", "a1"),
        ),
        (
            "delete",
            f"/live-activity/stream/{any_key}",
            stream_answer("ended"),
        ),
        ("post", "/(push-notification|badge)", {"success": True, "timestamp": "t"}),
        (
            "put",
            f"/push-notification/{any_key}",
            {"success": True, "notification_id": "n", "timestamp": "t"},
        ),
        ("post", f"/metrics/{any_key}/value", {"success": True}),
    ]
    for method, path, answer in answers:
        aioclient_mock.request(
            method, re.compile(re.escape(API_BASE_URL) + path + "$"), json=answer
        )
    for action, data in (
        ("start_live_activity", EXAMPLE_CONTENT["alert"]),
        (
            "stream_live_activity",
            {"stream_key": "washer", **EXAMPLE_CONTENT["progress"]},
        ),
    ):
        await hass.services.async_call(DOMAIN, action, data, blocking=True)
    return aioclient_mock


VALIDATORS = spec_validators() if SPEC_PATH.exists() else {}


@pytest.mark.parametrize("action", sorted(BASES))
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_generated_data_is_rejected_cleanly_or_sent_as_the_spec_says(
    hass: HomeAssistant,
    fuzz_target: AiohttpClientMocker,
    action: str,
    data: st.DataObject,
) -> None:
    """No third outcome: no crash, no half-sent call, no body the API would refuse."""
    call_data = data.draw(action_data(action))
    fuzz_target.mock_calls.clear()
    rejected: ServiceValidationError | None = None
    try:
        await hass.services.async_call(DOMAIN, action, call_data, blocking=True)
    except ServiceValidationError as err:
        rejected = err
    if rejected is not None:
        event("rejected", rejected.translation_key or "")
        message = str(rejected)
        assert message, call_data
        assert rejected.translation_key, call_data
        assert not re.search(r"\{[a-z_]+\}", message), message  # placeholders filled
        assert fuzz_target.mock_calls == [], call_data
        return
    event("sent")
    assert fuzz_target.mock_calls, call_data
    for method, url, body, _ in fuzz_target.mock_calls:
        check_against_spec(VALIDATORS, method, str(url), body)
