"""Avro values in the Confluent wire format: byte 0, 4-byte big-endian schema id, Avro body.

``Codec.encoder(target)`` gives a fast ``record -> bytes`` function (the schema is registered once,
when the encoder is made). ``Codec.decode(data, reader)`` fetches the *writer* schema by id (cached)
and resolves it to the current *reader* schema, so events written before a BACKWARD-compatible
change still decode, with defaults filling the new fields. A bad event raises a typed
``InvalidMessage`` whose ``reason`` is a short label (metric label, DLQ header).

Subjects follow Confluent's TopicNameStrategy, ``<topic>-value``, over the catalogue names in
``avro/topics.yaml``. ``settings.topic_prefix`` (test isolation) is deliberately not part of the
subject: the schemas are the same, and a file registry must not collect one subject per test run.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, cast

import yaml
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from fastavro.validation import ValidationError, validate

from streams.registry import (
    SchemaNotFound,
    SchemaRegistry,
    fingerprint,
    full_name,
    registry_for,
)
from streams.settings import Settings

Record = dict[str, Any]
Encoder = Callable[[Mapping[str, Any]], bytes]
_HEADER = struct.Struct(">BI")  # magic byte, schema id
_MAGIC = 0


class InvalidMessage(Exception):
    """An event that can never be decoded: it goes to the DLQ, it must not stop the consumer."""

    reason = "invalid"

    def __init__(self, detail: str, reason: str | None = None) -> None:
        super().__init__(detail)
        if reason is not None:
            self.reason = reason


class NotWireFormat(InvalidMessage):
    reason = "not_wire_format"


class UnknownSchema(InvalidMessage):
    reason = "unknown_schema"


class AvroDecodeError(InvalidMessage):
    reason = "avro_decode"


class IncompatibleSchema(InvalidMessage):
    reason = "incompatible_schema"


class EncodeError(ValueError):
    """A record does not fit its schema; the message names the field."""


def load_subjects(topics_file: Path) -> dict[str, str]:
    """Subject -> schema name (the ``.avsc`` stem) for every topic in the catalogue that has one."""
    data = yaml.safe_load(Path(topics_file).read_text(encoding="utf-8"))
    subjects: dict[str, str] = {}
    for topic in data["topics"]:
        schema = topic.get("schema")
        if schema:
            subjects[schema["subject"]] = Path(schema["file"]).stem
    return subjects


class Codec:
    def __init__(
        self,
        registry: SchemaRegistry,
        schemas_dir: Path,
        subjects: Mapping[str, str] | None = None,
    ) -> None:
        self.registry = registry
        self.schemas_dir = Path(schemas_dir)
        self.subjects = dict(subjects or {})
        self._raw: dict[str, Record] = {}
        self._readers: dict[str, tuple[Any, str]] = {}  # name -> (parsed, fingerprint)
        self._writers: dict[int, tuple[Any, str, str]] = {}  # id -> (parsed, fingerprint, name)
        self._pairs: dict[tuple[int, str], tuple[Any, Any]] = {}  # (id, reader) -> (w, r|None)
        self._encoders: dict[str, Encoder] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Codec:
        """The codec of a process: its registry, ``avro/schemas`` and the topic catalogue."""
        return cls(registry_for(settings), settings.avro_dir / "schemas",
                   load_subjects(settings.avro_dir / "topics.yaml"))

    # --- schemas -------------------------------------------------------------------------------
    def schema(self, name: str) -> Record:
        """The JSON schema ``<schemas_dir>/<name>.avsc`` (read once)."""
        raw = self._raw.get(name)
        if raw is None:
            path = self.schemas_dir / f"{name}.avsc"
            if not path.is_file():
                have = sorted(p.stem for p in self.schemas_dir.glob("*.avsc"))
                raise ValueError(f"no schema {name!r} in {self.schemas_dir} (have {have})")
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._raw[name] = raw
        return raw

    def _reader(self, name: str) -> tuple[Any, str]:
        reader = self._readers.get(name)
        if reader is None:
            raw = self.schema(name)
            reader = self._readers[name] = (parse_schema(raw), fingerprint(raw))
        return reader

    def register_all(self) -> dict[str, int]:
        """Register every catalogue subject; returns subject -> schema id."""
        return {s: self.registry.register(s, self.schema(n)) for s, n in self.subjects.items()}

    # --- encode --------------------------------------------------------------------------------
    def encoder(self, target: str) -> Encoder:
        """Encoder for a subject (``hi.claims-value``) or a schema name (``claim``).

        A schema name registers under every catalogue subject that uses it (``decision`` under
        ``hi.decisions-value`` and ``hi.warnings-value``); ids are global, so they agree.
        """
        cached = self._encoders.get(target)
        if cached is not None:
            return cached
        if target in self.subjects:
            name, subjects = self.subjects[target], [target]
        else:
            name = target
            subjects = [s for s, n in self.subjects.items() if n == name]
            if not subjects:  # no topic uses it: a RecordNameStrategy-style subject
                subjects = [full_name(self.schema(name))]
        raw = self.schema(name)
        parsed, fp = self._reader(name)
        schema_id = [self.registry.register(s, raw) for s in subjects][0]
        self._writers.setdefault(schema_id, (parsed, fp, full_name(raw)))
        header = _HEADER.pack(_MAGIC, schema_id)

        def encode(record: Mapping[str, Any]) -> bytes:
            out = BytesIO()
            out.write(header)
            try:
                schemaless_writer(out, parsed, record)
            except Exception as exc:  # fastavro names only the leaf; validation names the path
                raise EncodeError(_explain(name, parsed, record, exc)) from exc
            return out.getvalue()

        self._encoders[target] = encode
        return encode

    def encode(self, target: str, record: Mapping[str, Any]) -> bytes:
        return self.encoder(target)(record)

    # --- decode --------------------------------------------------------------------------------
    def decode(self, data: bytes, reader: str) -> Record:
        """Decode a wire-format event into a dict shaped by the reader schema ``reader``."""
        try:
            magic, schema_id = _HEADER.unpack_from(data)
        except struct.error:
            raise NotWireFormat(f"{len(data)} bytes: too short for the Confluent wire format "
                                "(5-byte header)") from None
        if magic != _MAGIC:
            raise NotWireFormat(f"bad magic byte 0x{magic:02x}: not Confluent wire format"
                                + (" (looks like JSON)" if magic == 0x7B else ""))
        pair = self._pairs.get((schema_id, reader))
        if pair is None:
            pair = self._resolve(schema_id, reader)
        body = BytesIO(data)
        body.seek(5)
        try:
            record = cast(Record, schemaless_reader(body, pair[0], pair[1]))
        except SchemaResolutionError as exc:
            # fastavro's "Schema mismatch" message prints both schemas whole: name them instead.
            why = "" if str(exc).startswith("Schema mismatch") else f": {_short(exc)}"
            raise IncompatibleSchema(
                f"schema id {schema_id} ({self._writers[schema_id][2]}) cannot be read as "
                f"{reader!r} ({full_name(self.schema(reader))}){why}") from exc
        except Exception as exc:  # truncated body, bad varint, bad UTF-8, enum index ...
            raise AvroDecodeError(f"schema id {schema_id}: Avro body does not decode "
                                  f"({type(exc).__name__}: {_short(exc) or 'truncated'})") from exc
        left = len(data) - body.tell()
        if left:
            raise AvroDecodeError(f"schema id {schema_id}: {left} bytes left after the record "
                                  "(written with another schema?)")
        return record

    def _resolve(self, schema_id: int, reader: str) -> tuple[Any, Any]:
        writer = self._writers.get(schema_id)
        if writer is None:
            try:
                raw = self.registry.get(schema_id)
            except SchemaNotFound as exc:
                raise UnknownSchema(f"unknown schema id {schema_id}") from exc
            writer = self._writers[schema_id] = (parse_schema(raw), fingerprint(raw),
                                                 full_name(raw))
        parsed, fp = self._reader(reader)
        # Same schema: no resolution step at all (fastavro would deep-compare them per call).
        pair = (writer[0], None if writer[1] == fp else parsed)
        self._pairs[(schema_id, reader)] = pair
        return pair


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def _explain(name: str, parsed: Any, record: Any, exc: Exception) -> str:
    try:
        validate(record, parsed, raise_errors=True)
    except ValidationError as err:
        problems = "; ".join(
            f"{e.field}: missing or null, expected {e.schema}" if e.datum is None
            else f"{e.field}: {e.datum!r} is not {e.schema}" for e in err.errors
        )
        return f"cannot encode {name}: {_short(Exception(problems), 500)}"
    except Exception:  # validation itself choked: the writer's message will do
        pass
    return f"cannot encode {name}: {_short(exc)}"


def bench(codec: Codec, name: str, record: Mapping[str, Any], n: int = 20000) -> dict[str, float]:
    """Mean encode/decode time in microseconds and the event size in bytes (no assertions)."""
    encode = codec.encoder(name)
    data = encode(record)
    codec.decode(data, name)  # warm the caches
    started = time.perf_counter()
    for _ in range(n):
        encode(record)
    encoded = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(n):
        codec.decode(data, name)
    decoded = time.perf_counter() - started
    return {"encode_us": encoded / n * 1e6, "decode_us": decoded / n * 1e6, "bytes": len(data)}


# --- the JSON form of examples ---------------------------------------------------------------
# Plain JSON (not Avro's JSON encoding: union values are not wrapped). Logical types as ISO text:
# local-timestamp-millis "2025-03-01T08:30:00" (no offset), timestamp-millis
# "2025-03-01T01:30:00Z" (offset required), date "2025-03-01".

def from_json(schema: Any, obj: Any) -> Any:
    """Turn the JSON form of a value of ``schema`` (a JSON schema) into what fastavro writes."""
    return _walk(schema, obj, {}, "$", True)


def to_json(schema: Any, value: Any) -> Any:
    """The inverse of ``from_json``: a decoded value back to its JSON form."""
    return _walk(schema, value, {}, "$", False)


def _walk(schema: Any, value: Any, names: dict[str, Any], path: str, inbound: bool) -> Any:
    if isinstance(schema, str):
        named = names.get(schema)
        return value if named is None else _walk(named, value, names, path, inbound)
    if isinstance(schema, list):  # union: null, else the first branch that takes the value
        if value is None:
            return None
        branches = [b for b in schema if b != "null"]
        for branch in branches[:-1]:
            try:
                return _walk(branch, value, names, path, inbound)
            except (TypeError, ValueError):
                continue
        return _walk(branches[-1], value, names, path, inbound)
    kind, logical = schema["type"], schema.get("logicalType")
    if logical is not None and not isinstance(value, dict | list):
        return _logical(logical, value, path) if inbound else _logical_out(value)
    if kind in ("record", "enum", "fixed"):
        names[schema["name"]] = schema
        if schema.get("namespace"):
            names[f"{schema['namespace']}.{schema['name']}"] = schema
    if kind == "record":
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected an object for record {schema['name']}")
        fields = {f["name"]: f["type"] for f in schema["fields"]}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ValueError(f"{path}: unknown field(s) {unknown} for record {schema['name']}")
        return {k: _walk(fields[k], v, names, f"{path}.{k}", inbound) for k, v in value.items()}
    if kind == "array" and isinstance(value, list):
        return [_walk(schema["items"], v, names, f"{path}[{i}]", inbound)
                for i, v in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {k: _walk(schema["values"], v, names, f"{path}.{k}", inbound)
                for k, v in value.items()}
    if isinstance(kind, dict | list):
        return _walk(kind, value, names, path, inbound)
    return value


def _logical(logical: str, value: Any, path: str) -> Any:
    if not isinstance(value, str):
        return value  # already a datetime/date, or wrong and left for validation to name
    try:
        if logical == "date":
            return date.fromisoformat(value)
        if logical.startswith("local-timestamp"):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                raise ValueError("a local time takes no offset")
            return parsed
        if logical.startswith("timestamp"):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("a UTC timestamp needs Z or an offset")
            return parsed.astimezone(UTC)
    except ValueError as exc:
        raise ValueError(f"{path}: {value!r} is not a valid {logical} ({exc})") from None
    return value


def _logical_out(value: Any) -> Any:
    if isinstance(value, datetime):
        # Millisecond types: print ".345", not ".345000"; whole seconds print no fraction.
        spec = "milliseconds" if value.microsecond and value.microsecond % 1000 == 0 else "auto"
        if value.tzinfo is None:
            return value.isoformat(timespec=spec)
        return value.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
