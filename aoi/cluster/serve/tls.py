"""A throw-away self-signed certificate for the served simulator, and the one-port HTTP/HTTPS sniffing.

kubectl sends a bearer token only over TLS (client-go silently drops user credentials on plain `http://`, trap 1
of the API-subset note), so the Kubernetes API is served over HTTPS with a certificate made at start-up and
pinned in the generated kubeconfig as its own certificate authority. Prometheus and Jaeger clients speak plain
HTTP to the same port: a connection whose first byte is a TLS handshake record (0x16) is wrapped in TLS, any
other is served as plain HTTP, which answers only the public paths and never to credentials (`api.py`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

TLS_HANDSHAKE = 0x16


@dataclass(frozen=True, slots=True)
class Certificate:
    cert_pem: bytes
    key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_alpn_protocols(["http/1.1"])  # never h2: the server speaks HTTP/1.1 only
        with tempfile.TemporaryDirectory(prefix="aoi-tls-") as tmp:
            cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
            cert.write_bytes(self.cert_pem)
            key.write_bytes(self.key_pem)
            key.chmod(0o600)
            context.load_cert_chain(cert, key)
        return context


def self_signed(hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Certificate:
    """A one-day EC P-256 certificate for `hosts` (IP addresses and DNS names), valid as its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aoi-sim-apiserver")])
    alt_names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return Certificate(cert.public_bytes(serialization.Encoding.PEM),
                       key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))


def starts_tls(sock: socket.socket, timeout: float = 10.0) -> bool:
    """Whether the client opened with a TLS handshake (peeks, consumes nothing)."""
    sock.settimeout(timeout)
    try:
        first = sock.recv(1, socket.MSG_PEEK)
    finally:
        sock.settimeout(None)
    return bool(first) and first[0] == TLS_HANDSHAKE
