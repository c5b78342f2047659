"""``GET /api/v1/cards/{number}?on=YYYY-MM-DD``: a card's status on a date and the person's last
visits, as the agency's card check answers at reception (docs/claim-standard.md, "Cards").

``number`` is a 15-character card number (group 2 + benefit digit 1 + province 2 + social-
insurance number 10) or a 12-digit citizen id (CCCD). The card comes from the ``CardRegistry``
(hi.cards); a card number the registry does not know is matched by its social-insurance number,
so a number presented with the wrong group, benefit digit or province is reported as such
instead of "unknown". Status on ``on`` (default: today in Vietnam), worst first:
``not_yet_valid`` / ``expired`` (validity, as CB01 judges the admission date), ``replaced``
(CB08), ``wrong_benefit_level``, ``wrong_province``, ``wrong_group`` (the presented number
against the registered card; CB02 reads the level from the number), else ``valid``.

Visits come from the workers' history (``GET /history/{person_key}`` on a worker, see
``streams/worker/history_page.py``), newest first: facility, MA_LK, admission and discharge,
``kind`` (MA_LOAI_KCB), ``diagnosis`` (MA_BENH_CHINH), ``outcome`` (KET_QUA_DTRI, the
treatment result), ``status`` and ``appraisal`` (the decision's outcome). When no worker
answers, the card is still answered, with ``visits_available: false`` and the reason.

Who may look a card up: a credential that covers the card's registered primary-care facility
(``MA_DKBD``) or a facility where the history shows a visit of the person. That is "patients it
serves": the registered facility serves the person, and a facility that treated them needs the
history; any other facility would be browsing someone else's patients (403, logged). When the
registered facility does not decide it and the history is unavailable, the portal cannot tell
and answers 503 (retry) rather than a wrong 403 or a leak. An unknown card is 404 for every role.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

from fastapi import APIRouter, Request

from streams.internal import HEADER
from streams.portal.access import Access, Refused, Unavailable
from streams.portal.auth import Credential

log = logging.getLogger("hireview.portal")
LAST_VISITS = 6
CARD_NO = re.compile(r"[A-Z]{2}[0-9]{13}")
CITIZEN_ID = re.compile(r"[0-9]{12}")
_VN = timedelta(hours=7)  # Vietnam has no daylight saving time
Card = dict[str, Any]
_VISIT_KEYS = frozenset({"facility", "claim_id", "version"})


class HistoryUnavailable(Exception):
    """No worker answered with the history; the message says why."""


class History(Protocol):
    def visits(self, person_key: str) -> list[dict[str, Any]]:
        """The person's visits as ``history_web`` answers them; raise ``HistoryUnavailable``."""


class Cards(Protocol):
    def find(self, card_no: str) -> Card | None: ...
    def find_by_person(self, person_key: str) -> list[Card]: ...
    def find_by_citizen(self, citizen_id: str) -> list[Card]: ...


class WorkerHistory:
    """Asks a worker's web server; faust routes the request to the partition's owner."""

    def __init__(self, base_url: str, timeout: float, secret: str = "") -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._headers = {HEADER: secret} if secret else {}

    def visits(self, person_key: str) -> list[dict[str, Any]]:
        url = f"{self._base}/history/{quote(person_key, safe='')}"
        try:
            ask = urllib.request.Request(url, headers=self._headers)
            with urllib.request.urlopen(ask, timeout=self._timeout) as answer:
                body = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise HistoryUnavailable(f"worker answered HTTP {exc.code} for {url}") from None
        except (urllib.error.URLError, OSError) as exc:  # refused, timed out, reset
            raise HistoryUnavailable(f"worker at {self._base} did not answer: {exc}") from None
        except ValueError as exc:
            raise HistoryUnavailable(f"worker answer for {url} is not JSON: {exc}") from None
        visits = body.get("visits") if isinstance(body, dict) else None
        if not isinstance(visits, list) or not all(
                isinstance(v, dict) and v.keys() >= _VISIT_KEYS for v in visits):
            raise HistoryUnavailable(f"worker answer for {url} has no list of visits with "
                                     f"{sorted(_VISIT_KEYS)}")
        return visits


def vietnam_today() -> date:
    return (datetime.now(UTC) + _VN).date()


def card_problems(card: Card, presented: str, on: date) -> list[str]:
    """What is wrong with ``card`` (presented as ``presented``) on ``on``, worst first."""
    problems = []
    if on < card["valid_from"]:
        problems.append("not_yet_valid")
    elif on > card["valid_to"]:
        problems.append("expired")
    if card.get("replaced_by"):
        problems.append("replaced")
    if presented[2:3] != str(card["benefit_level"]):
        problems.append("wrong_benefit_level")
    if presented[3:5] != card["province"]:
        problems.append("wrong_province")
    if presented[:2] != card["group_code"]:
        problems.append("wrong_group")
    return problems


def current_card(cards: list[Card]) -> Card:
    """The card in use: not replaced, then the latest validity."""
    return max(cards, key=lambda c: (not c.get("replaced_by"), c["valid_to"], c["valid_from"]))


def resolve(cards: Cards, number: str) -> tuple[Card, str] | None:
    """The registered card for ``number`` and the number as presented."""
    if CITIZEN_ID.fullmatch(number):
        found = cards.find_by_citizen(number)
        if not found:
            return None
        current = current_card(found)
        return current, current["card_no"]
    card = cards.find(number)
    if card is not None:
        return card, number
    same_person = cards.find_by_person(number[5:])
    return (current_card(same_person), number) if same_person else None


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def last_visits(visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest ``LAST_VISITS`` visits, newest first (ISO times sort as text). The history
    keeps every version of a claim; a corrected version is the same visit, so each claim is
    shown once, as its latest version."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for v in visits:
        key = (v["facility"], v["claim_id"])
        if key not in latest or v["version"] > latest[key]["version"]:
            latest[key] = v
    newest = sorted(latest.values(),
                    key=lambda v: (str(v.get("admitted")), str(v.get("claim_id"))),
                    reverse=True)[:LAST_VISITS]
    return [{"facility": v["facility"], "ma_lk": v["claim_id"], "version": v["version"],
             "admitted": v.get("admitted"), "discharged": v.get("discharged"),
             "inpatient": v.get("inpatient"), "kind": v.get("kind"),
             "diagnosis": v.get("diagnosis"), "outcome": v.get("outcome"),
             "status": v.get("status"), "appraisal": (v.get("decision") or {}).get("outcome")}
            for v in newest]


def _card_answer(card: Card, presented: str, on: date, others: list[Card]) -> dict[str, Any]:
    problems = card_problems(card, presented, on)
    return {
        "card_no": card["card_no"], "presented": presented, "on": on.isoformat(),
        "status": problems[0] if problems else "valid", "problems": problems,
        "person_key": card["person_key"], "group_code": card["group_code"],
        "benefit_level": card["benefit_level"], "province": card["province"],
        "registered_facility": card["registered_facility"],
        "valid_from": _iso(card["valid_from"]), "valid_to": _iso(card["valid_to"]),
        "five_year_date": _iso(card.get("five_year_date")),
        "replaced_by": card.get("replaced_by"),
        "cards": [{"card_no": c["card_no"], "valid_from": _iso(c["valid_from"]),
                   "valid_to": _iso(c["valid_to"]), "replaced_by": c.get("replaced_by")}
                  for c in sorted(others, key=lambda c: c["valid_from"])],
    }


def _check_serves(cred: Credential, card_no: str, registered: set[str],
                  visits: list[dict[str, Any]] | None, reason: str | None) -> None:
    if any(cred.covers(f) for f in registered):
        return
    if visits is None:
        raise Unavailable(f"cannot check that {cred.role} {cred.scope} serves the holder of "
                          f"card {card_no}: visit history unavailable ({reason})")
    if any(cred.covers(v["facility"]) for v in visits):
        return
    log.warning("refused: %s (%s %s) may not look up card %s (registered at %s, no visit in "
                "its area)", cred.name, cred.role, cred.scope, card_no, sorted(registered))
    raise Refused(403, "forbidden", f"{cred.role} {cred.scope} may not look up card {card_no}: "
                  "not registered at, nor visited, a facility it covers")


def cards_router(cards: Cards, history: History, *,
                 today: Callable[[], date] = vietnam_today) -> Callable[[Access], APIRouter]:
    """The card lookup router for ``create_portal(routers=...)``."""

    def make(access: Access) -> APIRouter:
        router = APIRouter()

        @router.get("/api/v1/cards/{number}",
                    summary="Card status on a date, benefit level, registered facility and "
                            "the last 6 visits (card number or citizen id)")
        def lookup(number: str, request: Request, on: str | None = None) -> dict[str, Any]:
            cred = access.authenticate(request)
            number = number.strip().upper()
            if not (CARD_NO.fullmatch(number) or CITIZEN_ID.fullmatch(number)):
                raise Refused(400, "bad_card_number", f"number: {number!r} is neither a "
                              "15-character card number nor a 12-digit citizen id")
            try:
                day = date.fromisoformat(on) if on else today()
            except ValueError:
                raise Refused(400, "bad_date", f"on: {on!r} is not a date YYYY-MM-DD") from None
            found = resolve(cards, number)
            if found is None:
                raise Refused(404, "not_found", f"no registered card for {number}")
            card, presented = found
            others = cards.find_by_person(card["person_key"]) or [card]
            try:
                visits: list[dict[str, Any]] | None = history.visits(card["person_key"])
                reason = None
            except HistoryUnavailable as exc:
                visits, reason = None, str(exc)
                log.warning("card lookup without visits: %s", reason)
            registered = {card["registered_facility"], current_card(others)["registered_facility"]}
            _check_serves(cred, card["card_no"], registered, visits, reason)
            answer = _card_answer(card, presented, day, others)
            answer |= {"visits_available": visits is not None, "visits_reason": reason,
                       "visits": last_visits(visits or [])}
            return answer

        return router

    return make
