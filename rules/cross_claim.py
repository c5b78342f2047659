"""What a cross-claim rule needs beyond its own claim, declared by the rule itself.

The engine, the worker and the practitioner stage never name a rule: they ask the engine for
the rules with partners, the rule with shifts and the visit types that count as inpatient, and
the rules that declare these capabilities answer. A rule class adds a capability by deriving
from it:

- :class:`PartnerRule`: a hit on this claim also amends the decisions of earlier claims in the
  person's history (the worker adds the rule's partner hit to each of them).
- :class:`ShiftRule`: the rule judges claims of different persons through a practitioner's
  schedule. The worker re-keys the shifts the rule extracts from each claim by practitioner;
  the practitioner stage files them per practitioner and day for ``keep_days`` and asks the
  rule for the overlaps of each new shift with that schedule, one hit for each claim of a pair.
- :class:`InpatientTypes`: the rule judges the ``inpatient`` flag stored with each visit of the
  history, so the worker stores the flag with the visit types this rule's parameters name.
- :class:`PairRule`: the rule judges a pair of claims (two stays that overlap, two visits on one
  day) when the second of the two arrives, whichever that is. When an earlier claim arrives after
  later ones, the worker judges the later ones again for the rules that look back in time (visits
  in a window, a yearly total) but leaves a pair rule's hits alone: the newcomer's own hit (and
  for a partner or shift rule, the hit it adds to the other claim) already reports the pair.
  Partner and shift rules are pair rules.

One rule at most may own a piece of stored state: one schedule per practitioner, one flag per
visit (``Engine.build`` checks). A shift, as the stage stores and reads it: ``{practitioner,
facility, claim_id, version, person_key, service_date, intervals: [(start, end)], ...}`` with
local datetimes; the rule may add fields of its own (docs/contracts.md, ``hi.practice``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rules.base import ClaimRule, Hit, Params, Record

# MA_LOAI_KCB codes of inpatient treatment in the claim standard (docs/contracts.md): the flag
# stored on a date when no rule in force defines the inpatient types.
DEFAULT_INPATIENT_TYPES = frozenset({"03", "04", "09"})


class PairRule(ClaimRule):
    """A claim rule that judges pairs of claims, each pair once, when its second claim arrives."""


class PartnerRule(PairRule):
    """A claim rule whose hit also amends the decisions of earlier claims in the history."""

    def partner_hits(
        self, claim: Record, hit: Hit, history: Sequence[Record], p: Params
    ) -> list[tuple[Record, Hit]]:
        """For ``hit`` (this rule's on ``claim``): each earlier visit of ``history`` to amend,
        with the hit to add to its decision. Deterministic: the worker skips a hit it has
        already added."""
        raise NotImplementedError


class ShiftRule(PairRule):
    """A claim rule that judges overlaps in practitioners' schedules across claims."""

    def shifts(self, claim: Record, p: Params) -> list[Record]:
        """The claim's shifts, one per practitioner (see the module docstring)."""
        raise NotImplementedError

    def overlaps(
        self, shift: Record, schedule: Sequence[Record], p: Params
    ) -> list[tuple[Record, Hit, Hit]]:
        """For each shift of ``schedule`` that ``shift`` overlaps: (that shift, the hit on
        ``shift``'s claim, the hit on that shift's claim)."""
        raise NotImplementedError

    def keep_days(self, p: Params) -> float:
        """How long a practitioner's day stays in the schedule after it was last touched."""
        raise NotImplementedError


class InpatientTypes:
    """Added to a rule that judges the history's ``inpatient`` flag."""

    def inpatient_types(self, p: Params) -> Collection[str]:
        """The MA_LOAI_KCB codes that count as inpatient under parameters ``p``."""
        raise NotImplementedError
