"""The HTTP side of sign-in: one route that puts the session token into an HttpOnly cookie, or clears it.

Why a route: a Streamlit script run talks to the browser over the websocket and can never answer an HTTP request, so it
cannot send `Set-Cookie` (Streamlit 1.67 reads cookies, `st.context.cookies`, but has no API to write them). What 1.67
does allow is an app's own Starlette routes: `st.App(script, routes=...)`, which `streamlit run dashboard/app.py`
serves because `dashboard/app.py` defines `app = st.App(...)` (see its docstring). The bridge:

1. a script run that signs someone in, signs them out or finds their session ended asks `handoff()` for a one-time
   code (random, kept here in memory for `CODE_SECONDS` with the token or "clear"); the token itself never reaches the
   page, the URL or a log;
2. the page posts the code, as JSON, with a same-origin `fetch` to `/_xz/session`;
3. the route answers 204 with `Set-Cookie: xzmap_session=<token>; HttpOnly; SameSite=Strict; Path=/;
   Max-Age=<the session's remaining seconds>` (and `Secure` when the page was served over HTTPS), or with the cookie
   expired. A code works once; a cross-origin post, another content type or an unknown code gets no cookie.

Every later page load sends the cookie in the websocket's handshake; `components.session` reads it from
`st.context.cookies` and checks the token against the store at every run, as it does a token in session state.

The codes live in this process's memory: with several servers the load balancer must keep a browser on one server,
as it must for Streamlit's websocket anyway (README, "Several servers").
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

COOKIE = "xzmap_session"
ROUTE = "_xz/session"
CODE_SECONDS = 60  # how long the page has to post a code
MAX_BODY = 1024

_lock = threading.Lock()
_handoffs: dict[str, _Handoff] = {}  # sha256 of the code -> what it does
_serving = False  # set once the routes are mounted, i.e. when dashboard/app.py is served as an st.App


@dataclass
class _Handoff:
    token: str | None  # None: clear the cookie
    expires_at: float  # the session's end (epoch seconds); 0 for a clear
    deadline: float  # monotonic time after which the code is void
    used: bool = False


def _key(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _purge(now: float) -> None:
    for key in [key for key, item in _handoffs.items() if item.deadline <= now]:
        del _handoffs[key]


def handoff(token: str | None, expires_at: dt.datetime | None = None) -> str:
    """A one-time code that makes the browser that posts it hold `token` until `expires_at` (None: clear)."""
    now = time.monotonic()
    code = secrets.token_urlsafe(24)
    with _lock:
        _purge(now)
        _handoffs[_key(code)] = _Handoff(token, expires_at.timestamp() if (token and expires_at) else 0.0,
                                          now + CODE_SECONDS)
    return code


def finished(code: str | None) -> bool:
    """Whether the page need not post this code any more: posted already, void or unknown."""
    if not code:
        return True
    with _lock:
        _purge(time.monotonic())
        item = _handoffs.get(_key(code))
        return item is None or item.used


def withdraw(code: str | None) -> None:
    """Void a code the page has not posted yet (a newer sign-in or sign-out replaces it)."""
    if code:
        with _lock:
            _handoffs.pop(_key(code), None)


def redeem(code: str) -> _Handoff | None:
    """What a code does, once; None when it is unknown, void or used."""
    with _lock:
        _purge(time.monotonic())
        item = _handoffs.get(_key(code))
        if item is None or item.used:
            return None
        item.used = True
        return item


def serving() -> bool:
    """True in a server started by `streamlit run dashboard/app.py` (the route exists); False under AppTest."""
    return _serving


def base_path() -> str:
    """`/` or `/<server.baseUrlPath>/`, where the app and the route live."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def route_path() -> str:
    return base_path() + ROUTE


def _same_origin(request) -> bool:
    """The post comes from a page of this server: its Origin names the host it was sent to (a proxy passes Host on).
    Browsers send Origin with every fetch POST and scripts cannot forge it; no Origin, no cookie."""
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if not origin or not host or origin == "null":
        return False
    if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def _over_https(request) -> bool:
    """HTTPS as the browser saw it: Streamlit's own TLS (server.sslCertFile) or a proxy's (the page's origin)."""
    return request.url.scheme == "https" or urlsplit(request.headers.get("origin", "")).scheme == "https"


async def _small_body(request) -> bytes | None:
    """The body if it is at most MAX_BODY bytes, read no further than that (a 200 MB post must not be held in
    memory before it is refused); None otherwise."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


async def session_route(request):
    """POST {"code": …} -> 204 with the cookie set or cleared; anything else -> an error without a cookie."""
    from starlette.responses import Response

    headers = {"Cache-Control": "no-store"}
    if not _same_origin(request):
        return Response(status_code=403, headers=headers)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return Response(status_code=415, headers=headers)
    body = await _small_body(request)
    try:
        code = json.loads(body)["code"] if body is not None else None
    except (ValueError, TypeError, KeyError):
        code = None
    item = redeem(code) if isinstance(code, str) and code else None
    if item is None:
        return Response(status_code=400, headers=headers)
    response = Response(status_code=204, headers=headers)
    options = {"path": base_path().rstrip("/") or "/", "secure": _over_https(request), "httponly": True,
               "samesite": "strict"}
    remaining = int(item.expires_at - time.time())
    if item.token and remaining > 0:
        response.set_cookie(COOKIE, item.token, max_age=remaining, **options)
    else:
        response.delete_cookie(COOKIE, **options)
        # Signed out: the browser forgets what it kept, a dense view's points among it (dashboard/pointdata.py),
        # so the next person at a shared computer gets nothing from its cache.
        response.headers["Clear-Site-Data"] = '"cache"'
    return response


def routes() -> list:
    """The app's own routes for `st.App(routes=...)`; mounting them turns the cookie on."""
    global _serving
    from starlette.routing import Route

    _serving = True
    return [Route(route_path(), session_route, methods=["POST"])]
