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


_ITEM: Final = re.compile(
    r'\s*(?:"([^"\\]*)"|([A-Za-z*][A-Za-z0-9_.:/%*-]*))\s*((?:;[^;,]*)*)'
)
_PARAM: Final = re.compile(r"\s*([a-z*][a-z0-9_.*-]*)\s*=\s*(-?[0-9]{1,15})\s*$")


def _items(header: str) -> dict[str, dict[str, int]]:
    """A structured-field list of `"name"; key=int; ...` items; malformed ones skipped."""
    items: dict[str, dict[str, int]] = {}
    for part in header.split(","):
        match = _ITEM.fullmatch(part)
        if match is None:
            continue
        params: dict[str, int] = {}
        for param in match.group(3).split(";")[1:]:
            if (found := _PARAM.fullmatch(param)) is not None:
                params[found.group(1)] = int(found.group(2))
        items[match.group(1) or match.group(2)] = params
    return items


def parse_rate_limit(
    headers: Mapping[str, str],
) -> tuple[dict[str, ServerLimit], dict[str, ServerPolicy]]:
    """The `RateLimit` and `RateLimit-Policy` headers, per policy name.

    Only values that make sense are kept: remaining 0 up to a million, reset and window
    up to an hour, quota 1 up to a million. Anything else in a header is ignored.
    """
    limits: dict[str, ServerLimit] = {}
    for name, params in _items(str(headers.get("RateLimit") or "")).items():
        remaining, reset = params.get("r"), params.get("t")
        if (
            remaining is not None
            and reset is not None
            and 0 <= remaining <= MAX_QUOTA
            and 0 <= reset <= MAX_WINDOW
        ):
            limits[name] = ServerLimit(remaining, float(reset))
    policies: dict[str, ServerPolicy] = {}
    for name, params in _items(str(headers.get("RateLimit-Policy") or "")).items():
        quota, window = params.get("q"), params.get("w")
        if (
            quota is not None
            and window is not None
            and 1 <= quota <= MAX_QUOTA
            and 1 <= window <= MAX_WINDOW
        ):
            policies[name] = ServerPolicy(quota, float(window))
    return limits, policies
