"""Safe parsing of untrusted XML: no DTD at all, hence no entities, no external fetches.

Claim files never need a DTD, so any ``<!DOCTYPE`` is refused before the tree is built: that
closes XXE (external entities), billion laughs (nested internal entities), external DTDs and
parameter entities in one check, with no expansion ever started. An entity reference without a
DTD is a well-formedness error, so what is left is plain XML.

How: a first expat pass reads only the prolog (in small chunks, stopping at the root element's
start tag, where a DOCTYPE can no longer appear) and raises ``UnsafeXml`` on a DOCTYPE; then the
C ElementTree parser builds the tree (the fast path, about 0.3 µs per element). Both passes use
the same expat, so they see the same document whatever its encoding. Namespaces are stripped so
callers match plain tag names. Every failure is a ``PortalInputError``; nothing else escapes.
"""

from __future__ import annotations

import codecs
import pyexpat
import xml.etree.ElementTree as ET

_PROLOG_CHUNK = 4096
_FEED_CHUNK = 256 * 1024
# Claim files are UTF-8; the others are what old HIS exports declare. Anything else (EBCDIC,
# "unicode_escape", ...) would go through Python's single-byte codec bridge for no benefit.
_ENCODINGS = frozenset({"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "iso8859-1",
                        "cp1252", "cp1258"})


class PortalInputError(Exception):
    """A submission that cannot be read at all; ``reason`` is a short label (metric, HTTP body)."""

    reason = "invalid_input"
    status = 400  # the HTTP answer; bounds (TooLarge, TooDeep, OverLimit ...) say 413 or 422
    field: str | None = None  # the bound's field and limit, named in the answer
    limit: int | float | None = None


class UnsafeXml(PortalInputError):
    """A DTD, entity declaration or external reference: refused, never expanded."""

    reason = "unsafe_xml"


class MalformedXml(PortalInputError):
    """Not well-formed XML; ``line`` and ``column`` (0-based, as expat counts) say where."""

    reason = "malformed_xml"

    def __init__(self, problem: str, line: int, column: int) -> None:
        super().__init__(f"malformed XML at line {line}, column {column}: {problem}")
        self.problem = problem
        self.line = line
        self.column = column


class TooLarge(PortalInputError):
    reason, status = "too_large", 413

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes: larger than the limit of {limit} bytes")
        self.size = size
        self.field, self.limit = "body", limit


class _RootReached(Exception):
    """Internal: the prolog is over (the root element starts) and held no DOCTYPE."""


def _refuse_doctype(name: str, *_: object) -> None:
    raise UnsafeXml(f"DOCTYPE {name!r} refused: claim files must not carry a DTD "
                    "(entities and external references are not allowed)")


def _refuse_entity(*_: object) -> int:
    raise UnsafeXml("entity declaration or external entity reference refused")


def _root_reached(*_: object) -> None:
    raise _RootReached


def _check_declaration(version: str | None, encoding: str | None, standalone: int) -> None:
    if encoding is None:
        return
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in _ENCODINGS:
        raise MalformedXml(f"encoding {encoding[:40]!r} is not accepted (use UTF-8)", 1, 0)


def _check_prolog(data: bytes) -> None:
    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.XmlDeclHandler = _check_declaration
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity
    parser.StartElementHandler = _root_reached
    try:
        for start in range(0, len(data), _PROLOG_CHUNK):
            parser.Parse(data[start:start + _PROLOG_CHUNK], False)
        parser.Parse(b"", True)
    except _RootReached:
        return
    except pyexpat.ExpatError as exc:
        raise MalformedXml(pyexpat.ErrorString(exc.code) or "not well-formed",
                           exc.lineno, exc.offset) from None
    except (LookupError, ValueError) as exc:  # expat's bridge to Python codecs
        raise MalformedXml(f"unsupported encoding ({exc})", 1, 0) from None
    # A complete parse that never reached an element cannot happen (expat reports "no element
    # found"), but never let the tree parser run unchecked.
    raise MalformedXml("no root element", 1, 0)


def parse_xml(data: bytes, *, max_bytes: int, depth: int | None = None,
              string: int | None = None) -> ET.Element:
    """The root element of ``data`` with namespaces stripped from every tag.

    Raises ``TooLarge`` above ``max_bytes``, ``UnsafeXml`` on any DTD, ``MalformedXml`` (with line
    and column) on anything not well-formed, including undefined entity references, and
    ``TooDeep``/``TextTooLong`` beyond ``depth`` levels or ``string`` characters of one text
    (``NOIDUNGFILE`` excepted: it carries a whole table, parsed and checked on its own).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise TooLarge(len(data), max_bytes)
    _check_prolog(data)
    parser = ET.XMLParser()
    try:
        # In slices: the C parser holds the GIL for a whole feed, and a 16 MB document fed at
        # once would stall every other request thread and the event loop for its duration.
        for start in range(0, len(data), _FEED_CHUNK):
            parser.feed(data[start:start + _FEED_CHUNK])
        root = parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        raise MalformedXml(pyexpat.ErrorString(exc.code) or "not well-formed",
                           line, column) from None
    except (LookupError, ValueError) as exc:  # cannot happen after the prolog check; still typed
        raise MalformedXml(f"unsupported encoding ({exc})", 1, 0) from None
    if b"xmlns" in data:  # expat writes namespaced tags as "{uri}local"
        for element in root.iter():
            if element.tag[:1] == "{":
                element.tag = element.tag.rpartition("}")[2]
    if depth is not None or string is not None:
        _check_shape(root, depth or 1 << 30, string or 1 << 62)
    return root


class TooDeep(PortalInputError):
    reason, status = "too_deep", 422

    def __init__(self, tag: str, limit: int) -> None:
        super().__init__(f"XML element {tag[:40]!r} is nested more than {limit} levels deep")
        self.field, self.limit = tag[:40], limit


class TextTooLong(PortalInputError):
    reason, status = "string_too_long", 413

    def __init__(self, tag: str, size: int, limit: int) -> None:
        super().__init__(f"{tag[:40]}: {size} characters; the limit is {limit}")
        self.field, self.limit = tag[:40], limit


def _check_shape(root: ET.Element, depth: int, string: int) -> None:
    """Iterative (a 10^5-deep document must not exhaust the stack of a check)."""
    stack = [(root, 1)]
    while stack:
        element, level = stack.pop()
        if level > depth:
            raise TooDeep(element.tag, depth)
        text = element.text
        if text is not None and len(text) > string and element.tag != "NOIDUNGFILE":
            raise TextTooLong(element.tag, len(text), string)
        if len(element):
            stack.extend((child, level + 1) for child in element)
