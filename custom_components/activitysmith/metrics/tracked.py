"""One tracked metric: an entity's number shown by an ActivitySmith widget.

Its `tracked_metric` subentry names the entity, the widget metric's key, the decimals
to round to, the least interval between sends and an optional value template (which
sees the same variables as a tracked entity's templates). Each change of the rounded
value is one `POST /metrics/{key}/value`, coalesced and paced by the entry's metrics
sender; an unchanged rounded value sends nothing.
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

from ..client import ActivitySmithClient, ActivitySmithError
from ..const import DOMAIN
from ..failures import translated
from ..tracked.config import LiveVariables
from .config import MetricConfig, MetricValue, metric_value
from .ledger import MetricLedger
from .sender import PacedSender
from .source import Hold, ValueSource

HELD = (STATE_UNAVAILABLE, STATE_UNKNOWN)


class TrackedMetric(ValueSource):
    """Sends an entity's rounded number to one widget metric."""

    config: MetricConfig

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
        self.config = MetricConfig.from_data(subentry.data)
        self.interval = self.config.interval
        self._variables = LiveVariables(hass, self.config.entity_id)
        self._value_template = (
            Template(self.config.value_template, hass)
            if self.config.value_template
            else None
        )

    @property
    def label(self) -> str:
        """The log names the metric by its key."""
        return f"Widget metric {self.config.key}"

    def _entity_ids(self) -> list[str]:
        return [self.config.entity_id]

    def _template(self) -> tuple[Template, Mapping[str, Any] | None] | None:
        if self._value_template is None:
            return None
        return self._value_template, self._variables

    def _value(self) -> MetricValue:
        state = self._hass.states.get(self.config.entity_id)
        if state is None or state.state in HELD:
            raise Hold
        if self._value_template is None:
            raw = state.state
        else:
            raw = self._value_template.async_render(
                dict(self._variables), parse_result=False
            ).strip()
            if raw in HELD:
                raise Hold
        try:
            return metric_value(raw, self.config.decimals)
        except vol.Invalid as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="metric_not_a_number",
                translation_placeholders={
                    "key": self.config.key,
                    "value": raw[:64],
                    "problem": err.msg,
                },
            ) from err

    async def _send(self, value: MetricValue) -> Any:
        return await self._client.update_metric_value(self.config.key, {"value": value})

    def _explain(self, err: ActivitySmithError) -> HomeAssistantError:
        """A 404 means the widget metric's key is unknown."""
        return translated(err, "metric_not_found", key=self.config.key)

    def sensor_attributes(self) -> dict[str, Any]:
        """The key it sends to, and the entity it follows."""
        return {"metric_key": self.config.key, "entity_id": self.config.entity_id}

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: what it follows, and its last send."""
        return {
            **super().as_dict(),
            "entity_id": self.config.entity_id,
            "key": self.config.key,
            "decimals": self.config.decimals,
            "interval": self.config.interval,
        }
