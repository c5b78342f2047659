"""Roles and what each may do through the portal, written once.

Every role acts only on the facilities its scope covers (``streams/jurisdiction.py``: its own
MA_CSKCB, its district's facilities by the register, its province's, or all); ``ACTIONS`` says
which roles may do each action at all. The routers ask ``may(role, action)`` (and log and
answer 403 when not), and ``hireview portal roles`` prints the table that docs/portal.md
carries (a test keeps the two equal).

The unlock rule: every agency role (district, province, central) may unlock a claim for
replacement in its jurisdiction. District offices appraise their district's facilities, and an
unlock is an appraiser's act; the facility itself may not unlock (it would free its own claims
from appraisal).
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.jurisdiction import ROLES

SCOPES = {"facility": "its own MA_CSKCB (5 characters)",
          "district": "PP-DDD: the facilities the facility register puts in the district",
          "province": "PP: facilities whose MA_CSKCB starts with it",
          "central": "*: every facility"}


@dataclass(frozen=True)
class Action:
    name: str
    endpoints: str
    roles: tuple[str, ...]
    note: str = ""


_ALL = ROLES
_AGENCY = ("district", "province", "central")
ACTIONS: tuple[Action, ...] = (
    Action("submit claims", "POST /api/v1/claims, POST /api/v1/precheck", _ALL,
           "a facility key only for its own MA_CSKCB"),
    Action("read claims and results", "GET /api/v1/claims, GET /api/v1/claims/{facility}/"
           "{ma_lk}, GET /api/v1/cards/{number}", _ALL),
    Action("unlock claims", "POST /api/v1/claims/{facility}/{ma_lk}/unlock", _AGENCY,
           "the current version may then be replaced"),
    Action("upload and read catalogs", "POST, GET /api/v1/catalogs…", _ALL),
    Action("check monthly summaries", "POST /api/v1/summaries", _ALL),
    Action("answer requests for explanation", "POST /api/v1/explanations/{request_id}",
           ("facility",), "agency roles read them: GET /api/v1/explanations"),
    Action("read reports and settlements", "GET /api/v1/reports…, GET /api/v1/settlements",
           _ALL, "a facility sees its report once fully signed"),
    Action("sign reports", "POST /api/v1/reports/{rid}/sign", _AGENCY),
    Action("record advances", "POST /api/v1/advances", _AGENCY),
    Action("set the advance policy", "POST /api/v1/advance-policy", ("central",)),
    Action("read notices", "GET /api/v1/notices…", _ALL),
    Action("acknowledge notices", "POST /api/v1/notices/{notice_id}/acknowledge",
           ("facility",)),
)
BY_NAME = {a.name: a for a in ACTIONS}


def may(role: str, action: str) -> bool:
    """May ``role`` do ``action`` (a name in ``ACTIONS``) at all? Scope is checked apart."""
    return role in BY_NAME[action].roles


def who_may(action: str) -> str:
    """The roles of ``action`` in words, for a refusal's detail."""
    return ", ".join(BY_NAME[action].roles)


def table() -> str:
    """The roles table in Markdown (docs/portal.md, ``hireview portal roles``)."""
    lines = ["| Role | Scope |", "|---|---|"]
    lines += [f"| {role} | {SCOPES[role]} |" for role in ROLES]
    lines += ["", "| Action | Endpoints | " + " | ".join(ROLES) + " | Note |",
              "|---|---|" + "---|" * len(ROLES) + "---|"]
    for a in ACTIONS:
        marks = " | ".join("yes" if role in a.roles else "—" for role in ROLES)
        lines.append(f"| {a.name} | {a.endpoints} | {marks} | {a.note} |")
    return "\n".join(lines) + "\n"
