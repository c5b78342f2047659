"""The rule engine and the rule catalogue.

``context`` (what a rule looks at; the catalog/cards protocols), ``base`` (the shared
vocabulary and the two rule shapes), ``cross_claim`` (what a rule needs beyond its claim),
``engine`` (load once, evaluate per claim), ``decision`` (hits → Decision record), ``reference``
(the catalog and card indexes), ``registry`` (the explicit list of rules, by family),
``catalogue/`` (one module + one YAML case file per rule, and ``_<family>.py`` helpers),
``params.yaml`` (versioned rule parameters), ``cases`` (case loader) and ``docs`` (reference
document).
"""
