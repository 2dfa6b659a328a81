"""The `recipient` subentry flow, and the recipients fields other flows share.

A recipient is a name, one or more ActivitySmith channel slugs (checked as an
action's `channels` are), and optionally a `person` entity for presence. A tracked
entity's flow picks recipients and presence with `recipient_fields`.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)
import voluptuous as vol

from .const import DOMAIN
from .recipients import (
    ATTR_PRESENCE,
    ATTR_RECIPIENTS,
    CONF_CHANNELS,
    CONF_NAME,
    CONF_PERSON,
    PRESENCE_NAMES,
    Presence,
    recipients_of,
)
from .validators import CHANNELS

PRESENCE_SELECTOR = SelectSelector(
    SelectSelectorConfig(options=list(PRESENCE_NAMES), translation_key="presence")
)


class RecipientFlow(ConfigSubentryFlow):
    """Add or change one recipient."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A name, its channels and optionally a person."""
        return await self._async_form("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recipient: the same form with its current values."""
        return await self._async_form("reconfigure", user_input)

    async def _async_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        reconfiguring = step_id == "reconfigure"
        current = dict(self._get_reconfigure_subentry().data) if reconfiguring else {}
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._checked(user_input)
            if not errors and reconfiguring:
                self._rename_device(data[CONF_NAME])
                return self.async_update_and_abort(
                    self._get_entry(),
                    self._get_reconfigure_subentry(),
                    data=data,
                    title=data[CONF_NAME],
                )
            if not errors:
                return self.async_create_entry(title=data[CONF_NAME], data=data)
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_CHANNELS): TextSelector(
                    TextSelectorConfig(multiple=True)
                ),
                vol.Optional(CONF_PERSON): EntitySelector(
                    EntitySelectorConfig(domain="person")
                ),
            }
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or current
            ),
            errors=errors,
        )

    def _rename_device(self, name: str) -> None:
        """The recipient's device is named after it (its notify entity too)."""
        entry = self._get_entry()
        subentry_id = self._get_reconfigure_subentry().subentry_id
        devices = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
            if (DOMAIN, subentry_id) in device.identifiers and device.name != name:
                devices.async_update_device(device.id, name=name)

    def _checked(
        self, user_input: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The subentry data, or the errors of the form."""
        name = str(user_input.get(CONF_NAME, "")).strip()
        own = (
            self._get_reconfigure_subentry().subentry_id
            if self.source == "reconfigure"
            else None
        )
        others = {
            recipient.name.casefold()
            for rid, recipient in recipients_of(self._get_entry()).items()
            if rid != own
        }
        if not name:
            return {}, {CONF_NAME: "name_required"}
        if name.casefold() in others:
            return {}, {CONF_NAME: "name_taken"}
        slugs = [str(slug).strip() for slug in user_input.get(CONF_CHANNELS) or ()]
        try:
            channels = CHANNELS([slug for slug in slugs if slug])
        except vol.Invalid:
            return {}, {CONF_CHANNELS: "channels_required"}
        if any(char.isspace() for slug in channels for char in slug):
            return {}, {CONF_CHANNELS: "invalid_channel"}
        data: dict[str, Any] = {
            CONF_NAME: name,
            CONF_CHANNELS: list(dict.fromkeys(channels)),
        }
        if person := user_input.get(CONF_PERSON):
            data[CONF_PERSON] = person
        return data, {}


def recipient_fields(entry: ConfigEntry[Any]) -> dict[vol.Optional, Any]:
    """The recipients and presence fields of a flow (none while there are none)."""
    recipients = recipients_of(entry)
    if not recipients:
        return {}
    options = [
        SelectOptionDict(value=rid, label=recipient.name)
        for rid, recipient in recipients.items()
    ]
    return {
        vol.Optional(ATTR_RECIPIENTS): SelectSelector(
            SelectSelectorConfig(
                options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN
            )
        ),
        vol.Optional(ATTR_PRESENCE): PRESENCE_SELECTOR,
    }


def recipient_errors(user_input: dict[str, Any]) -> dict[str, str]:
    """Channels or recipients, not both; presence other than anyone needs recipients."""
    if user_input.get(CONF_CHANNELS) and user_input.get(ATTR_RECIPIENTS):
        return {ATTR_RECIPIENTS: "channels_or_recipients"}
    presence = user_input.get(ATTR_PRESENCE, Presence.ANYONE)
    if presence != Presence.ANYONE and not user_input.get(ATTR_RECIPIENTS):
        return {ATTR_PRESENCE: "presence_needs_recipients"}
    return {}
