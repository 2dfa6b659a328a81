"""A fake ActivitySmith API on 127.0.0.1, for the benchmark and the UI check.

Runs in its own process. Answers the endpoints they use as the spec describes them, and
records every API request that reaches it, key checks and re-sends included: when it
arrived (on the system-wide monotonic clock, which the benchmark's process shares), its
method, path and JSON body; and from which client socket each came. The benchmark reads
them at /_bench/requests and /_bench/connections, and the Authorization header of the
last request (the key the integration uses) at /_bench/last-authorization. Prints
`PORT <n>` once it listens, then serves until it is terminated.

Streams behave like ActivitySmith's, for any stream key (`washer`, or `ha-<subentry id>`
of a tracked entity): the first PUT starts an activity (`started`, a new activity id),
later ones update it (`updated`), DELETE ends it (`ended`) and the key is free again; a
DELETE of a stream that is not running gets 404, which is also how the key check sees a
valid key. A phone shows only so many Live Activities: a stream counts as active from
its starting PUT until its DELETE, and a start beyond the limit (4 by default; POST
/_bench/live-limit `{"limit": n}` sets another) gets the spec's 429
`LiveActivityLimitError` (`error`, `message`, `limit`, `active`). /_bench/live-activities
says the limit, the streams active now, the most ever active at once and the refusals.
The body of the last start is kept for /_fake/last-start, so the UI check can press a
button the way ActivitySmith would. Widget metric updates and the badge are accepted for
any key or count (they are recorded like every request).

With `--api-key KEY` (scripts/ui-check), API requests with another bearer token get 401,
as ActivitySmith answers a wrong key; without it every key is accepted.

Allowances as the October 2026 API has them: per feature (push notifications 60, badges
60, Live Activities 300, metrics 300) per 60 s window (a fixed window from the first
request, as the headers' `t`, the seconds until it resets, describes). Every answer
carries `RateLimit` and `RateLimit-Policy` for the account's policy of its feature; past
the allowance the answer is a 429 with `Retry-After`, counted at /_bench/refused. POST
/_bench/other-client `{"feature": n}` makes another client of the account use n of a
feature's allowance in every window (the headers count it; the integration cannot see
it otherwise); POST /_bench/unlimited lifts every allowance to a million a window.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import math
import time
from typing import Any

from aiohttp import web

TIMESTAMP = "2026-11-26T00:00:00Z"
WINDOW = 60.0
QUOTAS = {"notifications": 60, "badges": 60, "live-activities": 300, "metrics": 300}
# Live Activities a phone shows at once (the vendor's July docs: 4 per account).
LIVE_LIMIT = 4


def feature_of(path: str) -> str | None:
    """The feature whose allowance a request of `path` spends."""
    if path.startswith("/api/live-activity/"):
        return "live-activities"
    if path.startswith("/api/push-notification"):
        return "notifications"
    if path.startswith("/api/badge"):
        return "badges"
    if path.startswith("/api/metrics/"):
        return "metrics"
    return None


class FakeActivitySmith:
    """The handlers and what they saw."""

    def __init__(self, api_key: str | None = None) -> None:
        """Start with nothing seen; accept only `api_key` if one is given."""
        self.api_key = api_key
        # [arrival, method, path, body]: every API request, in the order they arrived.
        self.requests: list[tuple[float, str, str, Any]] = []
        self.peers: set[tuple[str, int]] = set()
        self.streams: dict[str, str] = {}  # running stream key -> its activity id
        self.activities = 0  # activity ids handed out so far
        self.last_start: dict[str, Any] | None = None
        self.last_authorization: str | None = None  # of the last API request
        # Per feature: when its current window began, and the requests counted in it.
        self.windows: dict[str, tuple[float, int]] = {}
        self.other_client: dict[str, int] = {}  # uses of another client per window
        self.refused = 0  # 429s answered
        self.unlimited = False  # the bench lifted every allowance
        self.live_limit = LIVE_LIMIT  # streams active at once (a phone's few slots)
        self.max_active = 0  # the most streams ever active at once
        self.limit_refused = 0  # starts refused with LiveActivityLimitError

    def app(self) -> web.Application:
        """The aiohttp application."""
        # Without a key no middleware at all: the benchmark times this server.
        middlewares = [self.check_key] if self.api_key else []
        app = web.Application(middlewares=[*middlewares, self.allowance])
        app.router.add_post("/api/live-activity/start", self.start)
        app.router.add_post("/api/push-notification", self.push)
        app.router.add_put("/api/live-activity/stream/{key}", self.put_stream)
        app.router.add_delete("/api/live-activity/stream/{key}", self.delete_stream)
        app.router.add_post("/api/metrics/{key}/value", self.metric)
        app.router.add_post("/api/badge", self.badge)
        app.router.add_get("/_bench/requests", self.recorded)
        app.router.add_get("/_bench/connections", self.connections)
        app.router.add_post("/_bench/reset-peers", self.reset_peers)
        app.router.add_get("/_bench/last-authorization", self.get_last_authorization)
        app.router.add_get("/_fake/last-start", self.get_last_start)
        app.router.add_get("/_bench/refused", self.get_refused)
        app.router.add_post("/_bench/other-client", self.set_other_client)
        app.router.add_post("/_bench/unlimited", self.set_unlimited)
        app.router.add_get("/_bench/live-activities", self.get_live_activities)
        app.router.add_post("/_bench/live-limit", self.set_live_limit)
        return app

    @web.middleware
    async def allowance(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Count the request against its feature; 429 past it; the headers say what is left."""
        if (feature := feature_of(request.path)) is None:
            return await handler(request)
        now = time.monotonic()
        # Fixed windows, as `t` (seconds until the window resets) describes them.
        began, count = self.windows.get(feature, (now, 0))
        if now - began >= WINDOW:
            began, count = now, 0
        quota = 1_000_000 if self.unlimited else QUOTAS[feature]
        used = count + self.other_client.get(feature, 0)
        reset = max(1, math.ceil(began + WINDOW - now))
        if used >= quota:
            self.refused += 1
            await self._seen(request)
            response: web.StreamResponse = web.json_response(
                {"error": "Rate limit exceeded", "message": "slow down"},
                status=429,
                headers={"Retry-After": str(reset)},
            )
            remaining = 0
        else:
            count += 1
            response = await handler(request)
            remaining = quota - used - 1
        self.windows[feature] = (began, count)
        response.headers["RateLimit"] = (
            f'"public-api-ip:{feature}"; r={2 * quota - 1}; t={reset}, '
            f'"account:{feature}"; r={remaining}; t={reset}'
        )
        response.headers["RateLimit-Policy"] = (
            f'"public-api-ip:{feature}"; q={2 * quota}; w={round(WINDOW)}, '
            f'"account:{feature}"; q={quota}; w={round(WINDOW)}'
        )
        return response

    async def get_refused(self, request: web.Request) -> web.Response:
        """How many 429s the fake answered."""
        return web.json_response({"refused": self.refused})

    async def set_unlimited(self, request: web.Request) -> web.Response:
        """From now on a million requests a window per feature (the bench's own phases)."""
        self.unlimited = True
        return web.json_response({})

    async def get_live_activities(self, request: web.Request) -> web.Response:
        """The limit, the streams active now, the most ever at once, the refusals."""
        return web.json_response(
            {
                "limit": self.live_limit,
                "active": sorted(self.streams),
                "max_active": self.max_active,
                "refused": self.limit_refused,
            }
        )

    async def set_live_limit(self, request: web.Request) -> web.Response:
        """Another limit from now on; the most seen at once counts from now."""
        self.live_limit = int((await request.json())["limit"])
        self.max_active = len(self.streams)
        return web.json_response({"limit": self.live_limit})

    async def set_other_client(self, request: web.Request) -> web.Response:
        """Another client of the account uses this much of each feature per window."""
        self.other_client = {
            feature: int(uses) for feature, uses in (await request.json()).items()
        }
        return web.json_response(self.other_client)

    @web.middleware
    async def check_key(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """401 for an API request with another key than `api_key`."""
        if (
            request.path.startswith("/api/")
            and request.headers.get("Authorization") != f"Bearer {self.api_key}"
        ):
            return web.json_response(
                {"error": "Unauthorized", "message": "Invalid API key"}, status=401
            )
        return await handler(request)

    async def _seen(self, request: web.Request) -> Any:
        """Record the request (arrival first, before its body is read); its body."""
        arrival = time.monotonic()
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername")[:2])
        body = await request.json() if request.can_read_body else None
        self.last_authorization = request.headers.get("Authorization")
        self.requests.append((arrival, request.method, request.path, body))
        return body

    async def start(self, request: web.Request) -> web.Response:
        """POST /live-activity/start."""
        self.last_start = await self._seen(request)
        return web.json_response(
            {
                "success": True,
                "activity_id": "bench-activity",
                "devices_notified": 1,
                "timestamp": TIMESTAMP,
            }
        )

    async def push(self, request: web.Request) -> web.Response:
        """POST /push-notification."""
        await self._seen(request)
        return web.json_response(
            {
                "success": True,
                "devices_notified": 1,
                "users_notified": 1,
                "timestamp": TIMESTAMP,
            }
        )

    async def put_stream(self, request: web.Request) -> web.Response:
        """PUT /live-activity/stream/{key}: start or update a stream."""
        await self._seen(request)
        key = request.match_info["key"]
        operation = "updated" if key in self.streams else "started"
        if operation == "started" and len(self.streams) >= self.live_limit:
            self.limit_refused += 1
            return web.json_response(
                {
                    "error": "Live Activity limit reached",
                    "message": "A targeted device already shows as many Live "
                    "Activities as iOS allows",
                    "limit": self.live_limit,
                    "active": len(self.streams),
                },
                status=429,
            )
        if operation == "started":
            self.activities += 1
            self.streams[key] = f"fake-activity-{self.activities}"
            self.max_active = max(self.max_active, len(self.streams))
        return web.json_response(
            {
                "success": True,
                "operation": operation,
                "stream_key": key,
                "activity_id": self.streams[key],
                "devices_notified": 1,
                "timestamp": TIMESTAMP,
            }
        )

    async def metric(self, request: web.Request) -> web.Response:
        """POST /metrics/{key}/value: a widget metric's latest value."""
        await self._seen(request)
        return web.json_response({"success": True})

    async def badge(self, request: web.Request) -> web.Response:
        """POST /badge: the number on the app icon."""
        body = await self._seen(request)
        return web.json_response(
            {
                "success": True,
                "badge": body["badge"],
                "devices_updated": 1,
                "users_updated": 1,
                "effective_channel_slugs": None,
                "timestamp": TIMESTAMP,
            }
        )

    async def delete_stream(self, request: web.Request) -> web.Response:
        """DELETE: end a running stream; 404 for any other key (the key check's too)."""
        await self._seen(request)
        key = request.match_info["key"]
        if key not in self.streams:
            return web.json_response(
                {"error": "Live Activity stream not found", "message": key}, status=404
            )
        return web.json_response(
            {
                "success": True,
                "operation": "ended",
                "stream_key": key,
                "activity_id": self.streams.pop(key),
                "timestamp": TIMESTAMP,
            }
        )

    async def recorded(self, request: web.Request) -> web.Response:
        """The requests recorded from index `since` on (all by default)."""
        since = int(request.query.get("since", "0"))
        return web.json_response({"since": since, "requests": self.requests[since:]})

    async def connections(self, request: web.Request) -> web.Response:
        """How many client sockets sent requests since the last reset."""
        return web.json_response({"connections": len(self.peers)})

    async def reset_peers(self, request: web.Request) -> web.Response:
        """Forget the client sockets seen so far."""
        self.peers.clear()
        return web.json_response({})

    async def get_last_authorization(self, request: web.Request) -> web.Response:
        """The Authorization header of the last API request (null before any)."""
        return web.json_response(self.last_authorization)

    async def get_last_start(self, request: web.Request) -> web.Response:
        """The body of the last start (null before any), for the UI check."""
        return web.json_response(self.last_start)


async def serve(api_key: str | None) -> None:
    """Listen on a free port of 127.0.0.1 until terminated."""
    runner = web.AppRunner(FakeActivitySmith(api_key).app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-key", help="the only key accepted (default: any)")
    asyncio.run(serve(parser.parse_args().api_key))
