"""``hireview reports verify FILE``: both signatures of a report, checked.

For each of the two fields: signed at all; the signed bytes unchanged (digest) and the CMS
signature valid; the signer's certificate chained to one of the trusted roots
(``settings.settle_trust_roots``) and allowed to sign (non-repudiation); the signing time inside
the certificate's validity and not in the future, the head's not before the preparer's; the
changes after the preparer's signature only those a second signature makes (form filling); and
nothing appended after the last signature.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from streams.settle.render import FIELDS
from streams.settle.signing import Signed, Verification

_CLOCK_SKEW = timedelta(minutes=5)


def load_roots(path: Path) -> list[Any]:
    from asn1crypto import pem, x509

    if not path.exists():
        raise FileNotFoundError(f"settle_trust_roots: {path} does not exist")
    data = path.read_bytes()
    if not pem.detect(data):
        return [x509.Certificate.load(data)]
    return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]


def _check(sig: Any, roots: list[Any], now: datetime) -> tuple[str, str, list[str], Any]:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                revocation_mode="soft-fail")
    usage = KeyUsageConstraints(key_usage={"non_repudiation"})
    status = validate_pdf_signature(sig, context, key_usage_settings=usage)
    cert = status.signing_cert
    who = cert.subject.human_friendly
    when = status.signer_reported_dt
    if status.timestamp_validity is not None:
        when = status.timestamp_validity.timestamp
    problems: list[str] = []
    if not status.intact:
        problems.append("the signed content was altered after signing (digest mismatch)")
    elif not status.valid:
        problems.append("the cryptographic signature does not match the certificate's key")
    if status.intact and status.valid and not status.trusted:
        problems.append(f"the certificate does not chain to a trusted root "
                        f"({status.trust_problem_indic or 'untrusted'})")
    if when is None:
        problems.append("no signing time")
    else:
        valid = cert["tbs_certificate"]["validity"]
        if not valid["not_before"].native <= when <= valid["not_after"].native:
            problems.append(f"signing time {when.isoformat()} is outside the certificate's "
                            "validity")
        if when > now + _CLOCK_SKEW:
            problems.append(f"signing time {when.isoformat()} is in the future")
    if status.modification_level is not None and not status.docmdp_ok:
        problems.append(f"changes after signing are not allowed ({status.modification_level})")
    return who, when.isoformat() if when else "", problems, status


def verify(data: bytes, roots: list[Any], now: datetime | None = None) -> Verification:
    """Both signatures of ``data``; ``Verification.ok`` only when both are there and valid."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    now = now or datetime.now(UTC)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = {s.field_name: s for s in reader.embedded_signatures}
    except Exception as exc:  # any parse failure of an altered file is a verdict, not a crash
        return Verification((), (f"not a readable PDF: {type(exc).__name__}: {exc}",))
    found: list[Signed] = []
    problems: list[str] = []
    times: dict[str, datetime] = {}
    for field in FIELDS:
        sig = embedded.get(field)
        if sig is None:
            problems.append(f"{field}: not signed")
            continue
        try:
            who, when, issues, status = _check(sig, roots, now)
        except Exception as exc:  # a damaged signature dictionary or CMS blob
            found.append(Signed(field, "?", "", False,
                                (f"unreadable signature: {type(exc).__name__}: {exc}",)))
            continue
        if status.signer_reported_dt:
            times[field] = status.signer_reported_dt
        if field == FIELDS[-1] and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            issues.append("data was added after this, the last signature")
        found.append(Signed(field, who, when, not issues, tuple(issues)))
    if len(times) == len(FIELDS) and times[FIELDS[1]] < times[FIELDS[0]]:
        problems.append("the head signed before the preparer")
    extra = sorted(set(embedded) - set(FIELDS))
    if extra:
        problems.append(f"unexpected signatures: {', '.join(extra)}")
    return Verification(tuple(found), tuple(problems))


def describe(result: Verification) -> list[str]:
    """Lines for people: each signature with who and when, then the verdict."""
    lines = []
    for s in result.signatures:
        state = "valid" if s.ok else "INVALID: " + "; ".join(s.problems)
        lines.append(f"{s.field:9} {state}\n          signed by {s.signer} at {s.signing_time}")
    lines.extend(f"problem: {p}" for p in result.problems)
    lines.append("OK: both signatures valid" if result.ok else "FAILED")
    return lines
