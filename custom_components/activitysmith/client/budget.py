"""The request budget of one API key: one allowance per feature, and the server's word.

ActivitySmith gives each account one allowance per feature and 60 s window (October 2026
API): push notifications 60, badges 60, Live Activities 300 (start, update, end, stream
PUT and DELETE), metric updates 300. `RequestBudget` keeps one sliding-window log per
feature, so a busy feature never delays another, and says when the next request of a
feature may go. Stream sends, which can wait and be coalesced, use at most 19 of every 20
Live Activity requests and go evenly, one every (60 + `WINDOW_MARGIN`) / 285 = 0.212 s,
never a burst followed by a stall; start, update and end may use the other 15 a minute
at any time.

The server says what is left: every answer carries `RateLimit` and `RateLimit-Policy`
(read by `rate_limit_headers`). `observe` follows them: when the server says fewer
remain than the log thinks (another client of the same account, or of the same IP),
requests wait until its window resets, streams spreading what is left over the time to
the reset; a quota or window it states replaces the documented one. Headers that are
missing or malformed change nothing. A 429 pauses the feature it came from. The stream
requests that wait for the budget are kept in order by `stream_queue`.

Like the client, this module imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import math
import time
from typing import Any, Final

from .rate_limit_headers import parse_rate_limit

WINDOW_SECONDS: Final = 60.0
NOTIFICATIONS: Final = "notifications"
BADGES: Final = "badges"
LIVE_ACTIVITIES: Final = "live-activities"
METRICS: Final = "metrics"
# The account's allowance per feature and window, as documented (October 2026).
QUOTAS: Final[Mapping[str, int]] = {
    NOTIFICATIONS: 60,
    BADGES: 60,
    LIVE_ACTIVITIES: 300,
    METRICS: 300,
}
# A request stays in the window this much longer than the window: it reaches the server
# a little after it was counted here, and the server counts arrivals.
WINDOW_MARGIN: Final = 0.5
# The least time between two updates of one stream, unless it sets its own: one Lock
# Screen never takes more than 60 of the account's 300 Live Activity requests a minute,
# and a state a second is as live as a Live Activity looks (iOS throttles more anyway).
DEFAULT_MIN_INTERVAL: Final = 1.0
# Streams leave 1/STREAM_RESERVE of the Live Activity allowance to start, update, end.
STREAM_RESERVE: Final = 20


@dataclass(slots=True)
class _Allowance:
    """One feature's window: what was sent, pauses, and what the server said is left."""

    quota: int
    window: float
    sent: deque[float] = field(default_factory=deque)
    stream_sent: deque[float] = field(default_factory=deque)
    paused_until: float = 0.0
    # Per server policy: (remaining, counted after this time, until this time).
    server: dict[str, tuple[int, float, float]] = field(default_factory=dict)

    @property
    def stream_limit(self) -> int:
        """Streams leave a twentieth for the requests that cannot wait."""
        return max(1, self.quota - self.quota // STREAM_RESERVE)

    def prune(self, now: float) -> None:
        span = self.window + WINDOW_MARGIN
        for log in (self.sent, self.stream_sent):
            while log and log[0] <= now - span:
                log.popleft()
        self.server = {
            name: left for name, left in self.server.items() if left[2] > now
        }

    def server_left(self, now: float) -> tuple[int, float] | None:
        """The least the server said is left (minus what went since), and its reset."""
        tightest: tuple[int, float] | None = None
        for remaining, since, until in self.server.values():
            left = remaining - sum(1 for sent in self.sent if sent > since)
            if tightest is None or left < tightest[0]:
                tightest = (left, until)
        return tightest


class RequestBudget:
    """One sliding-window request log per feature, with the server's word on top."""

    def __init__(
        self,
        limit: int | None = None,
        window: float = WINDOW_SECONDS,
        *,
        quotas: Mapping[str, int] | None = None,
        stream_spacing: float | None = None,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """The documented quotas per `window` (or `limit` for every feature).

        Streams go one every `window / stream share` seconds (plus the margin's share)
        unless `stream_spacing` says otherwise; one stream is updated at most every
        `min_interval` seconds unless it sets its own.
        """
        self.min_interval = min_interval
        base = dict(quotas or QUOTAS)
        self._allowances = {
            feature: _Allowance(limit or quota, window)
            for feature, quota in base.items()
        }
        self._fixed_spacing = stream_spacing
        # Looked up at each call, so a test's frozen clock applies.
        self._clock = clock or (lambda: time.monotonic())  # noqa: PLW0108

    def _allowance(self, feature: str) -> _Allowance:
        return self._allowances.setdefault(feature, _Allowance(60, WINDOW_SECONDS))

    @property
    def stream_spacing(self) -> float:
        """Seconds between two stream sends: the stream share spread over the window."""
        if self._fixed_spacing is not None:
            return self._fixed_spacing
        live = self._allowance(LIVE_ACTIVITIES)
        return (live.window + WINDOW_MARGIN) / live.stream_limit

    @stream_spacing.setter
    def stream_spacing(self, seconds: float) -> None:
        self._fixed_spacing = seconds

    def quota(self, feature: str = LIVE_ACTIVITIES) -> int:
        """The feature's allowance per window, as documented or as the server says."""
        return self._allowance(feature).quota

    def set_allowance(self, feature: str, quota: int, window: float) -> None:
        """The feature allows `quota` requests in any `window` seconds from now on.

        What the server said was left of the old allowance no longer applies.
        """
        allowance = self._allowance(feature)
        allowance.quota, allowance.window = quota, window
        allowance.server.clear()

    def used_in_window(self, feature: str = LIVE_ACTIVITIES) -> int:
        """How many requests of the feature are in its current window."""
        allowance = self._allowance(feature)
        allowance.prune(self._clock())
        return len(allowance.sent)

    def wait_time(self, *, stream: bool = False, scope: str = LIVE_ACTIVITIES) -> float:
        """Seconds until a request of this feature may go (0 when it may go now)."""
        now = self._clock()
        allowance = self._allowance(scope)
        allowance.prune(now)
        span = allowance.window + WINDOW_MARGIN
        waits = [allowance.paused_until - now]
        if len(allowance.sent) >= allowance.quota:
            waits.append(allowance.sent[-allowance.quota] + span - now)
        if stream:
            if len(allowance.stream_sent) >= allowance.stream_limit:
                oldest = allowance.stream_sent[-allowance.stream_limit]
                waits.append(oldest + span - now)
            if allowance.stream_sent:
                waits.append(allowance.stream_sent[-1] + self.stream_spacing - now)
        if (told := allowance.server_left(now)) is not None:
            waits.append(self._server_wait(allowance, told, now, stream=stream))
        wait = max(waits)
        # Less than a microsecond is the rounding of summed times, not a wait.
        return wait if wait > 1e-6 else 0.0

    def _server_wait(
        self,
        allowance: _Allowance,
        told: tuple[int, float],
        now: float,
        *,
        stream: bool,
    ) -> float:
        """What the server's count asks: wait for its reset, streams spread what is left."""
        left, until = told
        if not stream:
            return until - now if left <= 0 else 0.0
        # Streams leave a twentieth of what is left for the requests that cannot wait.
        for_streams = left - math.ceil(left / STREAM_RESERVE)
        if for_streams <= 0:
            return until - now
        last = allowance.stream_sent[-1] if allowance.stream_sent else -math.inf
        return last + (until - now) / for_streams - now

    def try_spend(self, *, stream: bool = False, scope: str = LIVE_ACTIVITIES) -> bool:
        """Spend one request of the feature and return True if one may go now."""
        if self.wait_time(stream=stream, scope=scope) > 0:
            return False
        self.note_sent(stream=stream, scope=scope)
        return True

    def note_sent(self, *, stream: bool = False, scope: str = LIVE_ACTIVITIES) -> None:
        """Count a request of the feature (also a silent re-send on the wire)."""
        now = self._clock()
        allowance = self._allowance(scope)
        allowance.sent.append(now)
        if stream:
            allowance.stream_sent.append(now)

    def pause(self, seconds: float, scope: str = LIVE_ACTIVITIES) -> None:
        """Send nothing of the feature for `seconds` (the server answered 429)."""
        allowance = self._allowance(scope)
        allowance.paused_until = max(allowance.paused_until, self._clock() + seconds)

    def observe(
        self, headers: Mapping[str, str], sent_at: float, scope: str = LIVE_ACTIVITIES
    ) -> None:
        """Believe what an answer's rate-limit headers say about its feature.

        `sent_at` is when the request left (on this budget's clock): what went after it
        is not in the server's count yet. Policies are `account:<feature>` and
        `public-api-ip:<feature>`; those of another feature are not this answer's.
        """
        limits, policies = parse_rate_limit(headers)
        allowance = self._allowance(scope)
        now = self._clock()
        policy = policies.get(f"account:{scope}")
        if policy is not None and (policy.quota, policy.window) != (
            allowance.quota,
            allowance.window,
        ):
            self.set_allowance(scope, policy.quota, policy.window)
        for name, limit in limits.items():
            if name.partition(":")[2] == scope:
                allowance.server[name] = (
                    limit.remaining,
                    sent_at,
                    now + limit.reset_in,
                )

    def as_dict(self) -> dict[str, Any]:
        """The budget's state per feature, for diagnostics."""
        now = self._clock()
        report: dict[str, Any] = {}
        for feature, allowance in self._allowances.items():
            allowance.prune(now)
            told = allowance.server_left(now)
            report[feature] = {
                "quota": allowance.quota,
                "window_seconds": allowance.window,
                "used_in_window": len(allowance.sent),
                "server_says_left": None if told is None else told[0],
                "paused_for_seconds": round(max(0.0, allowance.paused_until - now), 1),
                "next_request_in_seconds": round(self.wait_time(scope=feature), 1),
            }
        report["stream_spacing_seconds"] = round(self.stream_spacing, 3)
        return report
