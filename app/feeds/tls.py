"""TLS for the live broadcast: a self-signed certificate made once and pinned, or the user's.

`feeds serve-live --tls` keeps a certificate in the data directory (`live-tls/`, key 0600)
so its fingerprint stays the same between runs: a coach pins it once (`feeds record wss://...
--fingerprint AB:CD:...`) and the token is never sent to anyone else.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from device.feeds.client import certificate_fingerprint

#: A self-signed broadcast certificate lasts this long; the fingerprint changes only then.
VALID_DAYS = 3650
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"


class TlsConfigError(ValueError):
    """A certificate or key the user must fix (missing, unreadable, not matching)."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    cert: Path
    key: Path


def self_signed(folder: Path, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> TlsFiles:
    """The certificate kept in `folder`, made (EC P-256, self-signed) on first use."""
    files = TlsFiles(folder / CERT_FILE, folder / KEY_FILE)
    if files.cert.is_file() and files.key.is_file():
        return files
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pulsedeck live broadcast")])
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_pem)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2+) for the certificate and key in `files`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(files.cert, files.key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot use the certificate {files.cert}: {exc}") from exc
    return context


def fingerprint(files: TlsFiles) -> str:
    """The SHA-256 fingerprint of the certificate in `files` (AB:CD:...), as clients pin it."""
    try:
        der = ssl.PEM_cert_to_DER_cert(files.cert.read_text())
    except (OSError, ValueError) as exc:
        raise TlsConfigError(f"cannot read the certificate {files.cert}: {exc}") from exc
    return certificate_fingerprint(der)
