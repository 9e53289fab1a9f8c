"""The points of a dense view, fetched by the map's frame over HTTP instead of travelling inside it.

Why: at 100,000 points the positions, codes and days overdue are about 1.1 MB. Inside the frame's arguments they went
over the websocket with every page load and every filter change, through Streamlit's message handling, before the map
could draw anything; as a file of their own the browser fetches them once the map is up and keeps them in its HTTP
cache, so a returning visitor downloads nothing. The address is the content's digest keyed with a secret of this
process: it cannot be guessed, only learned from a frame this server showed, so the points reach no one who could not
see the map (with XZMAP_ANONYMOUS_READ=0 the route also wants a signed-in browser's cookie).

`publish(blob)` keeps the bytes (most recently used first, up to `MAX_BYTES`) and returns their path; `route()` is the
Starlette route that serves them (dashboard/server.py mounts it). Under AppTest no route is mounted: `publish` is not
called and the frame carries the bytes itself (pointlayer.encode_clustered).
"""
from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict

from loaders import auth, config

from . import server

PREFIX = "_xz/points/"
MAX_BYTES = 512 * 1024 * 1024  # about 45 views of 100,000 points: more than the frames the frame cache keeps
_SECRET = secrets.token_bytes(32)
_lock = threading.Lock()
_blobs: OrderedDict[str, bytes] = OrderedDict()
_held = 0


def publish(blob: bytes) -> str:
    """Keep `blob` to be served; its path under the app (`/…/_xz/points/<key>`)."""
    global _held
    key = hashlib.blake2b(blob, key=_SECRET, digest_size=16).hexdigest()
    with _lock:
        if key in _blobs:
            _blobs.move_to_end(key)
        else:
            _blobs[key] = blob
            _held += len(blob)
            while _held > MAX_BYTES and len(_blobs) > 1:
                _, dropped = _blobs.popitem(last=False)
                _held -= len(dropped)
    return server.base_path() + PREFIX + key


def _get(key: str) -> bytes | None:
    with _lock:
        blob = _blobs.get(key)
        if blob is not None:
            _blobs.move_to_end(key)
        return blob


def _may_read(request) -> bool:
    if config.anonymous_read():
        return True
    from .data import store

    return auth.user_for_session(store(), request.cookies.get(server.COOKIE)) is not None


async def points_route(request):
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    if not await run_in_threadpool(_may_read, request):
        return Response(status_code=403, headers={"Cache-Control": "no-store"})
    blob = _get(request.path_params["key"])
    if blob is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    # The key is the content's digest: what it names never changes, so the browser may keep it.
    return Response(blob, media_type="application/octet-stream",
                    headers={"Cache-Control": "private, max-age=31536000, immutable",
                             "X-Content-Type-Options": "nosniff"})


def route():
    from starlette.routing import Route

    return Route(server.base_path() + PREFIX + "{key:str}", points_route, methods=["GET"])
