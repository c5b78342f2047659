"""Schema registries: resolve the schema id of a Confluent wire-format event to its Avro schema.

Two implementations of one protocol:

* ``FileRegistry`` keeps ids in ``avro/registry.json`` (committed, so every machine agrees on the
  ids of the current schemas). Like Confluent, ids are global: an identical schema gets the same
  id under every subject. The file holds each schema's text, so events written with an older
  version stay decodable after the ``.avsc`` changed.
* ``ConfluentRegistry`` talks to a Confluent-compatible Schema Registry over its REST API.

Schemas go in and come out as plain JSON dicts (the ``.avsc`` content); parsing them with fastavro
is the codec's job.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from streams.settings import Settings

Schema = dict[str, Any]
_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryError(RuntimeError):
    """The registry cannot answer (down, refused the schema): not the event's fault, so no DLQ."""


class SchemaNotFound(LookupError):
    """No schema has this id: the event names a schema the registry never issued."""


class SchemaRegistry(Protocol):
    def register(self, subject: str, schema: Schema) -> int:
        """Register ``schema`` under ``subject`` (no-op when already there); return its id."""
        ...

    def get(self, schema_id: int) -> Schema:
        """The schema (JSON dict) with this id; ``SchemaNotFound`` when there is none."""
        ...


def canonical(schema: Schema) -> str:
    """Stable text of a schema. Unlike Avro's parsing canonical form it keeps docs and defaults:
    a changed default must be a new version, or old events would decode with the wrong one."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(schema: Schema) -> str:
    return "sha256:" + hashlib.sha256(canonical(schema).encode()).hexdigest()


class FileRegistry:
    """Ids kept in a JSON file, shared safely by the processes of one machine.

    Read-modify-write happens under an exclusive ``flock`` on the file's directory (the file itself
    is replaced by rename, so it cannot carry the lock) and the file is re-read under that lock, so
    two processes registering at once both keep their schema. Ids are sequential: deterministic for
    a given file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._schemas: dict[int, Schema] = {}
        self._ids: dict[str, int] = {}  # fingerprint -> id
        self._subjects: dict[str, list[dict[str, Any]]] = {}
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file last read
        self._load()

    def register(self, subject: str, schema: Schema) -> int:
        fp = fingerprint(schema)
        versions = self._subjects.get(subject, [])
        known = next((v["id"] for v in versions if v["fingerprint"] == fp), None)
        if known is not None:  # fast path: no lock, no disk
            return int(known)
        with self._locked():
            self._load()
            versions = self._subjects.setdefault(subject, [])
            for v in versions:
                if v["fingerprint"] == fp:
                    return int(v["id"])
            schema_id = self._ids.get(fp)
            if schema_id is None:
                schema_id = max(self._schemas, default=0) + 1
                self._schemas[schema_id] = schema
                self._ids[fp] = schema_id
            versions.append({
                "version": len(versions) + 1,
                "id": schema_id,
                "name": full_name(schema),
                "fingerprint": fp,
            })
            self._save()
            return schema_id

    def get(self, schema_id: int) -> Schema:
        schema = self._schemas.get(schema_id)
        if schema is None:
            self._load()  # another process may have registered it since we read the file
            schema = self._schemas.get(schema_id)
        if schema is None:
            raise SchemaNotFound(f"unknown schema id {schema_id} (file registry {self.path})")
        return schema

    def subjects(self) -> dict[str, list[dict[str, Any]]]:
        """Subject -> versions ``{version, id, name, fingerprint}``, oldest first."""
        return {s: [dict(v) for v in vs] for s, vs in self._subjects.items()}

    def _load(self) -> None:
        """(Re)read the file unless unchanged: a flood of unknown ids must not mean disk reads."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return
        if self._stamp == (st.st_mtime_ns, st.st_size):
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            schemas = {int(s["id"]): s["schema"] for s in data.get("schemas", [])}
            subjects = {k: list(v) for k, v in data.get("subjects", {}).items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise RegistryError(f"file registry {self.path} is not valid: {exc}") from exc
        self._schemas = schemas
        self._ids = {fingerprint(s): i for i, s in schemas.items()}
        self._subjects = subjects
        self._stamp = (st.st_mtime_ns, st.st_size)

    def _save(self) -> None:
        data = {
            "about": "Schema ids of the file registry (streams/registry.py). Ids are global, "
                     "never reused; old versions stay so old events still decode.",
            "subjects": dict(sorted(self._subjects.items())),
            "schemas": [
                {"id": i, "fingerprint": fingerprint(s), "schema": s}
                for i, s in sorted(self._schemas.items())
            ],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            # mkstemp makes the file private (0600); keep the registry readable like its files.
            os.fchmod(fd, self.path.stat().st_mode & 0o777 if self.path.exists() else 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, ensure_ascii=False)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)  # atomic: readers see the old or the new file, never half
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


class ConfluentRegistry:
    """Client of a Confluent-compatible Schema Registry (REST, stdlib only), with caches."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._ids: dict[tuple[str, str], int] = {}  # (subject, fingerprint) -> id
        self._schemas: dict[int, Schema] = {}

    def register(self, subject: str, schema: Schema) -> int:
        key = (subject, fingerprint(schema))
        cached = self._ids.get(key)
        if cached is not None:
            return cached
        path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions"
        reply = self._call("POST", path, {"schema": json.dumps(schema)})
        schema_id = reply.get("id")
        if not isinstance(schema_id, int):
            raise RegistryError(f"registry {self.url} answered {reply!r} to {path}: no id")
        self._ids[key] = schema_id
        self._schemas.setdefault(schema_id, schema)
        return schema_id

    def get(self, schema_id: int) -> Schema:
        schema = self._schemas.get(schema_id)
        if schema is not None:
            return schema
        reply = self._call("GET", f"/schemas/ids/{schema_id}", None, not_found=schema_id)
        kind = reply.get("schemaType", "AVRO")
        if kind != "AVRO":
            raise SchemaNotFound(f"schema id {schema_id} is a {kind} schema, not AVRO")
        try:
            schema = json.loads(reply["schema"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"registry {self.url}: bad schema for id {schema_id}") from exc
        if not isinstance(schema, dict):  # a bare "string" schema: none of ours
            raise SchemaNotFound(f"schema id {schema_id} is not an Avro record schema")
        self._schemas[schema_id] = schema
        return schema

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None, not_found: int | None = None
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Content-Type": _CONTENT_TYPE, "Accept": _CONTENT_TYPE},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            if exc.code == 404 and not_found is not None:
                raise SchemaNotFound(f"unknown schema id {not_found} ({detail})") from exc
            raise RegistryError(
                f"registry {self.url}: {method} {path} failed: HTTP {exc.code} {detail}"
            ) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RegistryError(f"registry {self.url}: {method} {path} failed: {exc}") from exc
        if not isinstance(reply, dict):
            raise RegistryError(f"registry {self.url}: {method} {path}: unexpected {reply!r}")
        return reply


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read())
        return f"error_code {body.get('error_code')}: {body.get('message')}"
    except (ValueError, OSError, AttributeError):
        return str(exc.reason)


def full_name(schema: Schema) -> str:
    """``namespace.Name`` of a named schema."""
    name = str(schema.get("name", schema.get("type", "")))
    namespace = schema.get("namespace")
    return f"{namespace}.{name}" if namespace and "." not in name else name


def registry_for(settings: Settings) -> SchemaRegistry:
    """The Confluent registry when ``schema_registry_url`` is set, else the file registry."""
    if settings.schema_registry_url:
        return ConfluentRegistry(settings.schema_registry_url)
    return FileRegistry(settings.avro_dir / "registry.json")
