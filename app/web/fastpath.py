"""The two public hot endpoints, ``POST /webhooks/<platform>`` and ``POST /collect/<platform>``,
answered by a lean WSGI handler in front of Flask (issues 18 and 14, ``bench/ingest_wrk.py``).

Why: once the round trips were gone, most of what a delivery cost was Flask's request and
response machinery (the request context, URL matching, the session, hooks, ``jsonify`` and
werkzeug's response), several times what the work itself costs. Here a request that fits the
plain shape (``POST``, a known platform, a ``Content-Length`` within the limit) runs the very
same decision functions as the Flask views (``webhooks.handle``, ``collect.handle``), under an
app context only, and its answer is written as raw WSGI: same status, same JSON, same headers.

Everything else goes to Flask untouched (this wraps ``app.wsgi_app``, so the test client and
every test go through here too): other methods and paths, an unknown platform's 404, a chunked
or oversized body's 413, a short read. An exception raised while answering (the database down)
is answered by Flask's own handlers in a request context made then, so the 503 with
``Retry-After`` is the one every route gives; in testing it propagates as it does in Flask.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import HTTP_STATUS_CODES

from app import connectors
from app.web import collect, webhooks
from app.web.errors import DATABASE_DOWN

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_WEBHOOKS, _COLLECT = "/webhooks/", "/collect/"
_STATUS = {code: f"{code} {text.upper()}" for code, text in HTTP_STATUS_CODES.items()}


def install(app: Flask) -> None:
    app.wsgi_app = FastPath(app, app.wsgi_app)  # type: ignore[method-assign]


class FastPath:
    def __init__(self, app: Flask, flask_wsgi: WSGIApp) -> None:
        self.app = app
        self.flask_wsgi = flask_wsgi

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            path: str = environ.get("PATH_INFO", "")
            if path.startswith(_WEBHOOKS):
                answered = self._webhook(environ, start_response, path[len(_WEBHOOKS) :])
            elif path.startswith(_COLLECT):
                answered = self._collect(environ, start_response, path[len(_COLLECT) :])
            else:
                answered = None
            if answered is not None:
                return answered
        return self.flask_wsgi(environ, start_response)

    def _webhook(
        self, environ: dict[str, Any], start_response: StartResponse, platform: str
    ) -> Iterable[bytes] | None:
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if not _plain_name(platform) or _length(environ, limit) is None:
            return None
        with self.app.app_context():
            connector = connectors.get(platform)
            if connector is None:
                return None  # Flask's 404
            body = _body(environ)
            if body is None:
                return None
            try:
                status, message = webhooks.handle(connector, _headers(environ), body)
            except Exception as exc:
                return self._flask_error(environ, start_response, exc)
        return _json(start_response, status, message, [])

    def _collect(
        self, environ: dict[str, Any], start_response: StartResponse, platform: str
    ) -> Iterable[bytes] | None:
        if platform not in collect.PLATFORMS or _length(environ, collect.MAX_BODY) is None:
            return None  # Flask: the 404, the 413, a chunked body
        origin = environ.get("HTTP_ORIGIN")
        with self.app.app_context():
            raw = _body(environ)
            if raw is None:
                return None
            try:
                answer = collect.handle(platform, raw, origin)
            except Exception as exc:
                return self._flask_error(
                    environ, start_response, exc, lambda down: collect.database_down(down, origin)
                )
        headers = []
        if answer.retry_after is not None:
            headers.append(("Retry-After", str(answer.retry_after)))
        if answer.origin:
            headers += [("Access-Control-Allow-Origin", answer.origin), ("Vary", "Origin")]
        if answer.message is None:
            start_response(_STATUS[answer.status], headers)
            return []
        return _json(start_response, answer.status, answer.message, headers)

    def _flask_error(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        exc: Exception,
        database_down: Callable[[Exception], Response] | None = None,
    ) -> Iterable[bytes]:
        """The answer Flask gives for ``exc`` raised in its view: the view's own answer to a
        database that is down (``database_down``: the collector's, with CORS), else a
        registered handler's (the 503 with ``Retry-After``), else its 500 (raised in
        testing). The request context is made only now: the common path never needs one."""
        app = self.app
        with app.request_context(environ):
            if database_down is not None and isinstance(exc, DATABASE_DOWN):
                response = app.finalize_request(database_down(exc))
            else:
                try:
                    response = app.finalize_request(app.handle_user_exception(exc))
                except Exception as error:
                    response = app.handle_exception(error)
            return response(environ, start_response)


def _plain_name(platform: str) -> bool:
    return bool(platform) and "/" not in platform


def _length(environ: dict[str, Any], limit: int | None) -> int | None:
    """The declared body length when the fast path may read it; None sends it to Flask (no
    length: chunked; over the limit: Flask's 413)."""
    declared = environ.get("CONTENT_LENGTH")
    if not declared or not declared.isdigit():
        return None
    length = int(declared)
    if limit is not None and length > limit:
        return None
    return length


def _body(environ: dict[str, Any]) -> bytes | None:
    """The whole body, or None (and the bytes put back for Flask) when the client sent less
    than it declared: werkzeug then answers it as a disconnect."""
    length = int(environ["CONTENT_LENGTH"])
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    if len(body) == length:
        return body
    environ["wsgi.input"] = io.BytesIO(body)
    return None


def _json(
    start_response: StartResponse, status: int, message: str, headers: list[tuple[str, str]]
) -> Iterable[bytes]:
    """``{"message": ..., "status": ...}`` as Flask's ``jsonify`` writes it in production."""
    body = json.dumps({"message": message, "status": status}, separators=(",", ":")) + "\n"
    data = body.encode()
    headers += [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    start_response(_STATUS[status], headers)
    return [data]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers as Flask's view sees them (``dict(request.headers)``). Built from
    werkzeug's pairs: ``dict()`` of the mapping itself asks for every key twice."""
    return dict(EnvironHeaders(environ).items())
