"""Two PAdES signatures on a report, and their verification (pyHanko).

Signing order: the preparer signs field ``preparer``, then the head signs field ``head``; each
signature is an incremental update (the bytes already signed stay as they are) and an approval
signature, not a certification, so the second only fills a field the first already allowed for.

Who signs comes from the signers file (``settings.settle_signers``, YAML)::

    preparer: {key: preparer.key.pem, cert: preparer.cert.pem, chain: [ca.pem],
               passphrase_env: PREPARER_KEY_PASSPHRASE}
    head: {pkcs11: {module: /usr/lib/softhsm/libsofthsm2.so, token: agency,
                    key_label: head, cert_label: head, pin_env: HEAD_PIN}}

Relative paths are relative to the file. Private keys are never in the repository; tests make
their own CA at run time.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from streams.settle.render import FIELDS

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
REASONS = {"preparer": "Người lập biểu", "head": "Giám đốc phê duyệt"}


class SigningError(RuntimeError):
    """A signature that cannot be made (order, configuration, an already signed field)."""


def load_signers(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        raise SigningError(f"settle_signers: {path} does not exist (see docs/settlement.md)")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SigningError(f"{path}: expected a mapping of fields to signers")
    for name in data:
        if name not in FIELDS:
            raise SigningError(f"{path}: {name!r} is not a signature field ({', '.join(FIELDS)})")
    return {k: {**v, "_dir": str(path.parent)} for k, v in data.items()}


def _signer(config: Mapping[str, Any]) -> Any:
    from pyhanko.sign import signers

    base = Path(config.get("_dir", "."))
    if "pkcs11" in config:
        return _pkcs11_signer(config["pkcs11"])
    for key in ("key", "cert"):
        if not config.get(key):
            raise SigningError(f"signer: {key}: a file path is required (or pkcs11)")
    passphrase = os.environ.get(config["passphrase_env"], "") if config.get(
        "passphrase_env") else None
    signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
        str(base / config["key"]), str(base / config["cert"]),
        ca_chain_files=[str(base / c) for c in config.get("chain", [])],
        key_passphrase=passphrase.encode() if passphrase else None)
    if signer is None:
        raise SigningError(f"signer: could not load {config['key']} / {config['cert']}")
    return signer


def _pkcs11_signer(config: Mapping[str, Any]) -> Any:
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
    except ImportError as exc:  # python-pkcs11 is optional: only a token setup needs it
        raise SigningError(f"pkcs11: {exc}; install python-pkcs11 to sign with a token") from exc
    pin = os.environ.get(config.get("pin_env", ""), "") or None
    session = open_pkcs11_session(config["module"], user_pin=pin,
                                  token_criteria=TokenCriteria(label=config.get("token")))
    return PKCS11Signer(session, key_label=config.get("key_label"),
                        cert_label=config.get("cert_label", config.get("key_label")))


def _filled(pdf: bytes) -> dict[str, bool]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    return {name: value is not None for name, value, _ in enumerate_sig_fields(reader)}


def stamp_font(directory: Path) -> Path:
    """DejaVu Sans cut to Vietnamese and rescaled to 1,000 units per em, made once in
    ``directory``: pyHanko's
    OpenType text writes glyph widths as if every font had 1,000 units per em, and DejaVu has
    2,048, which spread the stamp's letters twice too wide."""
    target = directory / "DejaVuSans-vi-1000upm.ttf"
    if not target.exists():
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        directory.mkdir(parents=True, exist_ok=True)
        font = TTFont(str(_FONT))
        # Only what Vietnamese text needs (Latin, its extensions, combining marks,
        # punctuation): every signature loads and subsets the font again, and the whole of
        # DejaVu made that the slowest part of signing.
        keep = subset.Subsetter(subset.Options(layout_features=["*"], name_IDs=["*"]))
        keep.populate(unicodes=[*range(0x20, 0x250), *range(0x300, 0x370),
                                *range(0x1E00, 0x1F00), *range(0x2000, 0x2070), 0x20AB])
        keep.subset(font)
        scale_upem(font, 1000)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        font.save(str(partial))
        partial.replace(target)
    return target


def sign(pdf: bytes, field: str, config: Mapping[str, Any], font_dir: Path,
         tsa_url: str | None = None) -> bytes:
    """``pdf`` with ``field`` signed by the signer of ``config`` (an incremental update);
    ``font_dir`` keeps the stamp's font (``stamp_font``)."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import signers, timestamps
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.stamp import TextStampStyle

    if field not in FIELDS:
        raise SigningError(f"field: {field!r} is not one of {', '.join(FIELDS)}")
    filled = _filled(pdf)
    if field not in filled:
        raise SigningError(f"field {field}: the report has no such signature field")
    if filled[field]:
        raise SigningError(f"field {field}: already signed")
    earlier = FIELDS[:FIELDS.index(field)]
    missing = [f for f in earlier if not filled.get(f)]
    if missing:
        raise SigningError(f"field {field}: {', '.join(missing)} must sign first")
    signer = _signer(config)
    name = config.get("name") or signer.signing_cert.subject.native.get("common_name", "")
    style = TextStampStyle(
        stamp_text="Ký số bởi: %(signer)s\n" + REASONS[field] + "\nThời gian: %(when)s",
        text_box_style=TextBoxStyle(font_size=8, leading=11, font=GlyphAccumulatorFactory(
            str(stamp_font(font_dir)), font_size=8)))
    # Vietnam's time on the stamp (the signed attribute itself is UTC, to the second)
    when = (datetime.now(UTC) + timedelta(hours=7)).strftime("%H:%M:%S ngày %d/%m/%Y (GMT+7)")
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256",
                                        subfilter=SigSeedSubFilter.PADES,
                                        reason=REASONS[field], name=name)
    stamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    out = signers.PdfSigner(meta, signer=signer, timestamper=stamper, stamp_style=style
                            ).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                                       appearance_text_params={"signer": name, "when": when})
    return bytes(out.getbuffer())


@dataclass(frozen=True)
class Signed:
    field: str
    signer: str
    signing_time: str
    ok: bool
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Verification:
    signatures: tuple[Signed, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.signatures)
