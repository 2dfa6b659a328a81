"""A fake ActivitySmith API on 127.0.0.1, for the benchmark; runs in its own process.

Answers the endpoints the benchmark uses as the spec describes them: a stream is
"started" by its first PUT and "updated" by the next ones, and ending a stream it does
not know (such as the key check's) answers 404. It records every API request that
reaches it, key checks and re-sends included: when it arrived (on the system-wide
monotonic clock, which the benchmark's process shares), its method, path and JSON body;
and from which client socket each came. The benchmark reads them at /_bench/requests
and /_bench/connections. Prints `PORT <n>` once it listens, then serves until it is
terminated.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

TIMESTAMP = "2026-11-26T00:00:00Z"


class FakeActivitySmith:
    """The handlers and what they saw."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        # [arrival, method, path, body]: every API request, in the order they arrived.
        self.requests: list[tuple[float, str, str, Any]] = []
        self.peers: set[tuple[str, int]] = set()
        self.streams: set[str] = set()

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/api/live-activity/start", self.start)
        app.router.add_post("/api/push-notification", self.push)
        app.router.add_put("/api/live-activity/stream/{key}", self.put_stream)
        app.router.add_delete("/api/live-activity/stream/{key}", self.delete_stream)
        app.router.add_get("/_bench/requests", self.recorded)
        app.router.add_get("/_bench/connections", self.connections)
        app.router.add_post("/_bench/reset-peers", self.reset_peers)
        return app

    async def _seen(self, request: web.Request) -> Any:
        """Record the request (arrival first, before its body is read); its body."""
        arrival = time.monotonic()
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername")[:2])
        body = await request.json() if request.can_read_body else None
        self.requests.append((arrival, request.method, request.path, body))
        return body

    async def start(self, request: web.Request) -> web.Response:
        """POST /live-activity/start."""
        await self._seen(request)
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
        self.streams.add(key)
        return web.json_response(
            {
                "success": True,
                "operation": operation,
                "stream_key": key,
                "activity_id": f"bench-{key}",
                "devices_notified": 1,
                "timestamp": TIMESTAMP,
            }
        )

    async def delete_stream(self, request: web.Request) -> web.Response:
        """DELETE: end a stream; 404 for one it does not know (the key check's)."""
        await self._seen(request)
        key = request.match_info["key"]
        if key not in self.streams:
            return web.json_response(
                {"error": "Live Activity stream not found", "message": key}, status=404
            )
        self.streams.discard(key)
        return web.json_response(
            {
                "success": True,
                "operation": "ended",
                "stream_key": key,
                "activity_id": f"bench-{key}",
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


async def serve() -> None:
    """Listen on a free port of 127.0.0.1 until terminated."""
    runner = web.AppRunner(FakeActivitySmith().app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
