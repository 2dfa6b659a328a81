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
valid key. The body of the last start is kept for /_fake/last-start, so the UI check can
press a button the way ActivitySmith would.

With `--api-key KEY` (scripts/ui-check), API requests with another bearer token get 401,
as ActivitySmith answers a wrong key; without it every key is accepted.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import time
from typing import Any

from aiohttp import web

TIMESTAMP = "2026-11-26T00:00:00Z"


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

    def app(self) -> web.Application:
        """The aiohttp application."""
        # Without a key no middleware at all: the benchmark times this server.
        app = web.Application(middlewares=[self.check_key] if self.api_key else [])
        app.router.add_post("/api/live-activity/start", self.start)
        app.router.add_post("/api/push-notification", self.push)
        app.router.add_put("/api/live-activity/stream/{key}", self.put_stream)
        app.router.add_delete("/api/live-activity/stream/{key}", self.delete_stream)
        app.router.add_get("/_bench/requests", self.recorded)
        app.router.add_get("/_bench/connections", self.connections)
        app.router.add_post("/_bench/reset-peers", self.reset_peers)
        app.router.add_get("/_bench/last-authorization", self.get_last_authorization)
        app.router.add_get("/_fake/last-start", self.get_last_start)
        return app

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
        if operation == "started":
            self.activities += 1
            self.streams[key] = f"fake-activity-{self.activities}"
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
