"""Fuzzing the portal: never a 5xx, and every 4xx says ``error`` and ``detail``.

- schemathesis generates requests from the served OpenAPI document (valid and schema-violating
  data), 200 per operation, with keys of every role (facility, district, province, central),
  unknown keys and no key, and runs every check it has (status codes, content types and
  response bodies as documented, positive/negative data, missing headers, unsupported
  methods and Allow, ignored auth ...): 0 failures. ``HIREVIEW_FUZZ_PER_KEY=1`` runs 200 per
  operation and key (docs/testing.md gives the figures);
- hypothesis mutates GIAMDINHHS envelopes (field values, removed tags, byte edits, all table
  encodings, BOM, namespaces, 4210 names) and JSON-form claims for ``POST /api/v1/claims``.

The app has the routers ``build_portal`` includes (not the notices: they need chdb), on fakes
(``every_router`` of test_portal_authz.py and the routers' own tests); the fake publisher
Avro-encodes each record as the real one does, so a normalised record the schema cannot hold
is a 5xx here too.
Each test is bounded by its example count (the whole file runs in about a minute). The
mutation tests run a fixed hypothesis seed, printed; ``HIREVIEW_FUZZ_SEED`` picks another.
"""

from __future__ import annotations

import json
import os
import random
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from streams.codec import Codec, load_subjects
from streams.portal.api.explanations import explanations_router
from streams.portal.api.health import health_router
from streams.portal.api.precheck import Precheck, precheck_router
from streams.portal.api.reports import reports_router
from streams.portal.auth import Credentials, FacilityRegister, add_credential
from streams.portal.intake import claim_to_json, parse_envelope
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.registry import FileRegistry
from streams.settings import ROOT, Settings
from tests.unit.portal.portal_fixtures import ClaimSpec, claim, envelope, to_4210
from tests.unit.portal.test_portal_authz import REGISTER, every_router
from tests.unit.portal.test_portal_explanations import Store as ExplanationStore
from tests.unit.portal.test_portal_precheck import ENGINE
from tests.unit.portal.test_portal_precheck import FakeHistory as PrecheckHistory
from tests.unit.portal.test_portal_reports import FakeStore as FakeReportStore


def fuzz(examples: int) -> settings:
    """Bounded by example count; no example database written into the tree."""
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


ROLES = {"facility": ("facility", "79001"), "province": ("province", "79"),
         "central": ("central", "*"), "elsewhere": ("facility", "01001"),
         "district": ("district", "79-760")}


@dataclass
class EncodingPublish:
    """hi.claims stand-in: encodes like KafkaPublisher (an encode error raises), keeps nothing."""

    encode: Callable[[dict[str, Any]], bytes]
    count: int = 0

    def __call__(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.encode(record)
        self.count += len(records)


@dataclass
class Results:
    """Claim 2 of the fixtures counts as decided once received (changed content: the 409
    path); the others are never decided (changed content: a new version)."""

    decisions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def decided(self, facility: str, claim_id: str) -> bool:
        return claim_id.endswith("BN000002_01")

    def latest_decision(self, facility: str, claim_id: str) -> dict[str, Any] | None:
        return self.decisions.get((facility, claim_id))


@dataclass
class Fuzzed:
    app: FastAPI
    client: TestClient
    auths: list[dict[str, str]]  # valid keys of each role, then wrong ones and none


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Fuzzed:
    tmp = tmp_path_factory.mktemp("fuzz")
    creds = tmp / "creds.json"
    keys = [add_credential(creds, who, role, scope) for who, (role, scope) in ROLES.items()]
    codec = Codec(FileRegistry(tmp / "registry.json"), ROOT / "avro" / "schemas",
                  load_subjects(ROOT / "avro" / "topics.yaml"))
    receipts = ReceiptStore(lambda _items: None, [])
    results = Results({("79001", "X1"): {"facility": "79001", "ma_lk": "X1",
                                                   "outcome": "ACCEPT", "hits": []}})
    # The routers build_portal includes, on the fakes of their own tests: the authorisation
    # matrix's, then the pre-check, health, explanations and reports (notices need chdb).
    (tmp / "signers.yaml").write_text("preparer: {key: k.pem, cert: c.pem}\n")
    check = Precheck(ENGINE, CatalogSnapshot(), CardRegistry(), PrecheckHistory(), receipts,
                     results, 2 * 1024 * 1024)
    more = [precheck_router(check),
            health_router(lambda: (True, "1 broker(s) answered"),
                          lambda: {"loaded": True, "following": True}),
            explanations_router(ExplanationStore(), lambda review: None),  # type: ignore[arg-type]
            reports_router(FakeReportStore(), tmp / "signers.yaml", tmp)]
    app = create_portal(Settings(portal_max_body_mb=2), publish=EncodingPublish(
        codec.encoder("claim")), receipts=receipts, results=results,
        credentials=Credentials.load(creds, FacilityRegister(REGISTER)),
        routers=every_router() + more)
    auths = [{"Authorization": f"Bearer {key}"} for key in keys]
    auths += [{"Authorization": "Bearer hrv_0000000000000000_" + "A" * 43},
              {"Authorization": "Basic Zm9vOmJhcg=="}, {"Authorization": "Bearer"}, {}]
    return Fuzzed(app, TestClient(app), auths)



def check_answer(status: int, body: bytes, what: str) -> None:
    assert status < 500, f"{status} for {what}: {body[:500]!r}"
    if 400 <= status < 500:
        answer = json.loads(body)
        assert isinstance(answer, dict) and answer.get("detail"), \
            f"{status} without detail for {what}: {body[:500]!r}"
        assert answer.get("error"), f"{status} without error for {what}: {body[:500]!r}"
    elif status == 200 and body.startswith(b'{"claims"'):
        for result in json.loads(body)["claims"]:
            if "accepted" in result:  # a submission's answer (the pre-check's has none)
                assert result["accepted"] == (result["receipt"] is not None), result


# --- the OpenAPI document ----------------------------------------------------------------------

# Schema-valid data the portal refuses on content the schema cannot say (an XML string that is
# no envelope, a month that is not YYYYMM, catalog rows): 400/413/415/422 count as answers.
# Schema-violating data refused by a bound (413) is refused too.
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": [
        "2xx", "400", "401", "403", "404", "409", "413", "415", "422"]},
    "negative_data_rejection": {"expected-statuses": [
        "400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]}}})
# Examples per operation: 200, each with a key drawn from every role's, wrong ones and none.
# HIREVIEW_FUZZ_PER_KEY=1 runs 200 per operation *and* key (about 5 minutes: docs/testing).
EXAMPLES = 200
PER_KEY = os.environ.get("HIREVIEW_FUZZ_PER_KEY") == "1"


def all_checks() -> list[Any]:
    load_all_checks()
    return list(CHECKS.get_all())


def test_openapi_operations_pass_every_check(fuzzed: Fuzzed) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app, config=CONFIG)
    checks = all_checks()
    operations = [result.ok()  # type: ignore[union-attr]
                  for result in schema.get_all_operations()]
    key_sets = [[auth] for auth in fuzzed.auths] if PER_KEY else [fuzzed.auths]
    seen: Counter[str] = Counter()
    for operation in operations:
        cases = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                          operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        for keys in key_sets:

            @fuzz(EXAMPLES)
            @given(case=cases, auth=st.sampled_from(keys))
            def run(case: Any, auth: dict[str, str]) -> None:
                response = case.call_and_validate(headers=auth, checks=checks)
                seen[f"{case.method} {case.path}"] += 1
                check_answer(response.status_code, response.content,
                             f"{case.method} {case.formatted_path} {auth}")

            run()
    documented = {f"{method.upper()} {path}"
                  for path, item in schema.raw_schema["paths"].items() for method in item}
    assert documented <= set(seen), f"operations never fuzzed: {documented - set(seen)}"
    # An operation with no parameters (GET /api/v1/errors) has few distinct requests:
    # hypothesis stops when it has tried them all.
    print("examples per operation:", dict(sorted(seen.items())))


def test_openapi_declares_every_status_with_the_error_body(fuzzed: Fuzzed) -> None:
    document = fuzzed.app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    declared = {int(status) for item in document["paths"].values() for op in item.values()
                for status in op["responses"] if status != "200"}
    assert declared == {400, 401, 403, 404, 409, 413, 415, 422, 503}, declared
    for item in document["paths"].values():
        for op in item.values():
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")) and "content" in answer:
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorBody"}, (op, status)


# --- claim bodies --------------------------------------------------------------------------------

# Any text, and texts close to what the fields hold (numbers, times, codes) with dirt in them.
_near = st.text(alphabet=string.digits + ".,;- +eE:/T", max_size=16)
_values = st.one_of(_near, st.text(max_size=30), st.sampled_from(
    ["", "0", "-1", "1e309", "nan", "99999999999999999999", "202513320000", "20250229",
     "Nhóm 4", "1.234.567,89", "\u00a0", "<x/>", "&amp;", "]]>"]))
_TABLES = ("XML1", "XML2", "XML3", "XML4", "XML5")


@st.composite
def mutated_specs(draw: st.DrawFn) -> list[ClaimSpec]:
    specs = [claim(n, drugs=draw(st.integers(0, 3)), services=draw(st.integers(0, 4)),
                   inpatient=draw(st.booleans())) for n in range(1, draw(st.integers(1, 3)) + 1)]
    if draw(st.integers(0, 4)) == 0:
        specs = [to_4210(s) for s in specs]
    for _ in range(draw(st.integers(1, 6))):
        spec = draw(st.sampled_from(specs))
        rows = spec.rows(draw(st.sampled_from(_TABLES)))
        if not rows:
            continue
        row = draw(st.sampled_from(rows))
        tag = draw(st.sampled_from(sorted(row)))
        action = draw(st.sampled_from(["set", "set", "drop", "new"]))
        if action == "drop":
            del row[tag]
        elif action == "new":
            row[draw(st.sampled_from(["X_TAG", "GHI_CHU", "MA_THE", "T_TONGCHI"]))] = \
                draw(_values)
        else:
            row[tag] = draw(_values)
    if draw(st.booleans()):
        specs[0].omit.add(draw(st.sampled_from(_TABLES)))
    return specs


def _xml_text(text: str) -> str:
    """Drop what XML 1.0 cannot carry at all, so most mutations stay readable XML."""
    return "".join(ch for ch in text if ch in "\t\n\r" or " " <= ch <= "\ud7ff"
                   or "\ue000" <= ch <= "\ufffd")


@st.composite
def envelopes(draw: st.DrawFn) -> bytes:
    specs = draw(mutated_specs())
    for spec in specs:
        for table in _TABLES:
            for row in spec.rows(table):
                for tag in row:
                    row[tag] = _xml_text(row[tag])
    data = envelope(specs, mode=draw(st.sampled_from(["base64", "plain", "text"])),
                    bom=draw(st.booleans()), ns=draw(st.sampled_from([None, "urn:x"])),
                    count=draw(st.sampled_from([None, "0", "x"])))
    if draw(st.integers(0, 3)) == 0:  # byte-level damage anywhere
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 40))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at + cut:]
    return data


# The seed of the mutation tests: fixed, so a failure reproduces; HIREVIEW_FUZZ_SEED=<n> (or
# "random") explores others. The seed in use is printed (pytest -s, or in a failure's output).
FUZZ_SEED = os.environ.get("HIREVIEW_FUZZ_SEED", "20261203")


def post_fuzzed(fuzzed: Fuzzed, bodies: st.SearchStrategy[bytes], ctypes: list[str],
                examples: int) -> Counter[str]:
    """Post ``examples`` drawn bodies with drawn keys; check each answer; count the outcomes
    (``accepted``/``blocked`` claims, HTTP statuses) so a test can show what it reached."""
    seen: Counter[str] = Counter()
    chosen = random.randrange(2**32) if FUZZ_SEED == "random" else int(FUZZ_SEED)
    print(f"hypothesis seed {chosen} (HIREVIEW_FUZZ_SEED={chosen} to run it again)")

    @seed(chosen)
    @fuzz(examples)
    @given(body=bodies, auth=st.sampled_from(fuzzed.auths), ctype=st.sampled_from(ctypes))
    def run(body: bytes, auth: dict[str, str], ctype: str) -> None:
        r = fuzzed.client.post("/api/v1/claims", content=body,
                               headers={**auth, "Content-Type": ctype})
        check_answer(r.status_code, r.content, f"{ctype} {auth} {body[:300]!r}")
        seen[str(r.status_code)] += 1
        if r.status_code == 200:
            seen.update("accepted" if c["accepted"] else "blocked" for c in r.json()["claims"])

    try:
        run()
    except BaseException:
        print(f"failed with hypothesis seed {chosen}; seen so far: {dict(seen)}")
        raise
    return seen


def test_mutated_envelopes_never_answer_5xx(fuzzed: Fuzzed) -> None:
    seen = post_fuzzed(fuzzed, envelopes(), ["application/xml", "text/xml; charset=utf-8"], 250)
    # The fuzz reached every path: accepted and blocked claims, and refused requests.
    assert seen["accepted"] and seen["blocked"] and seen["400"] and seen["403"], seen


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def json_claims(draw: st.DrawFn) -> bytes:
    record = parse_envelope(envelope([claim(draw(st.integers(1, 50)))]),
                            max_bytes=10**6).claims[0].record
    assert record is not None
    obj: Any = claim_to_json(record)
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.sampled_from(["top", "header", "drugs", "services"]))
        target = obj if where == "top" else obj[where]
        if isinstance(target, list) and target:
            target = draw(st.sampled_from(target))
        if not isinstance(target, dict):  # an earlier mutation replaced it already
            continue
        name = draw(st.sampled_from(sorted(target) + ["extra", "version"]))
        target[name] = draw(st.one_of(_json, _values))
    shape = draw(st.sampled_from(["one", "list", "junk"]))
    if shape == "list":
        obj = [obj, obj]
    elif shape == "junk":
        obj = draw(_json)
    return json.dumps(obj).encode()


def test_mutated_json_claims_never_answer_5xx(fuzzed: Fuzzed) -> None:
    seen = post_fuzzed(fuzzed, json_claims(), ["application/json"], 150)
    assert seen["accepted"] and seen["blocked"] and seen["401"], seen


@pytest.mark.parametrize("method, url", [("GET", "/api/v1/claims"),  # month missing: 422
                                         ("GET", "/api/v1/claims/79001/a%2Fb"),
                                         ("GET", "/api/v1/nothing"), ("DELETE", "/api/v1/errors")])
def test_framework_answers_are_in_the_error_shape(fuzzed: Fuzzed, method: str, url: str) -> None:
    r = fuzzed.client.request(method, url, headers=fuzzed.auths[2])
    assert 400 <= r.status_code < 500 and r.json().get("error") and r.json().get("detail"), \
        r.text


@given(seed=st.integers(0, 10**6), inline=st.booleans())
@fuzz(15)
def test_written_envelopes_parse_back_to_the_simulated_claims(seed: int, inline: bool) -> None:
    """streams.sim.envelopes (the bench's and e2e test's writer) is parse_envelope's inverse."""
    from streams.sim.envelopes import heavy_inpatient, write_envelope
    from streams.sim.generate import generate

    sim = [c.claim for c in generate(40, seed=seed, violations=0.5).claims]
    facility = sim[0]["facility"]
    records = [r for r in sim if r["facility"] == facility and r["version"] == 1]
    inpatient = [r for r in sim if r["header"]["ma_loai_kcb"] == "03"]
    assert inpatient, "no inpatient claim to grow"
    records.append({**heavy_inpatient(inpatient[0], 300), "facility": facility,
                    "claim_id": "HEAVY_1"})
    parsed = parse_envelope(write_envelope(records, inline=inline), max_bytes=10**8)
    assert parsed.facility == facility and not parsed.findings
    for record, got in zip(records, parsed.claims, strict=True):
        assert got.findings == [] and got.record is not None
        stamped = ("version", "submitted_at", "sent_at", "content_hash", "source_standard")
        assert {k: v for k, v in got.record.items() if k not in stamped} == {
            k: v for k, v in record.items() if k not in stamped}
    heavy = parsed.claims[-1].record
    assert heavy is not None and len(heavy["drugs"]) + len(heavy["services"]) >= 300
    lines = heavy["drugs"] + heavy["services"]
    assert abs(heavy["header"]["t_bhtt"] - sum(x["t_bhtt"] for x in lines)) < 0.01
