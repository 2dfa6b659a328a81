"""The app-icon badge from the UI: a count of entities in given states, or a template.

The `badge` subentry (at most one per entry) names entities and the states that count
(`on` unless told otherwise), or a template that renders a whole number. Entities that
are `unavailable`, `unknown` or gone do not count. Each change of the count is one
`POST /badge`, coalesced and paced by the entry's badges sender; 0 clears the badge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.template import Template
import voluptuous as vol

from ..client import ActivitySmithClient
from ..const import DOMAIN
from .config import BadgeConfig, MetricValue, badge_count
from .ledger import MetricLedger
from .sender import PacedSender
from .source import ValueSource

NEVER_COUNT = (STATE_UNAVAILABLE, STATE_UNKNOWN)


class AppBadge(ValueSource):
    """Sends the count to the ActivitySmith app icon."""

    config: BadgeConfig

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        subentry: ConfigSubentry,
        sender: PacedSender,
        ledger: MetricLedger,
        client: ActivitySmithClient,
    ) -> None:
        """Read the subentry; nothing is followed before `async_start`."""
        super().__init__(hass, entry, subentry, sender, ledger)
        self._client = client
        self.config = BadgeConfig.from_data(subentry.data)
        self._count_template = (
            Template(self.config.count_template, hass)
            if self.config.count_template
            else None
        )
        # The count worked out last (what the badge shows once it is sent).
        self.counted: int | None = None

    @property
    def label(self) -> str:
        """The log names it as the app badge."""
        return "App badge"

    def _entity_ids(self) -> list[str]:
        return [] if self._count_template else list(self.config.entities)

    def _template(self) -> tuple[Template, Mapping[str, Any] | None] | None:
        return None if self._count_template is None else (self._count_template, None)

    def _value(self) -> MetricValue:
        if self._count_template is None:
            self.counted = sum(
                1
                for entity_id in self.config.entities
                if (state := self._hass.states.get(entity_id)) is not None
                and state.state not in NEVER_COUNT
                and state.state in self.config.count_states
            )
            return self.counted
        raw = self._count_template.async_render(parse_result=False).strip()
        try:
            self.counted = badge_count(raw)
        except vol.Invalid as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="badge_not_a_count",
                translation_placeholders={"value": raw[:64], "problem": err.msg},
            ) from err
        return self.counted

    async def _send(self, value: MetricValue) -> Any:
        return await self._client.set_badge({"badge": int(value)})

    async def async_clear(self) -> None:
        """The badge subentry is removed: clear the number it left on the icon."""
        if self._ledger.get(self.subentry_id).value:
            await self._client.set_badge({"badge": 0})

    def sensor_attributes(self) -> dict[str, Any]:
        """The count now (sent once its turn comes)."""
        return {"counted": self.counted}

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: what it counts, and its last send."""
        return {
            **super().as_dict(),
            "entities": list(self.config.entities),
            "count_states": list(self.config.count_states),
            "template": self.config.count_template is not None,
            "counted": self.counted,
        }
