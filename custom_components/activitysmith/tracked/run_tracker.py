"""A tracked entity's run at runtime: its value, clock, store, final words and push.

`RunTracker` sits between a tracked entity (`entity`) and its run condition
(`conditions`): it reads the value (the state, or the value template), feeds it to the
condition, keeps the run in the entry's store after every change, wakes the entity
when a duration is up (Home Assistant's own point-in-time tracking, so the clock in
tests is the frozen one), adds the run's variables to every template and, when a run
ends, the final words of its content and the one "done" push of that run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
import logging
import math
from typing import Any, Final

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later, async_track_point_in_utc_time
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

from ..client import (
    ActivitySmithBudgetExhaustedError,
    ActivitySmithError,
    ActivitySmithRateLimitError,
    JsonObject,
)
from ..const import DOMAIN
from ..failures import message_of, translated
from ..store import ActivityTracker
from ..validators import target_of
from .conditions import RunCondition, RunConfig, Transition
from .config import Decision
from .runs import Run, RunPhase, RunSummary, duration_text

_LOGGER = logging.getLogger(__name__)

type PushSender = Callable[[dict[str, Any], str], Awaitable[JsonObject]]
# A "done" push the budget refused is tried again this many times, when it says.
PUSH_RETRIES: Final = 3
PUSH_RETRY_WAIT: Final = 60.0  # seconds, when a 429 does not say
NO_NUMBER: Final = (STATE_UNAVAILABLE, STATE_UNKNOWN, "None", "")


def value_error(value: object) -> HomeAssistantError:
    """The error shown on the sensor for a value that is not a number."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="run_value_not_a_number",
        translation_placeholders={"value": str(value)[:100]},
    )


def summary_of(hass: HomeAssistant, seconds: int | None) -> str:
    """A run's summary (Done after 1 h 12 min) in Home Assistant's language."""
    done = HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="run_done",
        translation_placeholders={"duration": duration_text(seconds or 0)},
    )
    return message_of(hass, done)


class RunTracker:
    """The run of one tracked entity, kept in the entry's store under its stream."""

    def __init__(
        self,
        hass: HomeAssistant,
        config: RunConfig,
        *,
        stream_key: str,
        title: str,
        channels: Callable[[], tuple[str, ...] | None],
        activities: ActivityTracker,
        push: PushSender,
        wake: Callable[[], None],
    ) -> None:
        """Continue the stored run of `stream_key`; `wake` asks for a refresh.

        `channels` says where the done push goes when it is due: the channels (empty:
        every device of the key), or None when the run's recipients leave nobody.
        """
        self._hass = hass
        self._config = config
        self._stream_key = stream_key
        self._title = title
        self._channels = channels
        self._activities = activities
        self._push = push
        self._wake = wake
        run = Run.from_stored(activities.runs.get(stream_key))
        self._condition = RunCondition(config, run)
        self._value = (
            Template(config.value_template, hass) if config.value_template else None
        )
        self._templates = {
            name: Template(text, hass)
            for name, text in (
                ("done_message", config.done_message),
                ("push_title", config.push_title),
                ("push_message", config.push_message),
            )
            if text
        }
        self._cancel_due: CALLBACK_TYPE | None = None
        self._cancel_retry: CALLBACK_TYPE | None = None
        # The run that ended and whose "done" push is still to go.
        self._push_due: RunSummary | None = None

    @property
    def templates(self) -> list[Template]:
        """The templates whose results decide the run (for template tracking)."""
        return [self._value] if self._value is not None else []

    @property
    def run(self) -> Run:
        """The run as it is now."""
        return self._condition.run

    @callback
    def async_stop(self) -> None:
        """Stop the clock (the run stays in the store for the next copy)."""
        for cancel in (self._cancel_due, self._cancel_retry):
            if cancel is not None:
                cancel()
        self._cancel_due = self._cancel_retry = None

    def hold(self) -> None:
        """The entity is unavailable or unknown: the pending clocks wait."""
        self._observe(None)

    def decide(self, state: State, variables: dict[str, Any]) -> Decision:
        """Feed the value to the condition; add the run's variables to `variables`.

        A value that is not a number pauses the clocks and raises the sentence for
        the sensor's `error` attribute.
        """
        raw: object = state.state
        if self._value is not None:
            try:
                raw = self._value.async_render(variables, parse_result=False).strip()
            except HomeAssistantError:  # TemplateError is one
                self._observe(None)
                raise
        value = _as_number(raw)
        self._observe(value)
        variables |= self.variables()
        if value is None and str(raw) not in NO_NUMBER:
            raise value_error(raw)
        return Decision.SHOW if self.run.phase is RunPhase.RUNNING else Decision.END

    def variables(self) -> dict[str, Any]:
        """The run's variables for the templates, `run_summary` included."""
        found = self.run.variables(dt_util.utcnow())
        return found | {"run_summary": summary_of(self._hass, found["run_elapsed"])}

    def final_fields(
        self, variables: dict[str, Any], activity_type: str
    ) -> dict[str, Any]:
        """What the end of a run adds to its final content (nothing for another end)."""
        if self.run.ended is None:
            return {}
        template = self._templates.get("done_message")
        subtitle = (
            template.async_render(variables, parse_result=False)
            if template is not None
            else variables["run_summary"]
        )
        fields: dict[str, Any] = {"subtitle": subtitle} if subtitle else {}
        if activity_type == "timer":
            fields["is_running"] = False  # the elapsed timer stops at the run's length
        return fields

    async def async_send_done(self, variables: dict[str, Any]) -> None:
        """Send the "done" push of the run that just ended, if it is due (once).

        Its templates see `variables` (the entity's) and the ended run's.
        """
        if (summary := self._push_due) is None:
            return
        self._push_due = None
        variables = {
            **variables,
            "run_started": summary.started,
            "run_elapsed": summary.elapsed,
            "run_peak": summary.peak,
            "run_summary": summary_of(self._hass, summary.elapsed),
        }
        body = self._push_body(variables)
        if body is not None:
            await self._async_push(body, PUSH_RETRIES)

    def _observe(self, value: float | None) -> None:
        run = self.run
        run.ended = None
        transition = self._condition.observe(value, dt_util.utcnow())
        if transition is Transition.ENDED and self._config.push:
            self._push_due = run.ended
        self._activities.set_run(
            self._stream_key, None if run == Run() else run.as_stored()
        )
        self._schedule(self._condition.due())

    def _schedule(self, due: datetime | None) -> None:
        if self._cancel_due is not None:
            self._cancel_due()
            self._cancel_due = None
        if due is None:
            return

        @callback
        def fire(now: datetime) -> None:
            self._cancel_due = None
            self._wake()

        self._cancel_due = async_track_point_in_utc_time(self._hass, fire, due)

    def _push_body(self, variables: dict[str, Any]) -> dict[str, Any] | None:
        try:
            title, message = (
                self._templates[name].async_render(variables, parse_result=False)
                if name in self._templates
                else default
                for name, default in (
                    ("push_title", self._title),
                    ("push_message", variables["run_summary"]),
                )
            )
        except HomeAssistantError as err:  # TemplateError is one
            _LOGGER.warning(
                "The done push of %s was not sent: %s",
                self._title,
                message_of(self._hass, err),
            )
            return None
        body: dict[str, Any] = {"title": title or self._title}
        if message:
            body["message"] = message
        if (button := self._config.push_button) is not None:
            body["actions"] = [
                {"title": button[0], "type": "home_assistant", "action": button[1]}
            ]
        if (channels := self._channels()) is None:
            _LOGGER.debug("The done push of %s has nobody to go to", self._title)
            return None
        if channels:
            body |= target_of({"channels": list(channels)})
        return body

    async def _async_push(self, body: dict[str, Any], retries: int) -> None:
        try:
            await self._push(body, self._stream_key)
        except (ActivitySmithBudgetExhaustedError, ActivitySmithRateLimitError) as err:
            # Nothing reached a phone: tried again when the budget (or 429) says.
            if retries <= 0:
                self._push_failed(err)
                return

            @callback
            def again(now: datetime) -> None:
                self._cancel_retry = None
                self._hass.async_create_task(self._async_push(body, retries - 1))

            self._cancel_retry = async_call_later(
                self._hass, max(err.retry_after or PUSH_RETRY_WAIT, 0.1), again
            )
        except ActivitySmithError as err:
            self._push_failed(err)

    def _push_failed(self, err: ActivitySmithError) -> None:
        _LOGGER.warning(
            "The done push of %s was not sent: %s",
            self._title,
            message_of(self._hass, translated(err)),
        )


def _as_number(raw: object) -> float | None:
    """A finite number, or None (never a start or end from anything else)."""
    try:
        number = float(str(raw))
    except ValueError:
        return None
    return number if math.isfinite(number) else None
