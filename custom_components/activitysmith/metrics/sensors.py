"""The sensors of the widget metrics and the badge: what was last sent, when, any error.

Each tracked metric and the badge have a device of their own with one sensor. Its
state is the value the API last accepted (kept across restarts); its attributes say
when, what it follows, and the sentence of the last failure (a failed send, or a value
that cannot be worked out), until the next success.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..entity import ActivitySmithEntity, async_add_per_tracked_entity
from ..models import ActivitySmithConfigEntry
from .config import badge_subentries, metric_subentries, signal_metric


@callback
def async_add_metric_sensors(
    hass: HomeAssistant,
    entry: ActivitySmithConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A sensor per tracked metric and for the badge, now and as they are added."""
    async_add_per_tracked_entity(
        hass,
        entry,
        async_add_entities,
        lambda subentry: MetricSensor(entry, subentry),
        metric_subentries,
    )
    async_add_per_tracked_entity(
        hass,
        entry,
        async_add_entities,
        lambda subentry: BadgeSensor(entry, subentry),
        badge_subentries,
    )


class LastSentSensor(ActivitySmithEntity, SensorEntity):
    """The last value a source sent, on the source's own device."""

    def __init__(
        self,
        entry: ActivitySmithConfigEntry,
        subentry: ConfigSubentry,
        key: str,
        model: str,
    ) -> None:
        """Read the entry's ledger."""
        super().__init__(entry, f"{key}_{subentry.subentry_id}", subentry, model=model)
        self._entry = entry
        self._subentry_id = subentry.subentry_id

    @property
    def native_value(self) -> int | float | None:
        """The value last accepted by the API."""
        return self._entry.runtime_data.metrics.ledger.get(self._subentry_id).value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """When it was sent, and the last failure's sentence."""
        metrics = self._entry.runtime_data.metrics
        last = metrics.ledger.get(self._subentry_id)
        source = metrics.by_subentry.get(self._subentry_id)
        attributes: dict[str, Any] = {"sent_at": _iso(last.sent_at)}
        if (error := (source.problem if source else None) or last.error) is not None:
            attributes["error"] = error
        return attributes | (source.sensor_attributes() if source else {})

    async def async_added_to_hass(self) -> None:
        """Refresh whenever the source sends, fails or meets a problem."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_metric(self._entry.entry_id, self._subentry_id),
                self.async_write_ha_state,
            )
        )


class MetricSensor(LastSentSensor):
    """A widget metric's last value sent."""

    _attr_translation_key = "tracked_metric"

    def __init__(
        self, entry: ActivitySmithConfigEntry, subentry: ConfigSubentry
    ) -> None:
        """On the metric's device."""
        super().__init__(entry, subentry, "metric", "Widget metric")


class BadgeSensor(LastSentSensor):
    """The app badge's last count sent."""

    _attr_translation_key = "app_badge"

    def __init__(
        self, entry: ActivitySmithConfigEntry, subentry: ConfigSubentry
    ) -> None:
        """On the badge's device."""
        super().__init__(entry, subentry, "badge", "App badge")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
