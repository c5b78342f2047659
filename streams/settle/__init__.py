"""Settlement with facilities: the ledger (``ledger.py``), advances and the versioned advance
policy (``funding.py``), reports rendered from the ledger (``render.py``, ``templates/``), their
two PAdES signatures (``signing.py``) and the report store (``reports.py``). docs/settlement.md."""
