"""One tracked entity: a Home Assistant entity mirrored onto one ActivitySmith stream.

Each `tracked_entity` subentry names an entity, a Live Activity type, a template per
field and when the activity shows. On every change of the entity, or of anything its
templates read (followed by Home Assistant's template tracking, rate limits included),
the content is rendered, checked and sent through the entry's stream publisher, so
tracked entities share the budget's ordering, pacing and fairness. Entering a show
state starts the stream, leaving it ends it with the final content; `unavailable` and
`unknown` hold the last state. Identical content is not sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    TrackTemplate,
    TrackTemplateResult,
    async_track_state_change_event,
    async_track_template_result,
)
from homeassistant.helpers.template import Template
import voluptuous as vol

from .. import content
from ..client import ActivitySmithError
from ..const import ATTR_AUTO_DISMISS_MINUTES, ATTR_MIN_INTERVAL
from ..failures import message_of, translated
from ..publisher import StreamPublisher
from ..recipient_issues import failed, reached
from ..recipient_runs import RunRecipients
from ..store import ActivityTracker
from .buttons import button_for, timer_command_of
from .config import (
    CONF_CHANNELS,
    Decision,
    LiveVariables,
    TrackedConfig,
    signal_tracked,
    stream_key_for,
)
from .rendering import render_fields, shaped
from .run_tracker import PushSender, RunTracker

_LOGGER = logging.getLogger(__name__)

RENDER_ERRORS: Final = (TemplateError, vol.Invalid, HomeAssistantError)


class TrackedEntity:
    """Mirrors one entity onto its stream for as long as its subentry exists."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        publisher: StreamPublisher,
        subentry: ConfigSubentry,
        *,
        activities: ActivityTracker | None = None,
        push: PushSender | None = None,
    ) -> None:
        """Prepare; `async_start` subscribes and reconciles with the phone.

        A run condition keeps its run in `activities` and says "done" with `push`.
        """
        self._hass = hass
        self._entry = entry
        self._publisher = publisher
        self.subentry_id = subentry.subentry_id
        self.title = subentry.title
        self.config = TrackedConfig.from_data(subentry.data)
        self.stream_key = stream_key_for(subentry.subentry_id)
        self.error: str | None = None
        self.decision: Decision | None = None
        # Why nothing was sent although recipients were chosen (nobody home...).
        self.not_sent: str | None = None
        self._recipients = RunRecipients(
            hass, entry, self.config.recipients, self.config.presence
        )
        self._templates = {
            name: Template(text, hass) for name, text in self.config.fields.items()
        }
        self._show_template = (
            Template(self.config.show_template, hass)
            if self.config.show_template
            else None
        )
        self._runs = (
            RunTracker(
                hass,
                self.config.run,
                stream_key=self.stream_key,
                title=self.title,
                channels=self._done_channels,
                activities=activities,
                push=push,
                wake=self.async_schedule_refresh,
            )
            if self.config.run is not None and activities is not None and push
            else None
        )
        if self._runs is None and activities is not None:
            activities.set_run(self.stream_key, None)  # no stale run for later
        # A run's variables too, so template tracking renders what a refresh does.
        self._variables = LiveVariables(
            hass,
            self.config.entity_id,
            extra=self._runs.variables if self._runs is not None else None,
        )
        self._unsubscribe: list[Callable[[], None]] = []
        self._people: list[str] = []
        self._unfollow_people: Callable[[], None] | None = None
        self._refresh_templates: Callable[[], None] | None = None
        self._dirty = False
        self._stopped = False
        self._task: asyncio.Task[None] | None = None
        # The first refresh after a start sends the state even if it looks known:
        # the stream answers noop when the phone already shows it.
        self._reconciled = False

    def _done_channels(self) -> tuple[str, ...] | None:
        """Where a run's done push goes: to the run's recipients, else its channels.

        The run's recipients were fixed when it started; None if they were nobody.
        """
        if not self.config.recipients:
            return self.config.channels
        delivery = self._recipients.delivery
        return delivery.channels if delivery is not None and delivery.sent else None

    @property
    def running(self) -> bool:
        """Whether the stream shows something on the phone, or is about to."""
        return self._publisher.running(self.stream_key)

    @callback
    def async_start(self) -> None:
        """Follow the entity and what its templates read; bring the phone in line."""
        self._unsubscribe.append(
            async_track_state_change_event(
                self._hass, self.config.entity_id, self._entity_changed
            )
        )
        self.async_follow_people()
        templates = [*self._templates.values()]
        if self._show_template is not None:
            templates.append(self._show_template)
        if self._runs is not None:
            templates += self._runs.templates
            self._unsubscribe.append(self._runs.async_stop)
        if templates:
            tracker = async_track_template_result(
                self._hass,
                [TrackTemplate(template, self._variables) for template in templates],
                self._templates_changed,
                # A failing template is reported on the sensor and logged once, here.
                log_fn=lambda level, message: None,
            )
            self._refresh_templates = tracker.async_refresh
            self._unsubscribe.append(tracker.async_remove)
        self._unsubscribe.append(
            self._publisher.listen_failures(self.stream_key, self._request_failed)
        )
        self._unsubscribe.append(
            self._publisher.listen_answers(self.stream_key, self._request_answered)
        )
        self.async_schedule_refresh()

    @callback
    def async_stop(self) -> None:
        """Stop following (on unload, removal, or before a changed copy takes over).

        A request already on its way is not cancelled: what it sends is what the
        publisher counts on when deciding whether an end must follow.
        """
        self._stopped = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._unfollow_people is not None:
            self._unfollow_people()
            self._unfollow_people = None

    @callback
    def async_follow_people(self) -> None:
        """Follow the people of its recipients: a run nobody could get may start now.

        Called again when a subentry changes, since a recipient may now name another
        person; the new one may be home already, so the state is looked at anew.
        """
        if (people := self._recipients.people()) == self._people or self._stopped:
            return
        if self._unfollow_people is not None:
            self._unfollow_people()
            self.async_schedule_refresh()
        self._people = people
        self._unfollow_people = async_track_state_change_event(
            self._hass, people, self._entity_changed
        )

    async def async_end(self) -> None:
        """End the stream if it runs or is about to (subentry removed or paused)."""
        if self.running:
            await self._send(Decision.END, None)

    @callback
    def _entity_changed(self, event: Event[EventStateChangedData]) -> None:
        # Templates that read the entity's variables render anew too.
        if self._refresh_templates is not None:
            self._refresh_templates()
        self.async_schedule_refresh()

    @callback
    def _templates_changed(
        self,
        event: Event[EventStateChangedData] | None,
        updates: list[TrackTemplateResult],
    ) -> None:
        self.async_schedule_refresh()

    @callback
    def async_schedule_refresh(self, *_: Any) -> None:
        """Render and send soon; a burst of changes is one refresh at a time."""
        if self._stopped:
            return
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = self._entry.async_create_background_task(
                self._hass, self._refresh_while_dirty(), f"activitysmith {self.title}"
            )

    async def _refresh_while_dirty(self) -> None:
        while self._dirty and not self._stopped:
            self._dirty = False
            await self._refresh()
            if self._runs is not None:  # after the end it tells of
                await self._runs.async_send_done(dict(self._variables))

    async def _refresh(self) -> None:
        state = self._hass.states.get(self.config.entity_id)
        if not self.config.enabled:
            self._set_status(None, None)
            await self.async_end()
            return
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            if self._runs is not None:
                self._runs.hold()
            self._set_status(Decision.HOLD, self.error)
            return
        variables = dict(self._variables)
        try:
            decision = self._decide(state, variables)
        except RENDER_ERRORS as err:
            self._set_status(self.decision, message_of(self._hass, err))
            return
        if decision is Decision.HOLD or (decision is Decision.END and not self.running):
            self._set_status(decision, None)  # nothing runs: nothing to render
            return
        try:
            content_state: dict[str, Any] | None = self._render(variables, decision)
            error = None
        except RENDER_ERRORS as err:
            if decision is Decision.SHOW:
                self._set_status(self.decision, message_of(self._hass, err))
                return
            # An end still goes out, with the last state the phone has.
            content_state, error = None, message_of(self._hass, err)
        self._set_status(decision, error)
        if (
            decision is Decision.SHOW
            and self._reconciled
            and self._publisher.latest_content(self.stream_key) == content_state
        ):
            return  # identical content is not sent again
        self._reconciled = True
        await self._send(decision, content_state)

    def _decide(self, state: State, variables: dict[str, Any]) -> Decision:
        if self._runs is not None:
            return self._runs.decide(state, variables)
        if self._show_template is not None:
            shown = self._show_template.async_render(variables, parse_result=False)
            return Decision.SHOW if cv.boolean(shown.strip()) else Decision.END
        show, end = self.config.show_states, self.config.end_states
        if not show or state.state in show:
            return Decision.SHOW
        if not end or state.state in end:
            return Decision.END
        return Decision.HOLD

    def _render(self, variables: dict[str, Any], decision: Decision) -> dict[str, Any]:
        """The content state the templates give now, checked like an action's."""
        rendered = render_fields(self._templates, variables, self.config.type)
        if decision is Decision.END and self._runs is not None:
            rendered |= self._runs.final_fields(variables, self.config.type)
        content_state = content.content_of(shaped(rendered))
        if decision is Decision.END:
            phase: content.Phase = "end"
        else:
            phase = "update" if self.running else "start"
        return content.validate(content_state, phase, {})

    async def _send(
        self, decision: Decision, content_state: dict[str, Any] | None
    ) -> None:
        request: dict[str, Any] = {}
        if self.config.channels:
            request[CONF_CHANNELS] = list(self.config.channels)
        if self.config.recipients and decision is Decision.SHOW:
            delivery = self._recipients.for_send(self.running)
            self._set_not_sent(None if delivery.sent else str(delivery.nobody))
            if not delivery.sent:
                return  # nobody to send to: recorded on the sensor, not an error
            request[CONF_CHANNELS] = list(delivery.channels)
        if self.config.min_interval is not None:
            request[ATTR_MIN_INTERVAL] = self.config.min_interval
        if (button := self._button()) is not None:
            request["action"] = button
        try:
            if decision is Decision.SHOW and content_state is not None:
                await self._publisher.send(
                    self.stream_key,
                    content_state,
                    request,
                    buttons_optional=True,
                    priority=self.config.priority,
                    name=self.title,
                )
            else:
                request[ATTR_AUTO_DISMISS_MINUTES] = self.config.auto_dismiss_minutes
                await self._publisher.end(
                    self.stream_key, content_state, request, buttons_optional=True
                )
        except ActivitySmithError as err:
            _LOGGER.warning(
                "Could not mirror %s: %s",
                self.config.entity_id,
                message_of(self._hass, translated(err)),
            )

    @callback
    def _request_answered(self) -> None:
        """An update reached its recipients: their channels' repairs no longer apply."""
        if self._recipients.delivery is not None and self.config.recipients:
            reached(self._hass, self._entry, self._recipients.delivery)

    @callback
    def _request_failed(self, err: ActivitySmithError) -> None:
        """A request of this stream failed, sent now or queued: the channel repairs."""
        if self._recipients.delivery is not None and self.config.recipients:
            failed(self._hass, self._entry, self._recipients.delivery, err)

    def _button(self) -> dict[str, str] | None:
        """The activity's button (left out if it cannot reach home)."""
        state = self._hass.states.get(self.config.entity_id)
        return button_for(self.config, state, self.subentry_id)

    def timer_command(self, action: str) -> str | None:
        """The timer action one of this tracked timer's buttons runs, if it is one."""
        return timer_command_of(action, self.subentry_id)

    def _set_not_sent(self, nobody: str | None) -> None:
        if nobody != self.not_sent:
            self.not_sent = nobody
            async_dispatcher_send(
                self._hass, signal_tracked(self._entry.entry_id, self.subentry_id)
            )

    def _set_status(self, decision: Decision | None, error: str | None) -> None:
        if error is not None and error != self.error:
            _LOGGER.warning("Tracked entity %s: %s", self.config.entity_id, error)
        if (decision, error) != (self.decision, self.error):
            self.decision, self.error = decision, error
            async_dispatcher_send(
                self._hass, signal_tracked(self._entry.entry_id, self.subentry_id)
            )

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: what it follows, decided and last sent."""
        return {
            "entity_id": self.config.entity_id,
            "type": self.config.type,
            "enabled": self.config.enabled,
            "stream_key": self.stream_key,
            "decision": self.decision,
            "error": self.error,
            "not_sent": self.not_sent,
            "running": self.running,
            # A run condition's run: its phase, start, pending end and peak.
            "run": self._runs.run.as_stored() if self._runs is not None else None,
        }
