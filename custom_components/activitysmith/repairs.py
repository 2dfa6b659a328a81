"""Repairs: a tracked entity whose entity was deleted can be removed in one click.

A tracked entity whose recipients were all removed is fixed in `recipient_issues`.
"""

from __future__ import annotations

from homeassistant.components.repairs import (
    ConfirmRepairFlow,
    RepairsFlow,
    RepairsFlowResult,
)
from homeassistant.core import HomeAssistant

from .followed import entity_exists
from .recipient_issues import REMOVED_ISSUE, SendToEveryoneFlow
from .tracked.config import CONF_ENTITY_ID


class RemoveTrackedEntityFlow(ConfirmRepairFlow):
    """Confirm, then remove the subentry (which ends its Live Activity)."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Remember which subentry the issue is about."""
        super().__init__()
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Remove the subentry once the user confirms."""
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self._entry_id)
            subentry = entry.subentries.get(self._subentry_id) if entry else None
            # Only while its entity is still missing: it may be back, or the tracked
            # entity may follow another one since the issue was raised.
            if (
                entry is not None
                and subentry is not None
                and not entity_exists(self.hass, subentry.data[CONF_ENTITY_ID])
            ):
                self.hass.config_entries.async_remove_subentry(entry, self._subentry_id)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow that fixes a missing tracked entity, or one whose recipients are gone."""
    data = data or {}
    if issue_id.startswith(REMOVED_ISSUE):
        return SendToEveryoneFlow(str(data["entry_id"]), str(data["subentry_id"]))
    return RemoveTrackedEntityFlow(str(data["entry_id"]), str(data["subentry_id"]))
