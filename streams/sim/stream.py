"""Which claims are made, when, with which violation, and the order they are sent in.

Jobs are planned up front (tiny records), sorted by settlement time NGAY_TTOAN and turned into
claims one by one. Every claim is sent after its own settlement, so a heap ordered by
``submitted_at`` can release everything due before the current job's settlement: the claims
come out in send order while only a few hours' worth (a few days' for XC02 partners) is held.
Claims that need a partner (XC01 second version, XC02 overlapping stay) are made together with
it, so no lookback over earlier claims is needed.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.claim import content_hash
from streams.sim import cross
from streams.sim.catalog import Catalog
from streams.sim.claims import Draft, build_claim, choose_visit
from streams.sim.violations import (
    CODES,
    INPATIENT_ONLY,
    OUTPATIENT_ONLY,
    PAIRED,
    PARTNERS,
    SINGLE,
    inject,
    resubmission,
    shift,
)
from streams.sim.visiting import two_places
from streams.sim.world import Person, World

UTC_OFFSET = timedelta(hours=7)  # Vietnam, no daylight saving
WINDOW_DAYS = 30
INPATIENT_SHARE = 0.07
_PAD = timedelta(hours=1)  # gap kept between one person's visits (TM01 moves NGAY_RA back less)
_ATTEMPTS = 1000  # some injections fit few visits (CL02: one night under 24 h)


@dataclass(frozen=True)
class SimClaim:
    """A claim version as sent, and the rule codes that must fire for it (ground truth)."""

    claim: dict[str, Any]
    labels: frozenset[str]


@dataclass(frozen=True)
class Job:
    paid: datetime  # NGAY_TTOAN of the (first) claim, local time
    inpatient: bool
    code: str | None  # injected violation; XC01 and XC02 jobs make two claims


def to_utc(local: datetime) -> datetime:
    return (local - UTC_OFFSET).replace(tzinfo=UTC)


def plan_jobs(rng: random.Random, n: int, violations: float, window_start: datetime) -> list[Job]:
    """``n`` claims; ``violations`` of them labelled, the labels spread evenly over the codes.

    An XC01 job is a clean claim plus its labelled second version; an XC02 job is two labelled
    claims; XC04, XC05 and CB09 jobs add clean partner visits (``PARTNERS``). At most
    K/(K+P) of the claims can be labelled (K codes, P partner claims per round of codes).
    """
    k = len(CODES)
    labelled = min(round(n * violations), k * n // (k + sum(PARTNERS.values())))
    counts = dict.fromkeys(CODES, labelled // k)
    for code in rng.sample(CODES, labelled % k):
        counts[code] += 1
    for code in PAIRED:  # their labels come in pairs
        if counts[code] % 2:
            counts[code] -= 1
            counts["CB01"] += 1
    while labelled + _partners(counts) > n:
        costly = max((c for c in PARTNERS if counts[c]), key=lambda c: PARTNERS[c])
        counts[costly] -= 1
        labelled -= 1
    codes: list[str | None] = []
    for code in CODES:
        codes += [code] * (counts[code] // 2 if code in PAIRED else counts[code])
    codes += [None] * (n - labelled - _partners(counts))
    # Overlap pairs and some injections are inpatient: draw the other inpatients so the overall
    # share stays ~7 % where it can.
    forced = counts["XC02"] + sum(counts[c] for c in INPATIENT_ONLY)
    free = n - forced - sum(counts[c] for c in OUTPATIENT_ONLY)
    share = max(0.0, (INPATIENT_SHARE * n - forced) / max(1, free))
    jobs = []
    for what in codes:
        inpatient = what == "XC02" or what in INPATIENT_ONLY or (
            what not in OUTPATIENT_ONLY and rng.random() < share)
        start, end = (8 * 60, 16 * 60) if inpatient else (8 * 60 + 30, 17 * 60 + 30)
        # Jobs whose later claims come days after the first start early enough to fit.
        days = WINDOW_DAYS - cross.LEAD_DAYS.get(what or "", 0)
        paid = window_start + timedelta(days=rng.randrange(days),
                                        minutes=rng.randint(start, end))
        jobs.append(Job(paid, inpatient, what))
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i].paid, i))
    return [jobs[i] for i in order]


def _partners(counts: dict[str, int]) -> int:
    return sum(counts[code] * extra for code, extra in PARTNERS.items())


class Scheduler:
    """Turns jobs into claims, keeping each person's visits apart and numbering claims."""

    def __init__(self, rng: random.Random, world: World, catalog: Catalog, run: str = "") -> None:
        self.rng = rng
        self.tag = run  # in every MA_LK: claims of different simulations never share one
        self.world = world
        self.catalog = catalog
        self._busy: dict[str, list[tuple[datetime, datetime]]] = {}
        self._numbers: dict[str, int] = {}
        # CB08 needs a person whose registry holds a replaced card: draw only among those.
        self._replaced = [p for p in world.persons if p.old_card is not None] or world.persons
        self._log = cross.VisitLog()  # keeps clean visits clear of XC04/XC05
        self._retired: set[str] = set()  # CB09 persons: their year's co-payment is spent

    def run(self, jobs: list[Job]) -> Iterator[SimClaim]:
        heap: list[tuple[datetime, int, SimClaim]] = []
        seq = 0
        for job in jobs:
            frontier = to_utc(job.paid)  # nothing still to come is sent before this
            while heap and heap[0][0] <= frontier:
                yield heapq.heappop(heap)[2]
            for sim in self._claims(job):
                seq += 1
                heapq.heappush(heap, (sim.claim["submitted_at"], seq, sim))
        while heap:
            yield heapq.heappop(heap)[2]

    def _claims(self, job: Job) -> list[SimClaim]:
        rng, world = self.rng, self.world
        for _ in range(_ATTEMPTS):
            person = rng.choice(self._replaced if job.code == "CB08" else world.persons)
            if person.person_key in self._retired:
                continue
            first = build_claim(rng, self.catalog, choose_visit(rng, world, person, job.inpatient),
                                job.paid)
            drafts = [first]
            other: tuple[Person, Draft] | None = None  # XC03: another person's visit, booked
            # Injected before the person's calendar is checked: CL06 moves NGAY_VAO.
            if job.code in SINGLE and not inject(job.code, rng, first, self.catalog):
                continue
            if job.code == "XC02":
                second = self._overlapping(first)
                if second is None:
                    continue
                drafts.append(second)
            elif job.code == "XC03":
                other = two_places(rng, world, self.catalog, first)
                if other is None or not self._book(*other):
                    continue
                drafts.append(other[1])
            elif job.code in cross.LABELLED_LAST:
                more = self._cross(job.code, first)
                if not more:
                    continue
                drafts += more
            mine = drafts[:1] if job.code == "XC03" else drafts  # XC03: the other is booked
            span = (min(d.header["ngay_vao"] for d in mine) - _PAD,
                    max(d.header["ngay_ttoan"] for d in mine) + _PAD)
            taken = self._busy.setdefault(person.person_key, [])
            if any(s < span[1] and span[0] < e for s, e in taken):
                if other is not None:
                    self._unbook(*other)
                continue
            if job.code == "CB09" and any(e > span[0] for _, e in taken):
                continue  # a visit after the stays would count their co-payments too
            seen = [cross.seen_of(d, job.code == "XC05" and d is drafts[-1]) for d in mine]
            if not self._log.fits(person.person_key, seen, pair_ok=job.code == "XC04"):
                if other is not None:
                    self._unbook(*other)
                continue
            taken.append(span)
            self._log.add(person.person_key, seen)
            if job.code == "CB09":
                self._retired.add(person.person_key)
            return self._finish(job, drafts)
        raise RuntimeError(f"no free person found for a claim settled at {job.paid} "
                           f"(violation {job.code}, inpatient {job.inpatient})")

    def _book(self, person: Person, draft: Draft) -> bool:
        """Reserve ``draft``'s time in ``person``'s calendar and visit log, if both allow it."""
        span = (draft.header["ngay_vao"] - _PAD, draft.header["ngay_ttoan"] + _PAD)
        taken = self._busy.setdefault(person.person_key, [])
        seen = [cross.seen_of(draft)]
        if person.person_key in self._retired or any(
                s < span[1] and span[0] < e for s, e in taken) or not self._log.fits(
                person.person_key, seen):
            return False
        taken.append(span)
        self._log.add(person.person_key, seen)
        return True

    def _unbook(self, person: Person, draft: Draft) -> None:
        span = (draft.header["ngay_vao"] - _PAD, draft.header["ngay_ttoan"] + _PAD)
        self._busy[person.person_key].remove(span)
        self._log.remove(person.person_key, cross.seen_of(draft))

    def _overlapping(self, first: Draft) -> Draft | None:
        """An inpatient stay elsewhere that starts during ``first`` and ends after it."""
        a = first.header
        visit = choose_visit(self.rng, self.world, first.visit.person, True,
                             exclude=first.claim["facility"])
        if visit.facility.code == first.claim["facility"]:
            return None
        second = build_claim(self.rng, self.catalog, visit, a["ngay_ttoan"])
        b = second.header
        length = b["ngay_ra"] - b["ngay_vao"]
        lo, hi = timedelta(hours=2), min(length - timedelta(hours=2), timedelta(days=3))
        if hi <= lo:
            return None
        after = lo + timedelta(minutes=self.rng.randint(0, int((hi - lo).total_seconds() // 60)))
        shift(second, a["ngay_ra"] + after - b["ngay_ra"])
        return second

    def _cross(self, code: str, first: Draft) -> list[Draft]:
        """The other visits of an XC04/XC05/CB09 job, the labelled one last; [] when the
        person or draft cannot carry the violation."""
        rng, world, catalog = self.rng, self.world, self.catalog
        if code == "XC04":
            visit = choose_visit(rng, world, first.visit.person, False,
                                 exclude=first.claim["facility"])
            second = cross.same_day_elsewhere(rng, catalog, first, visit)
            return [second] if second is not None else []
        if code == "XC05":
            return cross.frequent_visits(rng, world, catalog, first)
        prior = self._log.copay(first.visit.person.person_key, first.header["ngay_vao"].year)
        later = cross.over_ceiling(rng, world, catalog, first, prior)
        return [later] if later is not None else []

    def _name(self, draft: Draft) -> None:
        fac = draft.claim["facility"]
        self._numbers[fac] = self._numbers.get(fac, 0) + 1
        draft.name(self._numbers[fac], self.tag)

    def _finish(self, job: Job, drafts: list[Draft]) -> list[SimClaim]:
        rng, first, code = self.rng, drafts[0], job.code
        self._name(first)
        paid = to_utc(first.header["ngay_ttoan"])
        sent = paid + timedelta(seconds=rng.randint(120, 6 * 3600))
        out: list[tuple[Draft, frozenset[str], datetime]]
        if code is None:
            out = [(first, frozenset(), sent)]
        elif code == "SB01":
            late = paid + timedelta(seconds=rng.randint(26 * 3600, 72 * 3600))
            out = [(first, frozenset({code}), late)]
        elif code in SINGLE:  # injected in _claims
            out = [(first, frozenset({code}), sent)]
        elif code == "XC01":
            second = resubmission(rng, first)
            room = int((paid + timedelta(hours=22) - sent).total_seconds())
            again = sent + timedelta(seconds=rng.randint(20 * 60, max(20 * 60, room)))
            out = [(first, frozenset(), sent), (second, frozenset({code}), again)]
        elif code in cross.LABELLED_LAST:
            out = [(first, frozenset(), sent)]
            for i, draft in enumerate(drafts[1:], start=2):
                self._name(draft)
                own = to_utc(draft.header["ngay_ttoan"]) + timedelta(
                    seconds=rng.randint(120, 6 * 3600))
                at = max(own, out[-1][2] + timedelta(seconds=rng.randint(60, 1800)))
                out.append((draft, frozenset({code}) if i == len(drafts) else frozenset(), at))
        else:  # XC02, XC03: the later claim is sent after the earlier one
            second = drafts[1]
            self._name(second)
            own = to_utc(second.header["ngay_ttoan"]) + timedelta(
                seconds=rng.randint(120, 6 * 3600))
            later = max(own, sent + timedelta(seconds=rng.randint(60, 1800)))
            out = [(first, frozenset({code}), sent), (second, frozenset({code}), later)]
        result = []
        for draft, labels, at in out:
            draft.claim["submitted_at"] = at
            draft.claim["content_hash"] = content_hash(draft.claim)
            result.append(SimClaim(draft.claim, labels))
        return result
