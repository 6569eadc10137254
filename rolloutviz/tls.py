"""The local certificates of the HTTPS endpoint that serves kubectl: a certificate authority
made once, whose certificate every kubeconfig carries (``certificate-authority-data``), and
a server certificate it signs for this machine's names and addresses, issued again when a
name is missing or it nears its end (kubeconfigs already handed out stay valid: the
authority does not change).

kubectl sends a kubeconfig's bearer token only over HTTPS, so `make run` serves the
Kubernetes API on a second, TLS, endpoint of the same Daphne (`daphne_endpoint`).
The folder (setting ``KUBERNETES_TLS_DIR``, default ``.tls/`` in the checkout) is private:
it holds the keys.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

AUTHORITY_DAYS = 3650
SERVER_DAYS = 397
RENEW_BEFORE_DAYS = 30
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Files:
    """Where the certificates and keys of one folder are."""

    folder: Path

    @property
    def authority(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def authority_key(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def certificate(self) -> Path:
        return self.folder / "server.pem"

    @property
    def key(self) -> Path:
        return self.folder / "server-key.pem"


def machine_names(extra: tuple[str, ...] = ()) -> list[str]:
    """The names and addresses a client of this machine may use: loopback, the host name, its
    addresses, and ``extra`` (wildcard listen addresses such as 0.0.0.0 are not names)."""
    names = list(LOOPBACK_NAMES)
    host = socket.gethostname()
    candidates = [host, socket.getfqdn(), *extra]
    try:
        candidates += [info[4][0] for info in socket.getaddrinfo(host, None)]
    except OSError:  # a host name that does not resolve: its name alone will do
        pass
    for name in candidates:
        name = name.strip().strip("[]")
        if name and name not in names and name not in ("0.0.0.0", "::"):
            names.append(name)
    return names


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_authority(files: Files) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"rolloutviz local CA ({socket.gethostname()})")])
    now = _now()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=AUTHORITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(files.authority_key, _key_pem(key))
    files.authority.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _alternative_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _make_server(files: Files, names: list[str]) -> None:
    authority = x509.load_pem_x509_certificate(files.authority.read_bytes())
    authority_key = serialization.load_pem_private_key(files.authority_key.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(authority.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_alternative_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
                       critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    _write_private(files.key, _key_pem(key))
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _names_of(path: Path) -> set[str] | None:
    """The names a server certificate covers, or None when it must be issued again (absent,
    unreadable, near its end)."""
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None
    if certificate.not_valid_after_utc - _now() < datetime.timedelta(days=RENEW_BEFORE_DAYS):
        return None
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n.value) for n in names}


def ensure(folder: Path, names: list[str]) -> Files:
    """The folder's authority (made once) and a server certificate covering ``names``."""
    files = Files(Path(folder))
    files.folder.mkdir(parents=True, exist_ok=True)
    os.chmod(files.folder, 0o700)
    if not (files.authority.exists() and files.authority_key.exists()):
        _make_authority(files)
        files.certificate.unlink(missing_ok=True)
    covered = _names_of(files.certificate)
    wanted = {str(ipaddress.ip_address(n)) if _is_address(n) else n for n in names}
    if covered is None or not wanted <= covered or not files.key.exists():
        _make_server(files, names)
    return files


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def daphne_endpoint(files: Files, port: int, interface: str) -> str:
    """The Twisted endpoint string of Daphne's TLS listener (``daphne -e …``)."""
    escaped = str(interface).replace(":", "\\:")
    return (f"ssl:{port}:interface={escaped}:privateKey={files.key}:certKey={files.certificate}")
