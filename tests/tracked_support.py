"""Helpers for the tracked-entity tests: a fake stream server and the subentry flow."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from functools import partial
import re
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
import voluptuous as vol

from custom_components.activitysmith.client import API_BASE_URL, RequestBudget
from custom_components.activitysmith.tracked.config import SUBENTRY_TYPE

from .conftest import stream_answer

STREAMS_URL = re.escape(f"{API_BASE_URL}/live-activity/stream/")
ANY_STREAM = re.compile(STREAMS_URL + "ha-.*")
EVERY_STREAM = re.compile(STREAMS_URL + ".*")


class StreamServer:
    """Answers every tracked stream like ActivitySmith; remembers what it received.

    With `limit`, a start beyond that many running streams gets the limit answer,
    as a phone that shows that many Live Activities does.
    """

    def __init__(
        self,
        aioclient_mock: AiohttpClientMocker,
        streams: re.Pattern[str] = ANY_STREAM,
        limit: int | None = None,
    ) -> None:
        self.received: list[tuple[str, str, dict[str, Any] | None]] = []
        self.running: set[str] = set()
        self.failures: list[dict[str, Any]] = []
        self.limit = limit
        # While set, each request waits on the wire until the gate opens.
        self.gate: asyncio.Event | None = None
        aioclient_mock.put(streams, side_effect=self.answer)
        aioclient_mock.delete(streams, side_effect=self.answer)

    async def answer(
        self, method: str, url: Any, data: Any
    ) -> AiohttpClientMockResponse:
        key = str(url).rsplit("/", 1)[-1]
        self.received.append((method, key, data))
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            return AiohttpClientMockResponse(method, url, **self.failures.pop(0))
        if method == "DELETE":
            if key not in self.running:
                return AiohttpClientMockResponse(
                    method,
                    url,
                    status=404,
                    json={"error": "Live Activity stream not found", "message": key},
                )
            self.running.discard(key)
            return AiohttpClientMockResponse(
                method, url, json=stream_answer("ended", f"act-{key}", key)
            )
        operation = "updated" if key in self.running else "started"
        full = self.limit is not None and len(self.running) >= self.limit
        if operation == "started" and full:
            return AiohttpClientMockResponse(
                method,
                url,
                status=429,
                json={
                    "error": "Live Activity limit reached",
                    "message": "iOS supports up to 4 concurrent Live Activities.",
                    "limit": self.limit,
                    "active": len(self.running),
                },
            )
        self.running.add(key)
        return AiohttpClientMockResponse(
            method, url, json=stream_answer(operation, f"act-{key}", key)
        )

    def methods(self) -> list[str]:
        """The method of each request received, in order."""
        return [method for method, _, _ in self.received]

    def sent(self, method: str | None = None) -> list[dict[str, Any] | None]:
        """The bodies received, of one method or all."""
        return [body for m, _, body in self.received if method in (None, m)]

    def states(self) -> list[dict[str, Any]]:
        """The content states PUT so far."""
        return [body["content_state"] for body in self.sent("PUT") if body]


async def add_tracked(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_id: str,
    *,
    activity_type: str | None = None,
    content: dict[str, Any] | None = None,
    when: dict[str, Any] | None = None,
    wait_background_tasks: bool = True,
    run: dict[str, Any] | None = None,
    done: dict[str, Any] | None = None,
) -> str:
    """Walk the subentry flow, changing only what is given; return the subentry id.

    Without `wait_background_tasks` it returns while the first send may still be on
    the wire.
    """
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    result = await walk(
        hass, result, entity_id, activity_type, content, when, run=run, done=done
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done(wait_background_tasks=wait_background_tasks)
    return next(
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.data["entity_id"] == entity_id
    )


async def reconfigure_tracked(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    subentry_id: str,
    **changes: Any,
) -> Any:
    """Walk the reconfigure flow of a tracked entity."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    subentry = entry.subentries[subentry_id]
    result = await walk(
        hass,
        result,
        changes.get("entity_id", subentry.data["entity_id"]),
        changes.get("activity_type"),
        changes.get("content"),
        changes.get("when"),
        run=changes.get("run"),
        done=changes.get("done"),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


async def walk(
    hass: HomeAssistant,
    result: Any,
    entity_id: str,
    activity_type: str | None,
    content: dict[str, Any] | None,
    when: dict[str, Any] | None,
    *,
    run: dict[str, Any] | None = None,
    done: dict[str, Any] | None = None,
) -> Any:
    """Submit each step with its suggested values, plus the changes given."""
    flows = hass.config_entries.subentries
    answers = {
        "user": {"entity_id": entity_id},
        "type": {"type": activity_type} if activity_type else {},
        "content": content or {},
        "when": when or {},
        "run": run or {},
        "done": done or {},
    }
    while result["type"] is FlowResultType.FORM:
        step = result["step_id"]
        result = await flows.async_configure(
            result["flow_id"], {**suggested(result), **answers[step]}
        )
        if result["type"] is FlowResultType.FORM and result["step_id"] == step:
            return result  # an error: the same form again
    return result


def suggested(result: Any) -> dict[str, Any]:
    """What a user who changes nothing submits: each field's suggestion or default."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        description = getattr(key, "description", None) or {}
        if "suggested_value" in description:
            values[str(key)] = description["suggested_value"]
        elif getattr(key, "default", vol.UNDEFINED) is not vol.UNDEFINED:
            values[str(key)] = key.default()
    return values


@pytest.fixture
def quick_budget() -> Generator[None]:
    """No pacing: what is sent depends on what happened, not on the clock."""
    with patch(
        "custom_components.activitysmith.models.RequestBudget",
        partial(
            RequestBudget, limit=1000, window=1.0, stream_spacing=0.0, min_interval=0.0
        ),
    ):
        yield


async def settle(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Let the entry's tracked entities and stream queue finish what they started."""
    await hass.async_block_till_done(wait_background_tasks=True)
    await entry.runtime_data.client.async_wait_for_streams()
    await hass.async_block_till_done(wait_background_tasks=True)
