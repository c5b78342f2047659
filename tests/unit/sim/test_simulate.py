"""The claim simulator: deterministic, schema-valid, consistent, with honest labels."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.validation import validate

from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.sim.generate import (
    CODES,
    Simulation,
    content_hash,
    expected_hits,
    generate,
    iter_claims,
    reference,
)
from streams.sim.violations import PARTNERS

SCHEMAS = Path(__file__).resolve().parents[3] / "avro" / "schemas"
SUPPLY_GROUPS = {10, 11}
PRICED = ("DRUG", "SERVICE", "SUPPLY")


def schema(name: str) -> Any:
    with (SCHEMAS / f"{name}.avsc").open() as f:
        return parse_schema(json.load(f))


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return generate(2000, seed=20, violations=0.4)


@pytest.fixture(scope="module")
def clean_sim() -> Simulation:
    return generate(3000, seed=21, violations=0.0)


def rows(claim: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, line) for every line, kinds as in docs/contracts.md."""
    out = [("DRUG", d) for d in claim["drugs"]]
    for s in claim["services"]:
        out.append(("SUPPLY" if s["ma_nhom"] in SUPPLY_GROUPS else "SERVICE", s))
    return out


def code_and_price(kind: str, line: dict[str, Any]) -> tuple[str, float]:
    if kind == "DRUG":
        return line["ma_thuoc"], line["don_gia"]
    return (line["ma_vat_tu"] if kind == "SUPPLY" else line["ma_dich_vu"]), line["don_gia_bh"]


def snapshot(sim: Simulation) -> CatalogSnapshot:
    cat = CatalogSnapshot()
    for entry in sim.catalog_entries:
        cat.put(entry)
    return cat


def registry(sim: Simulation) -> CardRegistry:
    cards = CardRegistry()
    for card in sim.cards:
        cards.put(card)
    return cards


def fingerprint(sim: Simulation) -> list[tuple[Any, ...]]:
    return [(c.claim["facility"], c.claim["claim_id"], c.claim["version"],
             c.claim["content_hash"], c.claim["submitted_at"], c.labels) for c in sim.claims]


# --- determinism ------------------------------------------------------------------------------
def test_same_seed_gives_the_same_simulation() -> None:
    a, b = generate(300, seed=5, violations=0.3), generate(300, seed=5, violations=0.3)
    assert [c.claim for c in a.claims] == [c.claim for c in b.claims]
    assert fingerprint(a) == fingerprint(b)
    assert a.catalog_entries == b.catalog_entries and a.cards == b.cards


def test_another_seed_gives_another_simulation() -> None:
    a, b = generate(300, seed=5, violations=0.3), generate(300, seed=6, violations=0.3)
    assert {c.claim["content_hash"] for c in a.claims}.isdisjoint(
        {c.claim["content_hash"] for c in b.claims})
    assert a.cards != b.cards


def test_iter_claims_streams_what_generate_returns() -> None:
    sim = generate(400, seed=8, violations=0.5)
    streamed = list(iter_claims(400, seed=8, violations=0.5, ref=reference(400, seed=8)))
    assert [c.claim for c in streamed] == [c.claim for c in sim.claims]
    assert [c.labels for c in streamed] == [c.labels for c in sim.claims]


def test_start_moves_the_window() -> None:
    start = datetime(2025, 3, 1, 12, 0)
    sim = generate(200, seed=3, violations=0.2, start=start)
    paid = [c.claim["header"]["ngay_ttoan"] for c in sim.claims]
    assert min(paid) >= start - timedelta(days=30)
    assert max(c.claim["header"]["ngay_ra"] for c in sim.claims) < start + timedelta(days=4)
    aware = generate(200, seed=3, violations=0.2, start=datetime(2025, 3, 1, 5, 0, tzinfo=UTC))
    assert fingerprint(aware) == fingerprint(sim)  # 05:00 UTC is 12:00 in Vietnam


@pytest.mark.parametrize(("n", "violations", "field"), [
    (-1, 0.1, "n"), (10, 1.5, "violations"), (10, -0.1, "violations"), (2.5, 0.1, "n"),
])
def test_bad_arguments_name_the_field(n: Any, violations: float, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        generate(n, seed=1, violations=violations)


# --- shape ------------------------------------------------------------------------------------
def test_every_record_is_valid_avro(sim: Simulation) -> None:
    claim_s, entry_s, card_s = schema("claim"), schema("catalog_entry"), schema("card")
    for c in sim.claims:
        assert validate(c.claim, claim_s, raise_errors=True)
    for entry in sim.catalog_entries:
        assert validate(entry, entry_s, raise_errors=True)
    for card in sim.cards:
        assert validate(card, card_s, raise_errors=True)


def test_every_schema_field_is_present_with_python_types(sim: Simulation) -> None:
    claim_s = json.loads((SCHEMAS / "claim.avsc").read_text())
    fields = {f["name"]: f for f in claim_s["fields"]}
    sub = {f["name"]: f["type"] for f in claim_s["fields"] if isinstance(f["type"], dict)}
    header_fields = {f["name"] for f in sub["header"]["fields"]}
    drug_fields = {f["name"] for f in sub["drugs"]["items"]["fields"]}
    service_fields = {f["name"] for f in sub["services"]["items"]["fields"]}
    for c in sim.claims:
        claim = c.claim
        assert set(claim) == set(fields)
        assert set(claim["header"]) == header_fields
        assert all(set(d) == drug_fields for d in claim["drugs"])
        assert all(set(s) == service_fields for s in claim["services"])
        assert claim["submitted_at"].tzinfo is not None
        assert claim["header"]["ngay_vao"].tzinfo is None
        assert all(isinstance(line[k], float) for _, line in rows(claim)
                   for k in ("so_luong", "thanh_tien_bv", "t_bhtt", "muc_huong"))


def test_avro_round_trip_keeps_claims_and_their_hash(sim: Simulation) -> None:
    claim_s = schema("claim")
    for c in sim.claims[:300]:
        buf = BytesIO()
        schemaless_writer(buf, claim_s, c.claim)
        buf.seek(0)
        back = schemaless_reader(buf, claim_s, claim_s)
        assert isinstance(back, dict) and back == c.claim
        assert content_hash(back) == c.claim["content_hash"]


def test_identities_keys_and_codes(sim: Simulation) -> None:
    ids = [(c.claim["facility"], c.claim["claim_id"], c.claim["version"]) for c in sim.claims]
    assert len(set(ids)) == len(ids)
    facilities = {f.code for f in sim.world.facilities}
    for c in sim.claims:
        claim, h = c.claim, c.claim["header"]
        assert claim["facility"] in facilities and len(claim["facility"]) == 5
        assert claim["claim_id"].startswith(claim["facility"] + "_")
        assert claim["source_standard"] == "SIMULATED"
        assert claim["person_key"] == h["ma_the_bhyt"][-10:] and len(h["ma_the_bhyt"]) == 15
        assert len(h["so_cccd"]) == 12 and h["so_cccd"].isdigit()
        assert claim["content_hash"] == content_hash(claim)
        assert claim["version"] == (2 if "XC01" in c.labels else 1)


def test_cards_and_groups(sim: Simulation) -> None:
    levels = {"TE": 1, "CC": 1, "CB": 2, "HN": 2, "HT": 3, "CN": 3, "DN": 4, "GD": 4, "HS": 4,
              "HC": 4, "SV": 4, "QN": 5, "CA": 5}
    keys = set()
    for card in sim.cards:
        assert card["card_no"] == (f"{card['group_code']}{card['benefit_level']}"
                                   f"{card['province']}{card['person_key']}")
        assert levels[card["group_code"]] == card["benefit_level"]
        assert card["valid_from"] < card["valid_to"]
        keys.add(card["person_key"])
    current = [c for c in sim.cards if c["replaced_by"] is None]
    assert len(keys) == len(current)  # one current card per person
    numbers = {c["card_no"] for c in current}
    replaced = [c for c in sim.cards if c["replaced_by"] is not None]
    assert replaced  # CB08 needs them
    for card in replaced:  # a group change: same person and level, the new card in force
        assert card["replaced_by"] in numbers and card["card_no"] not in numbers
        assert card["replaced_by"][2:] == card["card_no"][2:]


def test_mix_of_visit_types_and_line_counts(clean_sim: Simulation) -> None:
    kinds = Counter(c.claim["header"]["ma_loai_kcb"] for c in clean_sim.claims)
    assert set(kinds) == {"01", "03"}
    assert 0.05 <= kinds["03"] / len(clean_sim.claims) <= 0.10
    for c in clean_sim.claims:
        n = len(c.claim["drugs"]) + len(c.claim["services"])
        if c.claim["header"]["ma_loai_kcb"] == "01":
            assert 3 <= n <= 8 and 1 <= len(c.claim["drugs"]) <= 4
            assert sum(s["ma_nhom"] == 13 for s in c.claim["services"]) == 1
        else:
            assert 10 <= n <= 40 and c.claim["drugs"]
            assert any(s["ma_nhom"] == 15 for s in c.claim["services"])
    routes = Counter(c.claim["header"]["ma_doituong_kcb"] for c in clean_sim.claims)
    assert {"1.1", "1.2", "1.3", "2", "3.3"} <= set(routes)


# --- consistency of clean claims --------------------------------------------------------------
def test_clean_claims_keep_the_money_identities(clean_sim: Simulation) -> None:
    """Recomputed here from quantities and prices, independently of the generator."""
    for c in clean_sim.claims:
        h = c.claim["header"]
        sums: defaultdict[str, float] = defaultdict(float)
        for kind, line in rows(c.claim):
            q = line["so_luong"]
            if kind == "DRUG":
                bv = q * line["don_gia"]
                bh = q * line["don_gia"] * line["tyle_tt_bh"] / 100
            else:
                bv = q * line["don_gia_bv"] * line["tyle_tt_dv"] / 100
                bh = q * line["don_gia_bh"] * line["tyle_tt_bh"] / 100
            bhtt = bh * line["muc_huong"] / 100
            for name, want in (("thanh_tien_bv", bv), ("thanh_tien_bh", bh), ("t_bhtt", bhtt),
                               ("t_bncct", bh - bhtt), ("t_bntt", bv - bh)):
                assert abs(line[name] - want) <= 1, (c.claim["claim_id"], name)
            sums["t_thuoc"] += line["thanh_tien_bv"] if kind == "DRUG" else 0
            sums["t_vtyt"] += line["thanh_tien_bv"] if kind == "SUPPLY" else 0
            sums["t_tongchi_bv"] += line["thanh_tien_bv"]
            sums["t_tongchi_bh"] += line["thanh_tien_bh"]
            for name in ("t_bhtt", "t_bncct", "t_bntt", "t_nguonkhac"):
                sums[name] += line[name]
        for name, total in sums.items():
            assert abs(h[name] - total) <= 1, (c.claim["claim_id"], name)
        assert abs(h["t_tongchi_bv"] - h["t_bntt"] - h["t_bncct"] - h["t_bhtt"]
                   - h["t_nguonkhac"]) <= 1
        assert h["t_bhtt"] > 0


def test_clean_lines_are_in_the_catalog_at_or_below_the_approved_price(
    clean_sim: Simulation,
) -> None:
    cat = snapshot(clean_sim)
    below = facility_priced = 0
    for c in clean_sim.claims:
        for kind, line in rows(c.claim):
            code, price = code_and_price(kind, line)
            entry = cat.find(kind, c.claim["facility"], code, line["ngay_yl"].date())
            assert entry is not None, (c.claim["claim_id"], kind, code)
            assert price <= entry["price"]
            below += price < entry["price"]
            facility_priced += entry["facility"] != ""
    assert below and facility_priced  # both branches are exercised


def test_catalog_has_expired_and_facility_entries(sim: Simulation) -> None:
    start = min(c.claim["header"]["ngay_vao"] for c in sim.claims).date()
    expired = [e for e in sim.catalog_entries if e["valid_to"] and e["valid_to"] < start]
    assert expired
    national = {(e["kind"], e["code"]): e["price"] for e in sim.catalog_entries
                if e["facility"] == "" and e["valid_to"] is None}
    local = [e for e in sim.catalog_entries if e["facility"] and e["kind"] in PRICED]
    assert local and all(e["price"] <= national[(e["kind"], e["code"])] for e in local)
    drugs = [e for e in sim.catalog_entries if e["kind"] == "DRUG" and e["facility"] == ""
             and e["valid_to"] is None]
    assert 60 <= len(drugs) <= 120


def test_clean_claims_have_valid_cards_and_ordered_times(clean_sim: Simulation) -> None:
    cards = registry(clean_sim)
    for c in clean_sim.claims:
        h = c.claim["header"]
        visit_day = h["ngay_vao"].date()
        assert h["gt_the_tu"] <= visit_day <= h["gt_the_den"]
        card = cards.find(h["ma_the_bhyt"])
        assert card is not None and card["valid_from"] <= visit_day <= card["valid_to"]
        assert h["ngay_vao"] <= h["ngay_ra"] <= h["ngay_ttoan"]
        for _, line in rows(c.claim):
            assert h["ngay_vao"] <= line["ngay_yl"] <= h["ngay_ra"]
            for later in ("ngay_th_yl", "ngay_kq"):
                if line.get(later) is not None:
                    assert line["ngay_yl"] <= line[later] <= h["ngay_ra"]


def test_staff_and_equipment_lists_cover_the_clean_claims(clean_sim: Simulation) -> None:
    cat = snapshot(clean_sim)
    listed = checked = 0
    for c in clean_sim.claims:
        fac = c.claim["facility"]
        if not cat.has("STAFF", fac):
            assert not cat.has("EQUIPMENT", fac)
            continue
        listed += 1
        for _, line in rows(c.claim):
            day = line["ngay_yl"].date()
            names = [line["ma_bac_si"], *filter(None, [line.get("nguoi_thuc_hien")])]
            assert all(cat.find("STAFF", fac, name, day) for name in names), line
            if line.get("ma_may"):
                checked += 1
                assert cat.find("EQUIPMENT", fac, line["ma_may"], day), line
    assert listed and checked and listed < len(clean_sim.claims)


def test_visits_of_one_person_overlap_only_when_labelled_xc02(sim: Simulation) -> None:
    latest: dict[tuple[str, str], Any] = {}
    for c in sim.claims:
        latest[(c.claim["facility"], c.claim["claim_id"])] = c
    by_person = defaultdict(list)
    for c in latest.values():
        h = c.claim["header"]
        by_person[c.claim["person_key"]].append(
            (min(h["ngay_vao"], h["ngay_ra"]), max(h["ngay_vao"], h["ngay_ra"]), c))
    pairs = 0
    for visits in by_person.values():
        for i, (s1, e1, a) in enumerate(visits):
            for s2, e2, b in visits[i + 1:]:
                if s1 < e2 and s2 < e1:
                    pairs += 1
                    assert a.labels == b.labels == {"XC02"}
                    assert a.claim["facility"] != b.claim["facility"]
                    assert a.claim["header"]["ma_loai_kcb"] == "03"
                    assert b.claim["header"]["ma_loai_kcb"] == "03"
    assert pairs == sum("XC02" in c.labels for c in sim.claims) // 2 > 0


# --- labels -----------------------------------------------------------------------------------
def test_labels_spread_evenly_over_all_codes(sim: Simulation) -> None:
    assert all(len(c.labels) <= 1 for c in sim.claims)
    counts = Counter(code for c in sim.claims for code in c.labels)
    assert set(counts) == set(CODES)
    assert all(abs(k - 800 / len(CODES)) <= 2 for k in counts.values()), counts
    assert sum(counts.values()) == 800  # 40 % of 2000
    assert expected_hits(sim) == {
        (c.claim["facility"], c.claim["claim_id"], c.claim["version"]): c.labels
        for c in sim.claims}


def test_claims_come_in_submission_order_within_the_deadline(sim: Simulation) -> None:
    sent = [c.claim["submitted_at"] for c in sim.claims]
    assert sent == sorted(sent)
    for c in sim.claims:
        paid = c.claim["header"]["ngay_ttoan"].replace(tzinfo=UTC) - timedelta(hours=7)
        delay = c.claim["submitted_at"] - paid
        if "SB01" in c.labels:
            assert timedelta(hours=25) < delay <= timedelta(hours=72)
        else:
            assert timedelta(0) < delay < timedelta(hours=24)


def test_each_injection_looks_as_labelled(sim: Simulation) -> None:
    cat, cards = snapshot(sim), registry(sim)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for c in sim.claims:
        claim, h = c.claim, c.claim["header"]
        code = next(iter(c.labels), None)
        if code == "CB01":
            assert h["gt_the_den"] < h["ngay_vao"].date()
            card = cards.find(h["ma_the_bhyt"])
            assert card is not None and card["valid_to"] >= h["ngay_vao"].date()
        elif code == "TM01":
            assert h["ngay_ra"] < h["ngay_vao"]
            assert all(line["ngay_yl"] >= h["ngay_vao"] for _, line in rows(claim))
        elif code in ("CT01", "CT02"):
            missing = dear = 0
            for kind, line in rows(claim):
                item, price = code_and_price(kind, line)
                entry = cat.find(kind, claim["facility"], item, line["ngay_yl"].date())
                missing += entry is None
                dear += entry is not None and price > entry["price"]
            assert (missing, dear) == ((1, 0) if code == "CT01" else (0, 1))
        elif code == "MN01":
            line_bv = sum(line["thanh_tien_bv"] for _, line in rows(claim))
            line_bh = sum(line["thanh_tien_bh"] for _, line in rows(claim))
            line_bhtt = sum(line["t_bhtt"] for _, line in rows(claim))
            assert max(abs(h["t_tongchi_bv"] - line_bv), abs(h["t_tongchi_bh"] - line_bh),
                       abs(h["t_bhtt"] - line_bhtt)) >= 5
        elif code == "XC01":
            first = seen[(claim["facility"], claim["claim_id"])]
            assert first["version"] == 1 and claim["version"] == 2
            assert first["content_hash"] != claim["content_hash"]
            assert first["person_key"] == claim["person_key"]
            assert first["submitted_at"] < claim["submitted_at"]
        seen[(claim["facility"], claim["claim_id"])] = claim


def test_xc02_partners_are_sent_after_the_stay_they_overlap(sim: Simulation) -> None:
    flagged = defaultdict(list)
    for i, c in enumerate(sim.claims):
        if "XC02" in c.labels:
            flagged[c.claim["person_key"]].append((i, c.claim))
    assert flagged
    for claims in flagged.values():
        for i, a in claims:
            ha = a["header"]
            partners = [(j, b) for j, b in claims if j != i
                        and b["header"]["ngay_vao"] < ha["ngay_ra"]
                        and ha["ngay_vao"] < b["header"]["ngay_ra"]]
            assert len(partners) == 1
            j, b = partners[0]
            assert (i < j) == (ha["ngay_ra"] < b["header"]["ngay_ra"])


def test_content_hash_follows_content_only(sim: Simulation) -> None:
    claim = sim.claims[0].claim
    same = {**claim, "version": 7, "submitted_at": datetime(2030, 1, 1, tzinfo=UTC)}
    assert content_hash(same) == content_hash(claim)
    changed = {**claim, "drugs": [{**claim["drugs"][0], "so_luong": 99.0},
                                  *claim["drugs"][1:]]}
    assert content_hash(changed) != content_hash(claim)


def test_tiny_and_saturated_simulations() -> None:
    assert generate(0, seed=1, violations=0.5).claims == []
    few = generate(3, seed=3, violations=0.0)
    assert len(few.claims) == 3 and all(not c.labels for c in few.claims)
    full = generate(900, seed=4, violations=1.0)
    assert len(full.claims) == 900
    labelled = sum(bool(c.labels) for c in full.claims)
    # At most K/(K+P) of the claims (K codes): every XC01 needs a clean original, XC04/XC05/
    # CB09 clean partner visits (P partner claims per round of codes).
    most = len(CODES) * 900 // (len(CODES) + sum(PARTNERS.values()))
    assert most - 2 <= labelled <= most


def test_two_simulations_never_share_a_claim_identity() -> None:
    """Two runs into one database (two demos) must not overwrite each other's claims."""
    from streams.sim.generate import run_tag

    a = {c.claim["claim_id"] for c in generate(200, seed=1, violations=0.2).claims}
    b = {c.claim["claim_id"] for c in generate(200, seed=2, violations=0.2).claims}
    assert a and b and not a & b
    assert run_tag(1) != run_tag(2) and len(run_tag(10**12)) == 4
