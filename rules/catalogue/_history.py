"""Helpers shared by the rules that read the person's visit history (XC.., CB09).

Not a rule: the leading underscore keeps it out of the case files and the registry.
"""

from __future__ import annotations

from collections.abc import Sequence

from rules.base import Record


def latest_visits(claim: Record, history: Sequence[Record]) -> list[Record]:
    """The latest version of every earlier claim in ``history``, other than ``claim`` itself.

    Shared by the cross-claim rules that count visits (XC04, XC05, CB09): a resubmitted claim
    replaces its earlier versions and must not be counted twice.
    """
    me = (claim["facility"], claim["claim_id"])
    latest: dict[tuple[str, str], Record] = {}
    for v in history:
        key = (v["facility"], v["claim_id"])
        if key != me and (key not in latest or latest[key]["version"] < v["version"]):
            latest[key] = v
    return list(latest.values())
