"""A throw-away CA and two signers, made at run time in a scratch directory (never committed
keys) for the tests and `hireview bench settle`:
a root, the preparer's and the head's certificates (digital signature + non-repudiation), and a
signers file in the shape ``settings.settle_signers`` reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PEOPLE = {"preparer": "Nguyễn Thị Lan", "head": "Trần Văn Đức"}


@dataclass(frozen=True)
class ThrowawayCA:
    root: Path  # trust roots PEM
    signers: Path  # signers YAML
    other_root: Path  # a CA that signed nothing here


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BHXH thử nghiệm"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_ca(where: Path) -> ThrowawayCA:
    now = datetime.now(UTC)
    where.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("CA thử nghiệm hireview", now)
    _, other = _ca("CA khác", now)
    pem = serialization.Encoding.PEM
    (where / "root.pem").write_bytes(ca_cert.public_bytes(pem))
    (where / "other.pem").write_bytes(other.public_bytes(pem))
    config = {}
    for field, person in PEOPLE.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(person))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(hours=1))
                .not_valid_after(now + timedelta(days=10))
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False,
                                             False, False), critical=True)
                .sign(ca_key, hashes.SHA256()))
        (where / f"{field}.key.pem").write_bytes(key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (where / f"{field}.cert.pem").write_bytes(cert.public_bytes(pem))
        config[field] = {"key": f"{field}.key.pem", "cert": f"{field}.cert.pem",
                         "chain": ["root.pem"]}
    (where / "signers.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                        encoding="utf-8")
    return ThrowawayCA(where / "root.pem", where / "signers.yaml", where / "other.pem")
