"""The rule engine and the rule catalogue.

``engine`` (load once, evaluate per claim), ``decision`` (hits → Decision record), ``base`` (the
shared vocabulary), ``registry`` (the explicit list of rules), ``catalogue/`` (one module + one
YAML case file per rule), ``params.yaml`` (versioned rule parameters), ``cases`` (case loader),
``docs`` (reference document) and ``bench`` (timing).
"""
