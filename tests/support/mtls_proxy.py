"""A loopback HTTPS proxy in front of the real MLflow server that demands a client certificate
(mutual TLS), with the certificates it needs made on the spot: a private CA, a server
certificate for 127.0.0.1, a client certificate and key in one PEM file (the form MLflow's
MLFLOW_TRACKING_CLIENT_CERT_PATH takes), and a client certificate of another CA."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

from auth_proxy import ServedProxy, relay

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    cn: str, issuer: Optional[tuple[x509.Certificate, Any]], *, ca: bool = False, ip: Optional[str] = None
) -> tuple[x509.Certificate, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer[0].subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    signer = issuer[1] if issuer else key
    return builder.sign(signer, hashes.SHA256()), key


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: Any) -> bytes:
    pem: bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem


class Certs:
    """PEM files in `folder`: `ca` (trust it for the server), `server_cert`/`server_key`, `client`
    (certificate + key, one file, trusted by the proxy) and `stranger` (the same, another CA)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ca = _issue("ferrotrace test CA", None, ca=True)
        other_ca = _issue("someone else's CA", None, ca=True)
        server = _issue("127.0.0.1", ca, ip="127.0.0.1")
        client = _issue("ferrotrace test client", ca)
        stranger = _issue("stranger", other_ca)
        self.ca = folder / "ca.pem"
        self.ca.write_bytes(_pem(ca[0]))
        self.server_cert = folder / "server-cert.pem"
        self.server_cert.write_bytes(_pem(server[0]))
        self.server_key = folder / "server-key.pem"
        self.server_key.write_bytes(_key_pem(server[1]))
        self.client = folder / "client.pem"
        self.client.write_bytes(_pem(client[0]) + _key_pem(client[1]))
        self.stranger = folder / "stranger.pem"
        self.stranger.write_bytes(_pem(stranger[0]) + _key_pem(stranger[1]))
        # A certificate whose key is missing from the file.
        self.cert_only = folder / "cert-only.pem"
        self.cert_only.write_bytes(_pem(client[0]))


class MutualTlsProxy(ServedProxy):
    """HTTPS on 127.0.0.1 requiring a client certificate of `certs.ca`; forwards to
    `target_uri`. `clients` holds the common name of the certificate behind each request,
    `refused` the handshakes it refused."""

    def __init__(self, target_uri: str, certs: Certs) -> None:
        self.target = urlparse(target_uri)
        self.clients: list[str] = []
        self.refused: list[str] = []
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(certs.server_cert), str(certs.server_key))
        ctx.load_verify_locations(cafile=str(certs.ca))
        ctx.verify_mode = ssl.CERT_REQUIRED
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                peer: Any = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
                cn = next((v for rdn in (peer or {}).get("subject", ()) for k, v in rdn if k == "commonName"), "")
                proxy.clients.append(cn)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                relay(self, proxy.target, body, drop=("host", "connection"))

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[socket.socket, Any]:
                sock, addr = self.socket.accept()
                sock.settimeout(30)
                try:
                    return ctx.wrap_socket(sock, server_side=True), addr
                except (ssl.SSLError, OSError) as e:
                    proxy.refused.append(str(e))
                    sock.close()
                    raise

        self._serve(Server(("127.0.0.1", 0), Handler), "https")
