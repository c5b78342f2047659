"""Re-appraise a stream of stored claims, person by person (pure: no ClickHouse, no Kafka).

Input: stored claim versions ordered by person, then arrival (``submitted_at``) — the order the
worker saw them in, so a replay with unchanged rules reproduces the real decisions, those of
rules that read earlier versions included. Each person's history is rebuilt as the stream goes:

- a *seed* claim (before the replayed range, within the history window) is not re-appraised: it
  enters the history with its real decision, as it was in the worker's state;
- a replayed claim is appraised with ``streams.worker.processor.appraise`` against that history, and
  its replayed decision enters the history for the person's later claims. When a later claim
  amends an earlier one's decision (a partner rule's hit), the earlier claim's result is the
  amended one.

Results of a person are released when the next person starts (amendments can only come from
the same person), as ``replay_decisions`` rows plus the running :class:`Impact`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rules.base import RuleInputError
from rules.decision import decide
from streams.codec import InvalidMessage
from streams.replay.impact import Impact, Real
from streams.sink import payload_json as replay_json
from streams.worker import history as hist
from streams.worker.processor import Enrichment, appraise

Record = dict[str, Any]
Row = dict[str, Any]
Identity = tuple[str, str, int]

REPLAY_COLUMNS = (
    "run_id", "facility", "claim_id", "version", "person_key", "service_date", "outcome",
    "requested", "approved", "rejected", "rules_version", "hit_code", "hit_severity",
    "hit_rule_version", "hit_table", "hit_line", "hit_amount", "real_revision", "real_outcome",
    "real_approved", "real_rules_version", "real_hit_codes", "changed", "replayed_at",
)


@dataclass(frozen=True)
class Stored:
    """One stored claim version: its Avro event bytes or (when usable,
    streams.sink.payload_json) its JSON form instead, whether it is replayed or only history,
    and its real current decision (None when none is stored)."""

    payload: bytes
    replay: bool
    real: Real | None
    json: bytes = b""


def seed_decision(claim: Record, real: Real | None) -> Record:
    """The history entry's decision for a seed claim, from what ``decisions`` keeps of it.

    Hits and adjustments are not kept there (only the codes): no rule reads them from history.
    """
    decision = decide(claim, [], real.rules_version if real else "", claim["submitted_at"],
                      real.revision if real else 1)
    if real is not None:
        decision["outcome"] = real.outcome
        decision["approved"] = real.approved
        decision["rejected"] = round(decision["requested"] - real.approved, 2)
    return decision


def replay_row(run_id: str, decision: Record, real: Real | None, changed: bool,
               now: datetime) -> Row:
    hits = decision["hits"]
    return {
        "run_id": run_id,
        "facility": decision["facility"],
        "claim_id": decision["claim_id"],
        "version": decision["version"],
        "person_key": decision["person_key"],
        "service_date": decision["service_date"],
        "outcome": decision["outcome"],
        "requested": decision["requested"],
        "approved": decision["approved"],
        "rejected": decision["rejected"],
        "rules_version": decision["rules_version"],
        "hit_code": [h["code"] for h in hits],
        "hit_severity": [h["severity"] for h in hits],
        "hit_rule_version": [h["rule_version"] for h in hits],
        "hit_table": [h["table"] for h in hits],
        "hit_line": [-1 if h["line"] is None else h["line"] for h in hits],
        "hit_amount": [h["amount"] for h in hits],
        "real_revision": real.revision if real else 0,
        "real_outcome": real.outcome if real else "",
        "real_approved": real.approved if real else 0.0,
        "real_rules_version": real.rules_version if real else "",
        "real_hit_codes": list(real.hit_codes) if real else [],
        "changed": int(changed),
        "replayed_at": now,
    }


class Replayer:
    """Feeds stored claims (ordered by person, then arrival) through the rules."""

    def __init__(self, decode: Callable[[bytes], Record], ref: Enrichment, run_id: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 layout: replay_json.Layout | None = None) -> None:
        """``decode``: Avro bytes → claim; ``layout``: that of the JSON forms in the stream."""
        self._decode, self._ref, self.run_id, self._clock = decode, ref, run_id, clock
        self._layout = layout
        self.impact = Impact()
        self.replayed = 0  # claims re-appraised so far (progress)
        self.from_json = 0  # stored claims read from their JSON form (the rest: Avro)
        self._person: str | None = None
        self._visits: list[hist.Visit] = []
        self._pending: dict[Identity, tuple[Record, Real | None]] = {}
        # The person's claims so far: later ones are judged again when an earlier one comes,
        # as the worker does with its claim table.
        self._claims: dict[Identity, Record] = {}

    def feed(self, stored: Stored) -> list[Row]:
        """Take the next stored claim; returns the rows of persons now finished."""
        try:
            claim = self._claim(stored)
        except InvalidMessage:
            self.impact.errors += stored.replay
            return []
        out = self._release() if claim["person_key"] != self._person else []
        self._person = claim["person_key"]
        self._claims[hist.identity(claim)] = claim
        if not stored.replay:
            inpatient = self._ref.engine.inpatient_types(claim["header"]["ngay_vao"].date())
            visit = hist.visit_of(claim, seed_decision(claim, stored.real), inpatient)
            self._visits = hist.record(self._visits, visit, self._ref.keep_days,
                                       self._ref.min_visits)
            return out
        try:
            result = appraise(claim, self._visits, self._ref, now=self._clock,
                              load_claim=self._claims.get)
        except RuleInputError:
            self.impact.errors += 1
            return out
        self.replayed += 1
        if result.replayed:  # the same version stored twice: already counted
            return out
        self._visits = result.visits
        for amended in result.amendments:
            key = hist.identity(amended)
            if key in self._pending:
                self._pending[key] = (amended, self._pending[key][1])
        self._pending[hist.identity(claim)] = (result.decision, stored.real)
        return out

    def _claim(self, stored: Stored) -> Record:
        """The decoded claim: from its JSON form when it came with one (fast), else the Avro."""
        if not stored.json:
            return self._decode(stored.payload)
        if self._layout is None:
            raise InvalidMessage("claim JSON form: no layout to read it with")
        try:
            claim = replay_json.loads(stored.json, self._layout)
        except ValueError as exc:  # forms are checked when written: a damaged row
            raise InvalidMessage(str(exc)) from None
        self.from_json += 1
        return claim

    def finish(self) -> list[Row]:
        """Rows of the last person."""
        return self._release()

    def _release(self) -> list[Row]:
        now = self._clock()
        rows = [replay_row(self.run_id, decision, real, self.impact.add(decision, real), now)
                for decision, real in self._pending.values()]
        self._pending.clear()
        self._visits = []
        self._claims.clear()
        return rows


def replay_all(replayer: Replayer, stream: Iterable[Stored], batch: int
               ) -> Iterator[list[Row]]:
    """Feed ``stream``; yields lists of about ``batch`` rows (the last one may be shorter)."""
    rows: list[Row] = []
    for stored in stream:
        rows.extend(replayer.feed(stored))
        if len(rows) >= batch:
            yield rows
            rows = []
    rows.extend(replayer.finish())
    if rows:
        yield rows
