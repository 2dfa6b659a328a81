"""The entry's tracked metrics and badge, kept in step with its subentries.

Subentries added, changed or removed start, restart or stop their source in place,
never by a reload. A changed one keeps its place in the pacing (its last send still
counts for its interval); one that sends to another key forgets what it sent before,
so the new key gets the value at once. A removed tracked metric forgets its line; a removed
badge clears the app icon. A tracked metric whose entity was deleted has a repair
issue (the same fix as a tracked entity's: remove it), and a renamed entity is followed.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback

from ..client import ActivitySmithClient, ActivitySmithError
from ..client.budget import BADGES, METRICS
from ..failures import message_of, translated
from ..followed import FollowedEntities, Follower
from .badge import AppBadge
from .config import (
    BADGE_SUBENTRY_TYPE,
    BadgeConfig,
    MetricConfig,
    badge_subentries,
    metric_subentries,
)
from .ledger import MetricLedger
from .sender import PacedSender
from .source import ValueSource
from .tracked import TrackedMetric

_LOGGER = logging.getLogger(__name__)

METRIC_MISSING_ISSUE: Final = "tracked_metric_missing"


class TrackedMetrics:
    """The entry's widget metrics and app badge from the UI."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: ActivitySmithClient,
        ledger: MetricLedger,
    ) -> None:
        """Start with none; `async_sync` follows the subentries."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self.ledger = ledger
        self.metric_sender = PacedSender(hass, entry, client.budget, METRICS)
        self.badge_sender = PacedSender(hass, entry, client.budget, BADGES)
        self.by_subentry: dict[str, ValueSource] = {}
        self._followed = FollowedEntities(
            hass,
            entry,
            METRIC_MISSING_ISSUE,
            lambda: [
                Follower(source.subentry_id, source.config.entity_id, source.title)
                for source in self.by_subentry.values()
                if isinstance(source, TrackedMetric)
            ],
        )

    async def async_sync(self) -> None:
        """Start new subentries, restart changed ones, stop and forget removed ones."""
        wanted = metric_subentries(self._entry) | badge_subentries(self._entry)
        for subentry_id in list(self.by_subentry):
            source = self.by_subentry[subentry_id]
            subentry = wanted.get(subentry_id)
            if subentry is not None and _config_of(subentry) == source.config:
                continue
            source.async_stop()
            del self.by_subentry[subentry_id]
            if subentry is None:
                await self._async_retire(source)
            elif (
                isinstance(source, TrackedMetric)
                and subentry.data.get("key") != source.config.key
            ):
                # The new key has had nothing yet: no last value, no interval to wait.
                self.ledger.forget(subentry_id)
                self.metric_sender.remove(subentry_id)
        for subentry_id in self.ledger.known() - wanted.keys():
            self.ledger.forget(subentry_id)  # removed while the entry was not running
        for subentry_id, subentry in wanted.items():
            if subentry_id not in self.by_subentry:
                source = self._source_for(subentry)
                self.by_subentry[subentry_id] = source
                source.async_start()
        self._followed.async_check()

    def _source_for(self, subentry: ConfigSubentry) -> ValueSource:
        if subentry.subentry_type == BADGE_SUBENTRY_TYPE:
            return AppBadge(
                self._hass,
                self._entry,
                subentry,
                self.badge_sender,
                self.ledger,
                self._client,
            )
        return TrackedMetric(
            self._hass,
            self._entry,
            subentry,
            self.metric_sender,
            self.ledger,
            self._client,
        )

    async def _async_retire(self, source: ValueSource) -> None:
        """A subentry was removed: its line goes; a badge is cleared on the icon."""
        self._followed.withdraw(source.subentry_id)
        badge = isinstance(source, AppBadge)
        (self.badge_sender if badge else self.metric_sender).remove(source.subentry_id)
        if isinstance(source, AppBadge):
            try:
                await source.async_clear()
            except ActivitySmithError as err:
                _LOGGER.warning(
                    "Could not clear the app badge: %s",
                    message_of(self._hass, translated(err)),
                )
        self.ledger.forget(source.subentry_id)

    async def async_stop(self) -> None:
        """Stop following; let a send on the wire finish; keep what was sent."""
        for source in self.by_subentry.values():
            source.async_stop()
        for sender in (self.metric_sender, self.badge_sender):
            sender.stop()
        for sender in (self.metric_sender, self.badge_sender):
            await sender.async_idle()
        await self.ledger.async_flush()

    @callback
    def async_follow_registry(self) -> Callable[[], None]:
        """Follow a renamed entity; a deleted one raises its repair issue."""
        return self._followed.async_follow_registry()

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: each source, by subentry id."""
        return {sid: source.as_dict() for sid, source in self.by_subentry.items()}


def _config_of(subentry: ConfigSubentry) -> MetricConfig | BadgeConfig:
    if subentry.subentry_type == BADGE_SUBENTRY_TYPE:
        return BadgeConfig.from_data(subentry.data)
    return MetricConfig.from_data(subentry.data)
