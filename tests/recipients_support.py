"""Helpers for the recipients tests: add a recipient through its subentry flow."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.activitysmith.recipients import SUBENTRY_TYPE


async def add_recipient(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    name: str,
    channels: list[str],
    person: str | None = None,
) -> str:
    """Walk the recipient flow; return the new recipient's subentry id."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE), context={"source": SOURCE_USER}
    )
    answers: dict[str, Any] = {"name": name, "channels": channels}
    if person is not None:
        answers["person"] = person
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], answers
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    return next(
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_TYPE and subentry.title == name
    )


async def household(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Anna (home), Ben (away, at work) and a kitchen iPad without a person."""
    hass.states.async_set("person.anna", "home")
    hass.states.async_set("person.ben", "work")
    return {
        "anna": await add_recipient(
            hass, entry, "Anna", ["family", "anna"], "person.anna"
        ),
        "ben": await add_recipient(hass, entry, "Ben", ["family", "ben"], "person.ben"),
        "kitchen": await add_recipient(hass, entry, "Kitchen", ["kitchen"]),
    }
