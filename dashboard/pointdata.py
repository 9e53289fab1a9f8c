"""The points of a dense view, fetched by the map's frame over HTTP instead of travelling inside it.

Why: at 100,000 points the positions, codes and days overdue are about 1.1 MB. Inside the frame's arguments they went
over the websocket with every page load and every filter change, through Streamlit's message handling, before the map
could draw anything; as a file of their own the browser fetches them once the map is up and keeps them in its HTTP
cache, so a returning visitor downloads nothing. The address is the content's digest keyed with a secret of this
process: it cannot be guessed, only learned from a frame this server showed, so the points reach no one who could not
see the map (with XZMAP_ANONYMOUS_READ=0 the route also wants a signed-in browser's cookie).

`publish(blob)` keeps the bytes (most recently used first, up to `MAX_BYTES`; gzipped once, here, for browsers that
take gzip) and returns their path; `route()` is the Starlette route that serves them (dashboard/app.py mounts it).
A map frame kept in dashboard/framecache.py names its blobs: `collecting()` gathers what a frame's build published and
`keep()` puts them back each time the frame is shown, so a frame never names a blob that has made room for others.
Under AppTest no route is mounted: `publish` is not called and the frame carries the bytes itself
(pointlayer.encode_clustered). Blobs live in this process: with several servers the load balancer keeps a browser on
one (README, "Several servers").
"""
from __future__ import annotations

import gzip
import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from loaders import auth, config

from . import server

PREFIX = "_xz/points/"
#: About 250 views of 100,000 points (2 MB each with its gzipped copy), 25 of 1,000,000; a blob a cached frame names
#: comes back with the frame (`keep`), so this bounds only what no frame shows any more.
MAX_BYTES = 512 * 1024 * 1024
_SECRET = secrets.token_bytes(32)
_lock = threading.Lock()
_held = 0
_collecting = threading.local()


@dataclass(frozen=True)
class Blob:
    key: str
    raw: bytes
    gzipped: bytes

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.gzipped)


_blobs: OrderedDict[str, Blob] = OrderedDict()


def _store(blob: Blob) -> None:
    global _held
    with _lock:
        if blob.key in _blobs:
            _blobs.move_to_end(blob.key)
            return
        _blobs[blob.key] = blob
        _held += blob.size
        while _held > MAX_BYTES and len(_blobs) > 1:
            _, dropped = _blobs.popitem(last=False)
            _held -= dropped.size


def publish(raw: bytes) -> str:
    """Keep `raw` to be served; its path under the app (`/…/_xz/points/<key>`)."""
    key = hashlib.blake2b(raw, key=_SECRET, digest_size=16).hexdigest()
    with _lock:
        blob = _blobs.get(key)
    if blob is None:  # gzipped once here, not by the server at every request
        blob = Blob(key, raw, gzip.compress(raw, compresslevel=1, mtime=0))
    _store(blob)
    sink = getattr(_collecting, "sink", None)
    if sink is not None:
        sink.append(blob)
    return server.base_path() + PREFIX + key


@contextmanager
def collecting() -> Iterator[list[Blob]]:
    """The blobs published in this thread while the block runs (a map frame's build)."""
    _collecting.sink = found = []
    try:
        yield found
    finally:
        _collecting.sink = None


def keep(blobs: list[Blob]) -> None:
    """Serve these again if they made room for others, and count them as just used."""
    for blob in blobs:
        _store(blob)


def _get(key: str) -> Blob | None:
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
    headers = {"Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
               "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"  # Streamlit's own gzip leaves a response that has an encoding alone
        return Response(blob.gzipped, media_type="application/octet-stream", headers=headers)
    return Response(blob.raw, media_type="application/octet-stream", headers=headers)


def route():
    from starlette.routing import Route

    return Route(server.base_path() + PREFIX + "{key:str}", points_route, methods=["GET"])
