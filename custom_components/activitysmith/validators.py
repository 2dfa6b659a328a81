"""Shapes of single values that several actions share: numbers, texts, URLs, buttons.

Each is a voluptuous validator that accepts what templates produce (numeric strings,
plain strings for objects) and returns what the API wants, or raises `vol.Invalid` with a
short explanation that the translated error message quotes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import json
import math
from typing import Any, Final

from homeassistant.helpers import config_validation as cv
import voluptuous as vol
from yarl import URL


def number(
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> Callable[[Any], float | int]:
    """A finite number (numeric strings from templates are accepted) within bounds."""

    def validate(value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise vol.Invalid("expected a number")
        try:
            parsed = float(value)
        except OverflowError as err:  # an int beyond any float, like {{ 10 ** 400 }}
            raise vol.Invalid("expected a finite number") from err
        except ValueError as err:
            raise vol.Invalid("expected a number") from err
        if not math.isfinite(parsed):
            raise vol.Invalid("expected a finite number")
        if minimum is not None and parsed < minimum:
            raise vol.Invalid(f"must be at least {minimum:g}")
        if maximum is not None and parsed > maximum:
            raise vol.Invalid(f"must be at most {maximum:g}")
        if above is not None and parsed <= above:
            raise vol.Invalid(f"must be greater than {above:g}")
        if isinstance(value, int):
            return value
        return int(parsed) if parsed.is_integer() and abs(parsed) < 2**53 else parsed

    return validate


def whole_number(*, minimum: int) -> Callable[[Any], int]:
    """A whole number of at least `minimum` (2.0 and "2" count, 2.5 does not)."""
    as_number = number(minimum=minimum)

    def validate(value: Any) -> int:
        parsed = as_number(value)
        if not float(parsed).is_integer():
            raise vol.Invalid("expected a whole number")
        return int(parsed)

    return validate


def text(*, min_length: int = 0, max_length: int | None = None) -> vol.All[Any]:
    """A string, of a length within bounds."""
    return vol.All(cv.string, vol.Length(min=min_length, max=max_length))


def url(*schemes: str) -> Callable[[Any], str]:
    """An absolute URL with one of `schemes` and a host."""

    def validate(value: Any) -> str:
        url = cv.string(value)
        parsed = URL(url)
        if parsed.scheme not in schemes or not parsed.host:
            allowed = " or ".join(f"{scheme}://" for scheme in schemes)
            raise vol.Invalid(f"must be an URL starting with {allowed}")
        return url

    return validate


def button_of(open_url: Callable[[Any], str]) -> Callable[[Any], dict[str, Any]]:
    """A button: open a URL, call an https webhook, or fire a Home Assistant event.

    `open_url` checks what an open_url button may open. `home_assistant` buttons are
    sent as signed webhook buttons (see `buttons`).
    """

    def validate(value: Any) -> dict[str, Any]:
        if isinstance(value, Mapping) and value.get("type") == "home_assistant":
            home: dict[str, Any] = HOME_ASSISTANT_BUTTON(value)
            return home
        button: dict[str, Any] = ACTION_SHAPE(value)
        if button["type"] == "open_url":
            open_url(button["url"])
            for webhook_only in ("method", "body"):
                if webhook_only in button:
                    raise vol.Invalid(f"{webhook_only} is only used by webhook buttons")
        else:
            HTTPS_URL(button["url"])
        return button

    return validate


def app_link(*, max_length: int | None = None) -> Callable[[Any], str]:
    """A link any app may handle: a scheme, then anything (spotify:track:1, https://...).

    The API's own pattern for push links; iOS opens it with the app that claims it.
    """
    shape = vol.All(
        cv.string,
        vol.Match(
            r"[A-Za-z][A-Za-z0-9+.-]*:",
            msg="must be a link starting with a scheme, like https:, shortcuts: or "
            "spotify:",
        ),
        vol.Length(max=max_length, msg=f"must be at most {max_length} characters"),
    )

    def validate(value: Any) -> str:
        link: str = shape(value)
        return link

    return validate


def image_url(value: Any) -> str:
    """An https image URL without user name or password in it."""
    link = HTTPS_URL(value)
    parsed = URL(link)
    if parsed.user is not None or parsed.password is not None:
        raise vol.Invalid("must not contain a user name or password")
    return link


NON_EMPTY_TEXT: Final = text(min_length=1)
# Links a phone opens: a web page (a dashboard on the local network too) or a Shortcut.
OPEN_URL: Final = url("http", "https", "shortcuts")
# What ActivitySmith's servers fetch or call: HTTPS only.
HTTPS_URL: Final = url("https")


def key_pattern(pattern: str, msg: str) -> vol.All[Any]:
    r"""A string that matches `pattern` as a whole.

    `\Z`, not `$`, ends it: `$` also matches before a trailing newline.
    """
    return vol.All(cv.string, vol.Match(rf"(?:{pattern})\Z", msg=msg))


ACTION_SHAPE: Final = vol.Schema(
    {
        vol.Required("title"): NON_EMPTY_TEXT,
        vol.Required("type"): vol.In(("open_url", "webhook", "home_assistant")),
        vol.Required("url"): cv.string,
        vol.Optional("method"): vol.In(("GET", "POST")),
        vol.Optional("body"): dict,
    }
)
CHANNELS: Final = vol.All(cv.ensure_list, [NON_EMPTY_TEXT], vol.Length(min=1))


def target_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The request's `target` for the channels in flat action data (none: no target)."""
    return {"target": {"channels": data["channels"]}} if "channels" in data else {}


HOME_ASSISTANT_BUTTON: Final = vol.Schema(
    {
        vol.Required("title"): NON_EMPTY_TEXT,
        vol.Required("type"): "home_assistant",
        vol.Required("action"): key_pattern(
            r"[A-Za-z0-9_-]{1,64}", "use 1 to 64 letters, digits, _ and -"
        ),
    }
)


# Buttons on a Live Activity open a web page or a Shortcut; on a push, any app's link.
action_button: Final = button_of(OPEN_URL)
push_action_button: Final = button_of(app_link())

# Tags and metadata: request-level fields that file a request in ActivitySmith's
# history. Sent as given: omitted keeps what the activity or notification has, an empty
# list or mapping clears it.
TAG: Final = key_pattern(
    r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}",
    "use 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
)
MAX_METADATA_ENTRIES: Final = 50
MAX_METADATA_TEXT: Final = 4000
MAX_METADATA_BYTES: Final = 16 * 1024


def tags(*, max_count: int | None = None) -> vol.All[Any]:
    """A list of tags (a single tag counts as a list of one), at most `max_count`."""
    return vol.All(
        cv.ensure_list,
        [TAG],
        vol.Length(max=max_count, msg=f"at most {max_count} tags"),
    )


def _metadata_value(value: Any) -> str | float | int | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return number()(value)
    if isinstance(value, str):
        if len(value) > MAX_METADATA_TEXT:
            raise vol.Invalid(f"a text of at most {MAX_METADATA_TEXT} characters")
        return value
    raise vol.Invalid("expected a text, a finite number or a boolean")


def metadata(value: Any) -> dict[str, Any]:
    """Key-value details shown in ActivitySmith's history, never on the phone.

    Texts (at most 4000 characters), finite numbers or booleans; at most 50 entries and
    16 KB as JSON (a limit JSON Schema cannot state, so it is checked here).
    """
    if not isinstance(value, Mapping):
        raise vol.Invalid("expected a mapping of names to values")
    if len(value) > MAX_METADATA_ENTRIES:
        raise vol.Invalid(f"at most {MAX_METADATA_ENTRIES} entries")
    checked: dict[str, Any] = {}
    for key, item in value.items():
        try:
            checked[cv.string(key)] = _metadata_value(item)
        except vol.Invalid as err:
            raise vol.Invalid(err.msg, path=[key]) from err
    size = len(json.dumps(checked, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_METADATA_BYTES:
        raise vol.Invalid(f"at most {MAX_METADATA_BYTES} bytes as JSON, not {size}")
    return checked
