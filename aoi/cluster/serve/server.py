"""`serve_cluster`: the simulated cluster behind a real HTTP(S) port, in a background thread.

One port serves the Kubernetes API (HTTPS, bearer tokens), `/metrics` (Prometheus text) and `/jaeger/api/...`
(Jaeger query API); the latter two also over plain HTTP (see `tls.py`), which refuses the API and any request
carrying credentials. A ThreadingHTTPServer speaking
HTTP/1.1 with keep-alive; each request that reads or writes the cluster holds the session lock.
"""

from __future__ import annotations

import logging
import secrets
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from aoi.cluster.serve.access import READER, WRITER
from aoi.cluster.serve.api import KubeApi, Request, Response
from aoi.cluster.serve.kubeconfig import kubeconfig, write_kubeconfig
from aoi.cluster.serve.tls import self_signed, starts_tls
from aoi.cluster.sim.session import SimSession
from aoi.cluster.spec import parse_sim_spec
from aoi.store.db import data_dir
from aoi.store.ids import state_file

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
TOKEN_BYTES = 32
"""Entropy of each bearer token (256 bits)."""


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    api: KubeApi
    tls_context: ssl.SSLContext

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def setup(self) -> None:
        self._wrapped: ssl.SSLSocket | None = None
        if starts_tls(self.request):
            self._wrapped = self.server.tls_context.wrap_socket(self.request, server_side=True)
            self.request = self._wrapped
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._wrapped is not None:
                self._wrapped.close()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(Response.text("request body too large", 413))
            return
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, url.path, dict(parse_qsl(url.query, keep_blank_values=True)),
                          {k.lower(): v for k, v in self.headers.items()}, body, tls=self._wrapped is not None)
        try:
            response = self.server.api.handle(request)
        except Exception:  # a bug must answer 500, not drop the connection kubectl is waiting on
            log.exception("%s %s failed", self.command, self.path)
            response = Response.json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                      "message": "internal error in the simulated API server", "reason":
                                      "InternalError", "code": 500}, 500)
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.code)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.flush()
            if response.body:
                self._chunk(response.body)
            for chunk in response.stream:
                self._chunk(chunk)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            log.debug("watch client went away")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class ServedCluster:
    """A simulated cluster served over the Kubernetes API; stop it with `stop()` or use it as a context manager."""

    def __init__(self, server: _HttpServer, thread: threading.Thread, url: str, plain_url: str,
                 kubeconfig_path: Path, reader_token: str, writer_token: str, namespace: str,
                 session: SimSession) -> None:
        self._server = server
        self._thread = thread
        self.url = url
        """Kubernetes API root, `https://HOST:PORT` (self-signed; the kubeconfig pins the certificate)."""
        self.kubeconfig_path = kubeconfig_path
        self.reader_token = reader_token
        self.writer_token = writer_token
        self.namespace = namespace
        """The simulated app's namespace (the kubeconfig contexts' default namespace)."""
        self.session = session
        self.metrics_url = f"{plain_url}/metrics"
        self.jaeger_url = f"{plain_url}/jaeger"
        self.port = server.server_address[1]

    def stop(self) -> None:
        self._server.api.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServedCluster:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ServedCluster {self.url} namespace={self.namespace}>"


def serve_cluster(spec: str, *, host: str = "127.0.0.1", port: int = 0, state_dir: Path | None = None,
                  realtime: bool = True, kubeconfig_path: Path | None = None) -> ServedCluster:
    """Serve the simulated cluster `spec` (e.g. `sim:hotel-reservation/revoke_auth_mongodb?seed=1`).

    The state lives in the shared session file (`state_dir`, default `$AOI_HOME/sim`), so MCP servers started on
    the same spec see the same cluster. `realtime` advances simulated time with the wall clock. The kubeconfig
    is written to `kubeconfig_path` (default: beside the state, named after the spec and port).

    Raises:
        InvalidArgumentError: a malformed spec. OSError: the port cannot be bound.
    """
    sim_spec = parse_sim_spec(spec)
    directory = state_dir or data_dir() / "sim"
    session = SimSession(sim_spec, path=state_file(directory, sim_spec.name), realtime=realtime)
    with session.cluster() as cluster:
        namespace = cluster.namespace
    public_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    certificate = self_signed(tuple(dict.fromkeys(("127.0.0.1", "localhost", public_host))))
    reader_token, writer_token = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
    server = _HttpServer((host, port), _Handler)
    bound_port = server.server_address[1]
    address = f"{public_host}:{bound_port}"
    server.api = KubeApi(session, {writer_token: WRITER, reader_token: READER}, address)
    server.tls_context = certificate.server_context()
    url = f"https://{address}"
    path = kubeconfig_path or directory / f"{sim_spec.name}-{bound_port}.kubeconfig"
    write_kubeconfig(path, kubeconfig(url, certificate.cert_pem, writer_token, reader_token, namespace))
    thread = threading.Thread(target=server.serve_forever, name=f"aoi-sim-serve-{bound_port}", daemon=True)
    thread.start()
    return ServedCluster(server, thread, url, f"http://{address}", path, reader_token, writer_token, namespace,
                         session)

