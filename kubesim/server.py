"""HTTP/1.1 transport: a threaded socket server that feeds requests to the router and streams watches."""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kubesim.router import DropConnection, Request, Response, Router, Stream, Upgrade

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class HttpServer(ThreadingHTTPServer):
    """Thread-per-connection server that can close every live connection on shutdown."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, router: Router, ssl_context: ssl.SSLContext | None = None) -> None:
        self.router = router
        self.ssl_context = ssl_context
        self._conns: set[socket.socket] = set()
        self._conn_threads: set[threading.Thread] = set()
        self._conn_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        """Accept, then wrap in TLS when configured."""
        sock, addr = self.socket.accept()
        if self.ssl_context is not None:
            # The handshake happens on the connection's own thread (first read), never on the accept loop.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track each connection and its thread so `close_all` can end them."""
        t = threading.Thread(target=self._run, args=(request, client_address), daemon=True)
        with self._conn_lock:
            self._conns.add(request)
            self._conn_threads.add(t)
        t.start()

    def _run(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            pass
        finally:
            self.shutdown_request(request)
            with self._conn_lock:
                self._conns.discard(request)
                self._conn_threads.discard(threading.current_thread())

    def close_all(self, timeout: float = 5.0) -> None:
        """Shut every open connection down and wait for their threads."""
        with self._conn_lock:
            conns, threads = list(self._conns), list(self._conn_threads)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        for t in threads:
            t.join(timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection errors are normal (clients hang up); stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HttpServer

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        multi: dict[str, list[str]] = {}
        for k in ("Impersonate-Group",):
            values = self.headers.get_all(k)
            if values:
                multi[k.lower()] = list(values)
        req = Request(self.command, self.path, headers, body, multi)
        try:
            resp = self.server.router.handle(req)
        except DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if headers.get("connection", "").lower() == "close":
            self.close_connection = True
        if isinstance(resp, Response):
            self._write(resp)
        elif isinstance(resp, Upgrade):
            self._upgrade(resp)
        else:
            self._stream(resp)

    def _upgrade(self, resp: Upgrade) -> None:
        lines = [
            "HTTP/1.1 101 Switching Protocols",
            f"Upgrade: {resp.protocol}",
            "Connection: Upgrade",
            *(f"{k}: {v}" for k, v in resp.headers.items()),
        ]
        self.close_connection = True
        try:
            self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            resp.session(self.rfile, self.wfile)
        except (OSError, ValueError):
            pass

    def _peer_closed(self) -> bool:
        """Whether the client has hung up (readable with no data pending means EOF)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
            return peeked == b""
        except (OSError, ValueError):
            return True

    def _head(self, status: int, content_type: str, extra: dict[str, str]) -> list[str]:
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"Content-Type: {content_type}",
            "Cache-Control: no-cache, private",
            "Audit-Id: kubesim",
        ]
        lines += [f"{k}: {v}" for k, v in extra.items()]
        if self.close_connection:
            lines.append("Connection: close")
        return lines

    def _write(self, resp: Response) -> None:
        lines = self._head(resp.status, resp.content_type, resp.headers)
        lines.append(f"Content-Length: {len(resp.body)}")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + resp.body)

    def _stream(self, resp: Stream) -> None:
        lines = self._head(resp.status, resp.content_type, resp.headers)
        lines.append("Transfer-Encoding: chunked")
        try:
            self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            for chunk in resp.chunks:
                if not chunk:
                    if self._peer_closed():
                        self.close_connection = True
                        return
                    continue
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        finally:
            close = getattr(resp.chunks, "close", None)
            if close is not None:
                close()
