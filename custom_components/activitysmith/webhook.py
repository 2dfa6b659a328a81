"""Buttons that come home: a tap on the Lock Screen fires an event in Home Assistant.

A button `{title, type: home_assistant, action}` is sent to ActivitySmith as a `webhook`
button that POSTs to this Home Assistant: through the Home Assistant Cloud cloudhook
when Cloud is logged in, else through the configured external URL if it is HTTPS. Its
JSON body carries what the event will say (action, title, and the stream key or activity
id when known) and a token: an HMAC of those fields with the entry's secret. The vendor
documents no request signing, so the webhook URL and the token are the secret.

A press fires `activitysmith_action` and the entry's event entity. A request with a
wrong id, a missing or wrong token, or an action never sent fires nothing and gets the
same empty 200 as an unknown webhook. At most `MAX_PRESSES_PER_SECOND` events per entry;
the rest are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any, Final

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util.signal_type import SignalType
from yarl import URL

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

EVENT_ACTION: Final = "activitysmith_action"
BUTTON_TYPE: Final = "home_assistant"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_SECRET: Final = "button_secret"  # noqa: S105 (the name of a key, not a secret)
CONF_ACTIONS: Final = "button_actions"
MAX_PRESSES_PER_SECOND: Final = 5
ALL_METHODS: Final = ("GET", "HEAD", "POST", "PUT")
# Fields of a button body the token covers, in this order.
SIGNED: Final = ("action", "title", "stream_key", "activity_id")


def signal_actions(entry_id: str) -> SignalType[()]:
    """Sent when a new action id was sent (the event entity's types change)."""
    return SignalType(f"{DOMAIN}_{entry_id}_button_actions")


def signal_pressed(entry_id: str) -> SignalType[dict[str, str]]:
    """Sent with the signed fields of a valid press (action, title, stream or activity)."""
    return SignalType(f"{DOMAIN}_{entry_id}_button_pressed")


def new_credentials() -> dict[str, str]:
    """A fresh webhook id and a 256-bit secret, for a new entry or a rotation."""
    return {
        CONF_WEBHOOK_ID: webhook.async_generate_id(),
        CONF_SECRET: secrets.token_hex(32),
    }


def token_for(secret: str, fields: Mapping[str, Any]) -> str:
    """The HMAC that vouches for a button body's fields."""
    signed = json.dumps([fields.get(name) for name in SIGNED], separators=(",", ":"))
    return hmac.new(bytes.fromhex(secret), signed.encode(), hashlib.sha256).hexdigest()


async def cloudhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """The Home Assistant Cloud URL of the webhook, when Cloud is logged in."""
    if "cloud" not in hass.config.components:
        return None
    # Imported only when Cloud runs: it brings in much that nothing else here needs.
    from homeassistant.components import cloud  # noqa: PLC0415

    if not cloud.async_active_subscription(hass):
        return None
    try:
        return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:  # logged in, but not connected right now
        _LOGGER.debug("Home Assistant Cloud has no cloudhook now")
        return None


async def delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete the webhook's cloudhook, if Cloud runs (entry removed, links rotated)."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    if cloud.async_active_subscription(hass):
        try:
            await cloud.async_delete_cloudhook(hass, webhook_id)
        except cloud.CloudNotAvailable:
            _LOGGER.debug("Could not delete the cloudhook now")


class ButtonPresses:
    """One entry's webhook: turns valid presses into events, everything else into 200."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Not listening until `async_register`."""
        self._hass = hass
        self._entry = entry
        self._webhook_id: str | None = None
        self._window_start = 0.0
        self._in_window = 0
        self.dropped = 0
        self.last_press: dict[str, Any] | None = None

    @property
    def actions(self) -> list[str]:
        """Every action id sent so far (the event entity's event types)."""
        return list(self._entry.data.get(CONF_ACTIONS, []))

    @callback
    def async_register(self) -> None:
        """Listen on the entry's webhook (again, after a rotation)."""
        webhook_id = self._entry.data[CONF_WEBHOOK_ID]
        if webhook_id == self._webhook_id:
            return
        self.async_unregister()
        webhook.async_register(
            self._hass,
            DOMAIN,
            "ActivitySmith buttons",
            webhook_id,
            self._handle,
            local_only=False,
            allowed_methods=ALL_METHODS,
        )
        self._webhook_id = webhook_id

    @callback
    def async_unregister(self) -> None:
        """Stop listening (unload, or before listening on a rotated id)."""
        if self._webhook_id is not None:
            webhook.async_unregister(self._hass, self._webhook_id)
            self._webhook_id = None

    async def async_resolve(
        self,
        request: Mapping[str, Any],
        *,
        stream_key: str | None = None,
        activity_id: str | None = None,
        optional: bool = False,
    ) -> dict[str, Any]:
        """`request` with each home_assistant button made a signed webhook button.

        When no URL can reach home: a translated error, or with `optional` the request
        without those buttons (a tracked entity shows its content all the same).
        """
        resolved = dict(request)
        places = [name for name in ("action", "secondary_action") if name in request]
        buttons = [request[name] for name in places]
        buttons += list(request.get("actions") or [])
        if not any(button.get("type") == BUTTON_TYPE for button in buttons):
            return resolved
        if (url := await self._webhook_url()) is None:
            if not optional:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="no_https_url_for_buttons",
                )
            for name in places:
                if request[name].get("type") == BUTTON_TYPE:
                    del resolved[name]
            if "actions" in request:
                resolved["actions"] = [
                    b for b in request["actions"] if b.get("type") != BUTTON_TYPE
                ]
            return resolved
        context = {"stream_key": stream_key, "activity_id": activity_id}
        for name in places:
            resolved[name] = self._webhook_button(url, request[name], context)
        if "actions" in request:
            resolved["actions"] = [
                self._webhook_button(url, button, context)
                for button in request["actions"]
            ]
        return resolved

    def _webhook_button(
        self, url: str, button: Mapping[str, Any], context: Mapping[str, str | None]
    ) -> dict[str, Any]:
        if button.get("type") != BUTTON_TYPE:
            return dict(button)
        self._remember(button["action"])
        fields = {
            "action": button["action"],
            "title": button["title"],
            **{name: value for name, value in context.items() if value is not None},
        }
        body = {**fields, "token": token_for(self._entry.data[CONF_SECRET], fields)}
        return {
            "title": button["title"],
            "type": "webhook",
            "url": url,
            "method": "POST",
            "body": body,
        }

    def _remember(self, action: str) -> None:
        """Make `action` an event type before any press of it can arrive."""
        if action in self.actions:
            return
        self._hass.config_entries.async_update_entry(
            self._entry,
            data={**self._entry.data, CONF_ACTIONS: [*self.actions, action]},
        )
        async_dispatcher_send(self._hass, signal_actions(self._entry.entry_id))

    async def _webhook_url(self) -> str | None:
        """Where ActivitySmith calls, chosen now (the external URL can change)."""
        webhook_id: str = self._entry.data[CONF_WEBHOOK_ID]
        if (url := await cloudhook_url(self._hass, webhook_id)) is not None:
            return url
        external = URL(self._hass.config.external_url or "")
        if external.scheme == "https" and external.host:
            return str(external.with_path(f"/api/webhook/{webhook_id}"))
        return None

    # A genuine press's body is well under a kilobyte; nothing longer is read.
    MAX_BODY: Final = 64 * 1024

    async def _handle(
        self, hass: HomeAssistant, webhook_id: str, request: Request
    ) -> Response:
        """A press: fire the event if the token vouches for it; always an empty 200.

        Total, like an unknown webhook's answer: whatever the method, headers, bytes or
        size of the request, nothing raises and nothing is logged above debug.
        """
        body = await self._read_json(request) if request.method == "POST" else None
        press = self._vouched_for(body)
        if press is not None and self._within_rate():
            action: str = press["action"]
            self.last_press = {"action": action, "at": time.time()}
            hass.bus.async_fire(
                EVENT_ACTION, {**press, "config_entry_id": self._entry.entry_id}
            )
            async_dispatcher_send(hass, signal_pressed(self._entry.entry_id), press)
        return Response(status=200)

    async def _read_json(self, request: Request) -> object:
        """The JSON of a body of at most MAX_BODY bytes, else None; never raises.

        Read from the stream, bounded, so aiohttp's own size limit never raises; parsed
        as JSON text (UTF-8, or the UTF-16/32 JSON allows), whatever charset the
        Content-Type names: the token, not the headers, vouches for a press.
        """
        chunks: list[bytes] = []
        size = 0
        try:
            while size <= self.MAX_BODY:
                chunk = await request.content.read(self.MAX_BODY + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except Exception:  # a body cut off or mis-encoded is no press
            _LOGGER.debug("A button press body could not be read", exc_info=True)
            return None
        if size > self.MAX_BODY or not chunks:
            return None
        try:
            return json.loads(b"".join(chunks))
        # Not JSON, not in an encoding JSON allows, or nested past the parser's stack.
        except ValueError, RecursionError:
            return None

    def _vouched_for(self, body: object) -> dict[str, str] | None:
        """The signed fields of a genuine press, else None."""
        if not isinstance(body, dict) or not isinstance(body.get("token"), str):
            return None
        press = {name: body[name] for name in SIGNED if body.get(name) is not None}
        if any(not isinstance(value, str) for value in press.values()):
            return None
        expected = token_for(self._entry.data[CONF_SECRET], press).encode()
        # As bytes: compare_digest refuses text that is not ASCII.
        given = body["token"].encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(expected, given):
            return None
        return press if press.get("action") in self.actions else None

    def _within_rate(self) -> bool:
        now = time.monotonic()
        if now - self._window_start >= 1:
            self._window_start, self._in_window = now, 0
        self._in_window += 1
        if self._in_window > MAX_PRESSES_PER_SECOND:
            self.dropped += 1
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics: never the webhook id, the secret or a token."""
        return {
            "actions": self.actions,
            "presses_dropped_by_rate_limit": self.dropped,
            "last_press": self.last_press,
        }
