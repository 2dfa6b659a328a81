"""Subentries that follow one entity: its repair issue when it goes, a rename followed.

Tracked entities and tracked metrics each name an entity in their subentry data (under
`entity_id`). `FollowedEntities` raises a fixable repair issue for each whose entity was
deleted (again after a restart, once Home Assistant has started), withdraws it once the
entity is back or the subentry points elsewhere, and writes a renamed entity's new id
into the subentry. The fix flow (repairs.py) removes the subentry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.selector import EntitySelector
from homeassistant.helpers.start import async_at_started
import voluptuous as vol

from .const import DOMAIN

CONF_ENTITY_ID: Final = "entity_id"


@dataclass(frozen=True, slots=True)
class Follower:
    """One subentry that follows an entity: which, and its title for the repair."""

    subentry_id: str
    entity_id: str
    title: str


def entity_exists(hass: HomeAssistant, entity_id: str) -> bool:
    """Whether the entity is known: registered, or with a state."""
    return (
        er.async_get(hass).async_get(entity_id) is not None
        or hass.states.get(entity_id) is not None
    )


class FollowedEntities:
    """The repair issues and renames of one kind of subentry of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        issue_key: str,
        followers: Callable[[], Iterable[Follower]],
    ) -> None:
        """`issue_key` is the issue's translation key and its id's prefix."""
        self._hass = hass
        self._entry = entry
        self._issue_key = issue_key
        self._followers = followers

    def issue_id(self, subentry_id: str) -> str:
        """The repair issue raised when the subentry's entity is deleted."""
        return f"{self._issue_key}_{subentry_id}"

    @callback
    def withdraw(self, subentry_id: str) -> None:
        """The subentry is gone: so is its issue."""
        ir.async_delete_issue(self._hass, DOMAIN, self.issue_id(subentry_id))

    @callback
    def async_check(self) -> None:
        """Raise or withdraw each follower's issue, once Home Assistant runs.

        Before it has started, entities of integrations still loading have no state.
        """

        @callback
        def check(hass: HomeAssistant) -> None:
            for follower in self._followers():
                if entity_exists(hass, follower.entity_id):
                    self.withdraw(follower.subentry_id)
                else:
                    self._raise(follower)

        self._entry.async_on_unload(async_at_started(self._hass, check))

    @callback
    def _raise(self, follower: Follower) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self.issue_id(follower.subentry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=self._issue_key,
            translation_placeholders={
                "entity_id": follower.entity_id,
                "title": follower.title,
            },
            data={
                "entry_id": self._entry.entry_id,
                "subentry_id": follower.subentry_id,
            },
        )

    @callback
    def async_follow_registry(self) -> Callable[[], None]:
        """Follow a renamed entity; a deleted one raises its repair issue."""

        @callback
        def changed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
            change = event.data
            if change["action"] == "remove":
                # Its state may linger a moment: the registry is what just changed.
                for follower in self._following(change["entity_id"]):
                    self._raise(follower)
            elif change["action"] == "update" and "old_entity_id" in change:
                for follower in self._following(change["old_entity_id"]):
                    subentry = self._entry.subentries[follower.subentry_id]
                    self._hass.config_entries.async_update_subentry(
                        self._entry,
                        subentry,
                        data={**subentry.data, CONF_ENTITY_ID: change["entity_id"]},
                    )

        return self._hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, changed)

    def _following(self, entity_id: str) -> list[Follower]:
        return [f for f in self._followers() if f.entity_id == entity_id]


class EntitySubentryFlow(ConfigSubentryFlow):
    """The first step of a subentry that follows an entity, and its reconfigure.

    Picking another entity starts afresh (its own defaults, not the previous one's);
    reconfigure walks the same steps with the current values. `async_step_entity_picked`
    is the step that follows.
    """

    def __init__(self) -> None:
        """Collect the answers of each step."""
        self._data: dict[str, Any] = {}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Which entity it follows."""
        if user_input is not None:
            if user_input[CONF_ENTITY_ID] != self._data.get(CONF_ENTITY_ID):
                self._data = {CONF_ENTITY_ID: user_input[CONF_ENTITY_ID]}
            return await self.async_step_entity_picked()
        schema = vol.Schema({vol.Required(CONF_ENTITY_ID): EntitySelector()})
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, self._data),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change it: the same steps, with its current values."""
        self._data = dict(self._get_reconfigure_subentry().data)
        return await self.async_step_user()

    async def async_step_entity_picked(self) -> SubentryFlowResult:
        """The step after the entity (the subentry's own)."""
        raise NotImplementedError
