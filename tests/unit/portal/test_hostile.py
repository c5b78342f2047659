"""Hostile input to ``POST /api/v1/claims``: every answer a clear 4xx naming what is wrong (and,
for a bound, the field and the limit), never a 5xx, nothing published.

Most cases go through the ASGI app (TestClient). Bodies of 200 MB, declared or chunked, go
through a real uvicorn on loopback over a raw socket: the test client would buffer them, and
the point is that the portal refuses them after reading at most its limit.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.unit.portal.portal_fixtures import claim, envelope
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults

MB = 1024 * 1024


class Hostile:
    def __init__(self, tmp: Path) -> None:
        creds = tmp / "creds.json"
        self.key = add_credential(creds, "Bệnh viện 79001", "facility", "79001")
        self.publish = FakePublish()
        self.app: FastAPI = create_portal(
            Settings(portal_max_body_mb=16), publish=self.publish,
            receipts=ReceiptStore(FakeLog()), results=FakeResults(),
            credentials=Credentials.load(creds))
        self.client = TestClient(self.app)

    def post(self, body: bytes, ctype: str = "application/json") -> Any:
        return self.client.post("/api/v1/claims", content=body, headers={
            "Authorization": f"Bearer {self.key}", "Content-Type": ctype})


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    return Hostile(tmp_path_factory.mktemp("hostile"))


def refused(r: Any, status: int, error: str) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    body: dict[str, Any] = r.json()
    assert body["error"] == error and body["detail"], body
    return body


def xml_table(document: bytes) -> bytes:
    """An envelope whose XML1 table is ``document``, base64 as exporters send it."""
    text = envelope([claim(1)]).decode()
    start = text.index("<NOIDUNGFILE>") + len("<NOIDUNGFILE>")
    end = text.index("</NOIDUNGFILE>", start)
    return (text[:start] + base64.b64encode(document).decode() + text[end:]).encode()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a%d;" % (i - 1) * 10 if i > 1 else b"&a;"
                                               * 10) for i in range(1, 10))
          + b"]><GIAMDINHHS>&a9;</GIAMDINHHS>")
XML_CASES = {
    "xxe": (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><GIAMDINHHS>&e;'
            b"</GIAMDINHHS>", 400, "unsafe_xml"),
    "billion_laughs": (LAUGHS, 400, "unsafe_xml"),
    "dtd_in_base64_table": (xml_table(b'<!DOCTYPE T [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                      b"<TONG_HOP><MA_LK>&e;</MA_LK></TONG_HOP>"),
                            400, "unsafe_xml"),
    "deep_xml": (b"<GIAMDINHHS>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</GIAMDINHHS>",
                 422, "too_deep"),
    "invalid_utf8_xml": (b"<GIAMDINHHS>\xff\xfe\xfa</GIAMDINHHS>", 400, "malformed_xml"),
    "long_text_xml": (b"<GIAMDINHHS><THONGTINDONVI><MACSKCB>" + b"7" * 10_000
                      + b"</MACSKCB></THONGTINDONVI></GIAMDINHHS>", 413, "string_too_long"),
    "declared_claims": (envelope([claim(1)], count="1001"), 413, "too_many_claims"),
}


@pytest.mark.parametrize("name", sorted(XML_CASES))
def test_hostile_xml_is_a_clear_4xx(hostile: Hostile, name: str) -> None:
    body, status, error = XML_CASES[name]
    answer = refused(hostile.post(body, "application/xml"), status, error)
    if status in (413, 422):
        assert answer["field"] and answer["limit"], answer
    assert hostile.publish.published == []


def test_an_envelope_with_more_hoso_than_allowed_names_the_real_count(tmp_path: Path) -> None:
    creds = tmp_path / "creds.json"
    key = add_credential(creds, "x", "facility", "79001")
    app = create_portal(Settings(portal_max_claims=2), publish=FakePublish(),
                        receipts=ReceiptStore(FakeLog()), results=FakeResults(),
                        credentials=Credentials.load(creds))
    r = TestClient(app).post("/api/v1/claims", content=envelope([claim(n) for n in (1, 2, 3)]),
                             headers={"Authorization": f"Bearer {key}",
                                      "Content-Type": "application/xml"})
    answer = refused(r, 413, "too_many_claims")
    assert answer["limit"] == 2 and answer["field"] in ("SOLUONGHOSO", "DANHSACHHOSO"), answer


def _many_keys(n: int) -> bytes:
    return json.dumps({"claim_id": "X", "header": {f"k{i}": 1 for i in range(n)}}).encode()


JSON_CASES = {
    "1e5_objects": (b"[" + b",".join([b"{}"] * 100_000) + b"]", 413, "too_many_claims"),
    "1e6_keys": (_many_keys(1_000_000), 413, "too_many_values"),
    "1000_keys": (_many_keys(1000), 413, "too_many_keys"),
    "1e5_lines": (json.dumps({"claim_id": "X", "drugs": [{}] * 100_000}).encode(), 413,
                  "too_many_lines"),
    "deep_json": (b"[" * 10_000 + b"]" * 10_000, 422, "too_deep"),
    "deep_json_within_parser": (b'{"a":' * 30 + b"1" + b"}" * 30, 422, "too_deep"),
    "long_string": (json.dumps({"claim_id": "X" * 100_000}).encode(), 413, "string_too_long"),
    "invalid_utf8_json": (b'{"claim_id": "\xff\xfe"}', 400, "malformed_json"),
    "nan": (b'{"claim_id": "X", "header": {"t_bhtt": NaN}}', 400, "malformed_json"),
    "1e400": (b'{"claim_id": "X", "header": {"t_bhtt": 1e400}}', 400, "malformed_json"),
}


@pytest.mark.parametrize("name", sorted(JSON_CASES))
def test_hostile_json_is_a_clear_4xx(hostile: Hostile, name: str) -> None:
    body, status, error = JSON_CASES[name]
    answer = refused(hostile.post(body), status, error)
    if status in (413, 422):
        assert answer["field"] and answer["limit"], answer
    assert hostile.publish.published == []


def test_an_envelope_without_macskcb_is_400_naming_it_not_an_authorisation_refusal(
        hostile: Hostile, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hireview.portal"):
        r = hostile.post(envelope([claim(1)], facility=""), "application/xml")
    answer = refused(r, 400, "invalid_envelope")
    assert answer["field"] == "MACSKCB" and "MACSKCB is missing" in answer["detail"]
    assert not [m for m in caplog.messages if m.startswith("refused")], caplog.messages


def test_negative_money_totals_are_refused_naming_the_field(hostile: Hostile) -> None:
    spec = claim(7)
    spec.xml1["T_BHTT"] = "-1000"
    r = hostile.post(envelope([spec]), "application/xml")
    assert r.status_code == 200, r.text
    [result] = r.json()["claims"]
    assert not result["accepted"] and result["receipt"] is None
    [negative] = [f for f in result["findings"] if f["code"] == "P134"]
    assert negative["field"] == "T_BHTT" and negative["blocking"], negative


def test_minus_zero_and_impossible_dates_are_answered_not_crashed(hostile: Hostile) -> None:
    spec = claim(8)
    spec.xml1["T_NGUONKHAC"] = "-0"
    spec.xml1["NGAY_VAO"] = "202502300800"  # 30 February
    r = hostile.post(envelope([spec]), "application/xml")
    assert r.status_code == 200, r.text
    [result] = r.json()["claims"]
    assert not result["accepted"]
    codes = {f["code"] for f in result["findings"]}
    assert "P112" in codes and "P134" not in codes, codes


@pytest.mark.parametrize("path, allowed", [
    ("/api/v1/claims", "GET, OPTIONS, POST"),
    ("/api/v1/claims/79001/X/unlock", "OPTIONS, POST"),
    ("/api/v1/errors", "GET, OPTIONS"),
])
def test_options_answers_every_method_of_the_path(tmp_path: Path, path: str,
                                                  allowed: str) -> None:
    from streams.portal.auth import FacilityRegister
    from tests.unit.portal.test_portal_authz import REGISTER, every_router

    creds = tmp_path / "creds.json"
    add_credential(creds, "x", "facility", "79001")
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog()),
                        results=FakeResults(),
                        credentials=Credentials.load(creds, FacilityRegister(REGISTER)),
                        routers=every_router())
    client = TestClient(app)
    r = client.options(path)
    assert r.status_code == 204 and r.headers["allow"] == allowed, (r.status_code, r.headers)
    wrong = client.delete(path)
    assert wrong.status_code == 405 and wrong.headers["allow"] == allowed
    assert wrong.json()["error"] == "method_not_allowed"


# --- 200 MB through a real server ---------------------------------------------------------------

@pytest.fixture(scope="module")
def served(hostile: Hostile) -> Iterator[int]:
    from streams.ops.procs import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(hostile.app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(10)


def _send_until_answered(port: int, key: str, head: bytes, chunks: Iterator[bytes]
                         ) -> tuple[bytes, int]:
    """Send ``head`` then ``chunks`` until the server answers or drops the connection;
    returns (the answer's bytes, how many body bytes were sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.replace(b"{key}", key.encode()))
        sock.setblocking(False)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):  # nothing answered yet
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.setblocking(True)
                sock.sendall(chunk)
                sent += len(chunk)
                sock.setblocking(False)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        sock.settimeout(30)
        try:
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except (ConnectionResetError, TimeoutError):
            pass
    return answer, sent


def test_a_declared_200_mb_body_is_refused_before_it_is_read(served: int,
                                                             hostile: Hostile) -> None:
    head = (b"POST /api/v1/claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (200 * MB))
    answer, sent = _send_until_answered(served, hostile.key, head,
                                        iter([b"[" + b" " * (MB - 1)] * 200))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"limit":16777216' in answer and b'"field":"body"' in answer
    assert sent < 20 * MB, sent


def test_a_chunked_200_mb_body_is_refused_after_the_limit(served: int, hostile: Hostile) -> None:
    head = (b"POST /api/v1/claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (MB, b" " * MB)
    answer, sent = _send_until_answered(served, hostile.key, head, iter([chunk] * 200))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"error":"too_large"' in answer
    assert sent < 40 * MB, sent
