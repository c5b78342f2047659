"""One claim judged: the rules on a claim, its reference data and the person's earlier visits,
and the decision they give. Pure (no Kafka, no tables).

Shared by the worker's appraisal (``streams/worker/processor.py``) and the portal's
pre-submission check (``streams/portal/api/precheck.py``), so a pre-check answers exactly what
the worker would decide for the same claim, history and catalogs: the same engine call, the same
``rules.decision.decide``. It sits at the top of ``streams/`` because the portal must not import
worker code (docs/architecture.md, "Import direction").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rules.base import Hit
from rules.context import Cards, Catalog, Context
from rules.decision import decide
from rules.engine import Engine
from streams.claim import identity

Record = dict[str, Any]


def prior(visits: Sequence[Record], claim: Record) -> list[Record]:
    """History as it was before ``claim``: a replayed claim must not see itself."""
    me = identity(claim)
    return [v for v in visits if identity(v) != me]


def judge(claim: Record, visits: Sequence[Record], engine: Engine, catalog: Catalog,
          cards: Cards, decided_at: datetime) -> tuple[list[Hit], Record]:
    """The hits of ``claim`` (a stamped claim.avsc record) given the person's ``visits`` (as
    stored before it; the claim's own version is left out), and the decision record."""
    ctx = Context(claim=claim, catalog=catalog, cards=cards, history=prior(visits, claim))
    hits = engine.evaluate(ctx)
    return hits, decide(claim, hits, engine.version, decided_at)
