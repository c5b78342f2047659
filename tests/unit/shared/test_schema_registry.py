"""ConfluentRegistry against a fake Confluent-compatible Schema Registry on loopback.

There is no real Schema Registry here, so the test runs a tiny stdlib HTTP server that implements
the two endpoints hireview uses. It needs no Kafka and no marker: it cannot be skipped.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from streams.codec import Codec, UnknownSchema, from_json, load_subjects
from streams.registry import ConfluentRegistry, RegistryError, SchemaNotFound, registry_for
from streams.settings import Settings

AVRO = Path(__file__).resolve().parents[3] / "avro"
SR_TYPE = "application/vnd.schemaregistry.v1+json"


class FakeRegistry:
    """State of the fake: global ids by schema text, versions per subject, a request log."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.texts: dict[int, str] = {}
        self.subjects: dict[str, list[int]] = {}
        self.requests: list[tuple[str, str]] = []


class Handler(BaseHTTPRequestHandler):
    state: FakeRegistry  # set on a subclass per server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", SR_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self.state.requests.append(("POST", self.path))
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "subjects" or parts[2] != "versions":
            return self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})
        if self.headers["Content-Type"] != SR_TYPE:
            return self.reply(415, {"error_code": 415, "message": "Unsupported Media Type"})
        subject = parts[1]
        if subject == "incompatible-value":
            return self.reply(409, {"error_code": 409, "message": "Schema being registered is "
                                    "incompatible with an earlier schema"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = json.dumps(json.loads(body["schema"]), sort_keys=True)
        schema_id = self.state.ids.setdefault(text, len(self.state.ids) + 1)
        self.state.texts[schema_id] = body["schema"]
        versions = self.state.subjects.setdefault(subject, [])
        if schema_id not in versions:
            versions.append(schema_id)
        return self.reply(200, {"id": schema_id})

    def do_GET(self) -> None:  # noqa: N802
        self.state.requests.append(("GET", self.path))
        prefix = "/schemas/ids/"
        if self.path.startswith(prefix) and self.path[len(prefix):].isdigit():
            text = self.state.texts.get(int(self.path[len(prefix):]))
            if text is not None:
                return self.reply(200, {"schema": text})
            return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
        return self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})


@pytest.fixture
def fake() -> Iterator[tuple[str, FakeRegistry]]:
    state = FakeRegistry()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((AVRO / "schemas" / f"{name}.avsc").read_text())
    return data


def test_register_and_get(fake: tuple[str, FakeRegistry]) -> None:
    url, state = fake
    reg = ConfluentRegistry(url)
    claim_id = reg.register("hi.claims-value", schema("claim"))
    assert reg.register("hi.claims-value", schema("claim")) == claim_id  # cached
    assert state.requests == [("POST", "/subjects/hi.claims-value/versions")]
    assert json.loads(state.texts[claim_id]) == schema("claim")
    assert ConfluentRegistry(url).get(claim_id) == schema("claim")  # cold cache: one GET
    assert state.requests[-1] == ("GET", f"/schemas/ids/{claim_id}")


def test_unknown_id_and_refusals(fake: tuple[str, FakeRegistry]) -> None:
    url, _ = fake
    reg = ConfluentRegistry(url)
    with pytest.raises(SchemaNotFound, match=r"unknown schema id 99 \(error_code 40403"):
        reg.get(99)
    with pytest.raises(RegistryError, match="HTTP 409 error_code 409: Schema being registered"):
        reg.register("incompatible-value", schema("card"))


def test_unreachable_registry() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RegistryError, match=f"registry http://127.0.0.1:{port}: GET"):
        ConfluentRegistry(f"http://127.0.0.1:{port}", timeout=2).get(1)


def test_codec_round_trip_through_the_registry(fake: tuple[str, FakeRegistry]) -> None:
    url, state = fake
    subjects = load_subjects(AVRO / "topics.yaml")
    producer = Codec(registry_for(Settings(schema_registry_url=url)), AVRO / "schemas", subjects)
    claim = from_json(schema("claim"), json.loads(
        (AVRO / "examples/claim/inpatient-pneumonia-20-lines.json").read_text()))
    data = producer.encode("claim", claim)

    consumer = Codec(ConfluentRegistry(url), AVRO / "schemas", subjects)
    for _ in range(3):
        assert consumer.decode(data, "claim") == claim
    assert sum(1 for method, _ in state.requests if method == "GET") == 1
    with pytest.raises(UnknownSchema, match="unknown schema id 77"):
        consumer.decode(b"\x00\x00\x00\x00\x4d\x02", "claim")


def test_decision_registers_under_both_topics(fake: tuple[str, FakeRegistry]) -> None:
    url, state = fake
    codec = Codec(ConfluentRegistry(url), AVRO / "schemas", load_subjects(AVRO / "topics.yaml"))
    codec.encoder("decision")
    assert state.subjects["hi.decisions-value"] == state.subjects["hi.warnings-value"]
