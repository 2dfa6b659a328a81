"""The `RateLimit` and `RateLimit-Policy` headers of an ActivitySmith answer.

IETF draft-8 structured fields: a list of policies, each a quoted name and `;key=int`
parameters. `RateLimit` gives `r` (requests remaining) and `t` (seconds until the window
resets); `RateLimit-Policy` gives `q` (quota) and `w` (window in seconds). Policies are
named `account:<feature>` and `public-api-ip:<feature>`. Reading never raises: items
that are malformed, and values that make no sense, are left out. Like the client, this
module imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import functools
import re
from typing import Final

# What a header may say and still be believed; beyond it, the value is ignored.
MAX_QUOTA: Final = 1_000_000
MAX_WINDOW: Final = 3600


@dataclass(frozen=True, slots=True)
class ServerLimit:
    """One policy of a `RateLimit` header: what remains, and when its window resets."""

    remaining: int
    reset_in: float


@dataclass(frozen=True, slots=True)
class ServerPolicy:
    """One policy of a `RateLimit-Policy` header: its quota and window."""

    quota: int
    window: float


_TOKEN: Final = re.compile(r"[A-Za-z*][A-Za-z0-9_.:/%*-]*")


@functools.lru_cache(maxsize=32)
def _items(header: str) -> dict[str, dict[str, int]]:
    """A structured-field list of `"name"; key=int; ...` items; malformed ones skipped.

    Cached: an answer's policies repeat from one answer to the next.
    """
    items: dict[str, dict[str, int]] = {}
    for part in header.split(","):
        name, *params = part.split(";")
        name = name.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
            if '"' in name or "\\" in name:
                continue
        elif _TOKEN.fullmatch(name) is None:
            continue
        values: dict[str, int] = {}
        for param in params:
            key, equals, value = (piece.strip() for piece in param.partition("="))
            digits = value[1:] if value.startswith("-") else value
            if (
                equals
                and key
                and digits.isascii()
                and digits.isdigit()
                and len(digits) <= 15
            ):
                values[key] = int(value)
        items[name] = values
    return items


def parse_rate_limit(
    headers: Mapping[str, str],
) -> tuple[dict[str, ServerLimit], dict[str, ServerPolicy]]:
    """The `RateLimit` and `RateLimit-Policy` headers, per policy name.

    Only values that make sense are kept: remaining 0 up to a million, reset and window
    up to an hour, quota 1 up to a million. Anything else in a header is ignored.
    """
    limits: dict[str, ServerLimit] = {}
    for name, params in _items(str(headers.get("RateLimit") or "")[:4096]).items():
        remaining, reset = params.get("r"), params.get("t")
        if (
            remaining is not None
            and reset is not None
            and 0 <= remaining <= MAX_QUOTA
            and 0 <= reset <= MAX_WINDOW
        ):
            limits[name] = ServerLimit(remaining, float(reset))
    policies: dict[str, ServerPolicy] = {}
    for name, params in _items(
        str(headers.get("RateLimit-Policy") or "")[:4096]
    ).items():
        quota, window = params.get("q"), params.get("w")
        if (
            quota is not None
            and window is not None
            and 1 <= quota <= MAX_QUOTA
            and 1 <= window <= MAX_WINDOW
        ):
            policies[name] = ServerPolicy(quota, float(window))
    return limits, policies
