"""Reception portal, pure part: GIAMDINHHS envelopes and the JSON form -> claim records.

No HTTP and no Kafka here; the service builds on this API:

- ``parse_envelope(data, max_bytes=...) -> EnvelopeResult`` (``.facility``, ``.created``,
  ``.claims``, ``.findings``); raises a ``PortalInputError`` (``TooLarge``, ``UnsafeXml``,
  ``MalformedXml``, ``NotAnEnvelope``) only when the envelope cannot be read at all.
- ``parse_json_claim(obj, facility=None) -> ClaimResult`` for the JSON form.
- ``ClaimResult``: ``.claim_key`` (facility, MA_LK), ``.record`` (claim.avsc without version,
  submitted_at, content_hash; ``None`` when blocked), ``.findings``, ``.accepted``, ``.index``.
- ``stamp(record, version=, submitted_at=)`` completes a record; ``content_hash(record)``.
- ``CATALOGUE`` / ``catalogue_rows()``: the machine-readable error catalogue.
"""

from streams.portal.errors import BY_CODE, CATALOGUE, ErrorSpec, Finding, catalogue_rows
from streams.portal.intake.envelope import EnvelopeResult, NotAnEnvelope, parse_envelope
from streams.portal.intake.jsonform import claim_to_json, parse_json_claim
from streams.portal.intake.normalise import ClaimResult, content_hash, stamp
from streams.portal.intake.xmlsafe import MalformedXml, PortalInputError, TooLarge, UnsafeXml

__all__ = [
    "BY_CODE", "CATALOGUE", "ClaimResult", "EnvelopeResult", "ErrorSpec", "Finding",
    "MalformedXml", "NotAnEnvelope", "PortalInputError", "TooLarge", "UnsafeXml",
    "catalogue_rows", "claim_to_json", "content_hash", "parse_envelope", "parse_json_claim",
    "stamp",
]
