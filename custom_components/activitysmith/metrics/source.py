"""A value Home Assistant follows and ActivitySmith shows: a widget metric or the badge.

A `ValueSource` follows the entities and the template its subentry names (Home
Assistant's template tracking, rate limits included), works out its value on every
change and hands it to its `PacedSender` (which coalesces, paces and shares the
allowance). `unavailable` and `unknown` hold: nothing is sent. A value that cannot be
worked out is a sentence on the sensor and in the log, never a send. The answer of
each send goes to the ledger (the last accepted value, or the failure's sentence) and,
for a rejected key or a billing block, to the entry's usual handling.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    TrackTemplate,
    async_track_state_change_event,
    async_track_template_result,
)
from homeassistant.helpers.template import Template

from ..client import ActivitySmithError
from ..failures import act_on_failure, clear_billing_issue, message_of, translated
from .config import BadgeConfig, MetricConfig, MetricValue, signal_metric
from .ledger import MetricLedger
from .sender import PacedSender

_LOGGER = logging.getLogger(__name__)


class Hold(Exception):
    """Nothing to send now: what the value follows is unavailable or unknown."""


class ValueSource(ABC):
    """One subentry's value, followed and handed to its sender."""

    interval = 1.0
    config: MetricConfig | BadgeConfig

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        subentry: ConfigSubentry,
        sender: PacedSender,
        ledger: MetricLedger,
    ) -> None:
        """Prepare; `async_start` subscribes and works out the first value."""
        self._hass = hass
        self._entry = entry
        self._sender = sender
        self._ledger = ledger
        self.subentry_id = subentry.subentry_id
        self.title = subentry.title
        # Why the value cannot be worked out now (None: it can).
        self.problem: str | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    # What a kind of source follows, and how it works out and sends its value.
    @abstractmethod
    def _entity_ids(self) -> list[str]:
        """The entities whose state changes make it work the value out again."""

    @abstractmethod
    def _template(self) -> tuple[Template, Mapping[str, Any] | None] | None:
        """The template it follows, and the variables it renders with, if any."""

    @abstractmethod
    def _value(self) -> MetricValue:
        """The value now; `Hold` to send nothing, a translated error if it is wrong."""

    @abstractmethod
    async def _send(self, value: MetricValue) -> Any:
        """Send `value` to ActivitySmith (an ActivitySmithError if it fails)."""

    @abstractmethod
    def sensor_attributes(self) -> dict[str, Any]:
        """What its sensor shows besides the last send."""

    @property
    @abstractmethod
    def label(self) -> str:
        """What the log names the source by."""

    def _explain(self, err: ActivitySmithError) -> HomeAssistantError:
        """The translated error that explains a failed send."""
        return translated(err)

    @callback
    def async_start(self) -> None:
        """Follow what the value reads; send it if it differs from the last one sent."""
        self._sender.add(
            self.subentry_id,
            send=self._send,
            on_result=self._answered,
            interval=self.interval,
            current=self._ledger.get(self.subentry_id).value,
        )
        if entity_ids := self._entity_ids():
            self._unsubscribe.append(
                async_track_state_change_event(
                    self._hass, entity_ids, self.async_refresh
                )
            )
        if (template := self._template()) is not None:
            tracker = async_track_template_result(
                self._hass,
                [TrackTemplate(*template)],
                self.async_refresh,
                # A failing template is reported on the sensor and logged once, here.
                log_fn=lambda level, message: None,
            )
            self._unsubscribe.append(tracker.async_remove)
        self.async_refresh()

    @callback
    def async_stop(self) -> None:
        """Stop following (unload, removal, or a changed copy takes over)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    @callback
    def async_refresh(self, *_: Any) -> None:
        """Work out the value and hand it on; a problem goes to the sensor instead."""
        try:
            value = self._value()
        except Hold:
            return
        except (HomeAssistantError, TemplateError) as err:
            self._set_problem(message_of(self._hass, err))
            return
        self._set_problem(None)
        self._sender.submit(self.subentry_id, value)

    def _set_problem(self, problem: str | None) -> None:
        if problem == self.problem:
            return
        if problem is not None:
            _LOGGER.warning("%s: %s", self.label, problem)
        self.problem = problem
        async_dispatcher_send(
            self._hass, signal_metric(self._entry.entry_id, self.subentry_id)
        )

    @callback
    def _answered(self, value: MetricValue, err: ActivitySmithError | None) -> None:
        if err is None:
            clear_billing_issue(self._hass, self._entry)
            self._ledger.sent(self.subentry_id, value)
            return
        act_on_failure(self._hass, self._entry, err)
        message = message_of(self._hass, self._explain(err))
        _LOGGER.warning("Could not send %s for %s: %s", value, self.label, message)
        self._ledger.failed(self.subentry_id, message)

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: the last send, what waits, and any problem."""
        last = self._ledger.get(self.subentry_id)
        return {
            "title": self.title,
            "last_sent": last.as_stored(),
            "waiting": self._sender.waiting(self.subentry_id),
            "problem": self.problem,
        }
