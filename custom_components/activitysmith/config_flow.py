"""Config flow: add, re-authenticate and reconfigure an ActivitySmith API key.

Tracked entities are subentries; their flow lives in `tracked.flow`.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .client import ActivitySmithAuthError, ActivitySmithError
from .const import DOMAIN
from .metrics.config import BADGE_SUBENTRY_TYPE, METRIC_SUBENTRY_TYPE
from .metrics.flow import BadgeFlow, TrackedMetricFlow
from .models import create_client, key_hash
from .recipient_flow import RecipientFlow
from .recipients import SUBENTRY_TYPE as RECIPIENT
from .tracked.config import SUBENTRY_TYPE
from .tracked.flow import TrackedEntityFlow
from .webhook import CONF_WEBHOOK_ID, delete_cloudhook, new_credentials

_LOGGER = logging.getLogger(__name__)

API_KEY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_API_KEY): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    }
)
TITLE = "ActivitySmith"


def unique_id_for(api_key: str) -> str:
    """Identify an entry by a hash of its key, so the key itself is never an id."""
    return key_hash(api_key)


class ActivitySmithConfigFlow(ConfigFlow, domain=DOMAIN):
    """Ask for an API key and test it before storing it."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Regenerate the links of the entry's `home_assistant` buttons."""
        return RegenerateButtonLinksFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Entities to mirror, widget metrics, the app badge, recipients: one each."""
        return {
            SUBENTRY_TYPE: TrackedEntityFlow,
            METRIC_SUBENTRY_TYPE: TrackedMetricFlow,
            BADGE_SUBENTRY_TYPE: BadgeFlow,
            RECIPIENT: RecipientFlow,
        }

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a new API key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key = user_input[CONF_API_KEY].strip()
            await self.async_set_unique_id(unique_id_for(api_key))
            self._abort_if_unique_id_configured()
            if not (errors := await self._async_test_key(api_key)):
                return self.async_create_entry(
                    title=TITLE, data={CONF_API_KEY: api_key}
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(API_KEY_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the API rejected the stored key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key for the entry whose key was rejected."""
        return await self._async_replace_key(
            "reauth_confirm", self._get_reauth_entry(), user_input
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user swap the key of an entry that works."""
        return await self._async_replace_key(
            "reconfigure", self._get_reconfigure_entry(), user_input
        )

    async def _async_replace_key(
        self, step_id: str, entry: ConfigEntry, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Test a new key, then store it in `entry` and reload the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key = user_input[CONF_API_KEY].strip()
            unique_id = unique_id_for(api_key)
            if any(
                other.unique_id == unique_id and other.entry_id != entry.entry_id
                for other in self._async_current_entries(include_ignore=False)
            ):
                return self.async_abort(reason="already_configured")
            if not (errors := await self._async_test_key(api_key)):
                return self._async_store_key(entry, api_key, unique_id)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(API_KEY_SCHEMA, user_input),
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    def _async_store_key(
        self, entry: ConfigEntry, api_key: str, unique_id: str
    ) -> ConfigFlowResult:
        """Store the new key; the entry reloads with it.

        A loaded entry's update listener schedules the reload (Home Assistant wants
        an entry with an update listener to reload through it); one that is not
        loaded (its key was rejected at set-up) is reloaded from here.
        """
        changed = self.hass.config_entries.async_update_entry(
            entry, unique_id=unique_id, data={**entry.data, CONF_API_KEY: api_key}
        )
        if entry.state is not ConfigEntryState.LOADED or not changed:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        reason = (
            "reconfigure_successful"
            if self.source == SOURCE_RECONFIGURE
            else "reauth_successful"
        )
        return self.async_abort(reason=reason)

    async def _async_test_key(self, api_key: str) -> dict[str, str]:
        """Return the form errors for `api_key`: empty when the API accepts it."""
        try:
            await create_client(self.hass, api_key).check_api_key()
        except ActivitySmithAuthError:
            return {"base": "invalid_auth"}
        except ActivitySmithError as err:
            _LOGGER.debug("Could not check the API key: %s", err)
            return {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while checking the API key")
            return {"base": "unknown"}
        return {}


class RegenerateButtonLinksFlow(OptionsFlow):
    """Rotate the webhook id and the secret: buttons sent before stop working."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm, then rotate; the running entry listens on the new id at once."""
        if user_input is not None:
            await delete_cloudhook(self.hass, self.config_entry.data[CONF_WEBHOOK_ID])
            self.hass.config_entries.async_update_entry(
                self.config_entry,
                data={**self.config_entry.data, **new_credentials()},
            )
            return self.async_create_entry(data={})
        return self.async_show_form(step_id="init", data_schema=vol.Schema({}))
