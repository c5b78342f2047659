"""A blood row sent in XML3 is stored as kind DRUG, as the rules judge it (P317)."""

from streams.sink.rows import line_kind


def test_blood_in_xml3_is_a_drug_line_in_claim_lines() -> None:
    assert line_kind("XML3", 7) == "DRUG" and line_kind("XML3", 17) == "DRUG"
    assert line_kind("XML3", 10) == "SUPPLY" and line_kind("XML3", 18) == "SERVICE"
    assert line_kind("XML2", 4) == "DRUG"
