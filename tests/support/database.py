"""What tests do to the database server from outside the app."""

from __future__ import annotations

import contextlib
import socket
import threading

import psycopg
import sqlalchemy as sa

from app.models import db


def drop_pooled_connections(database_url: str, at_least: int = 3) -> None:
    """Have the server close every connection the app's pool holds idle, as a restart or an
    idle timeout does: the pool does not know until it uses one (no pre-ping). The pool is
    made to hold ``at_least`` first: after a restart every one of them is dead, not only the
    first one lent."""
    count = max(at_least, db.engine.pool.checkedin())
    pooled = [db.engine.connect() for _ in range(count)]
    pids = [conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in pooled]
    for conn in pooled:
        conn.close()
    with psycopg.connect(database_url, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


class CuttableProxy:
    """A TCP proxy from a local port to PostgreSQL that a drill can cut: ``cut()`` closes every
    connection it carries and, until ``restore()``, closes each new one as it comes in. To the
    processes behind it that is the database gone (their statements fail, their connects are
    answered by a closed socket), while the machine's own PostgreSQL, which other tests share,
    runs on untouched."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.down = threading.Event()
        self.closed = threading.Event()
        self.refused = 0  # connections closed as they came in, while cut
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, database_url: str) -> str:
        """``database_url`` with this proxy's port in place of the server's."""
        address = sa.engine.make_url(database_url).set(host="127.0.0.1", port=self.port)
        return address.render_as_string(hide_password=False)

    def cut(self) -> None:
        self.down.set()
        with self._lock:
            carried = list(self._open)
        for sock in carried:
            _drop(sock)

    def restore(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.closed.set()
        self.cut()
        self._thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            if self.down.is_set():
                self.refused += 1
                _drop(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _drop(client)
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.difference_update((source, sink))
            _drop(source)
            _drop(sink)


def _drop(sock: socket.socket) -> None:
    """Close a carried connection: shutdown wakes the thread blocked reading it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
