"""Synthetic world, catalogs and claims for ``hireview simulate``
(public API: streams.sim.generate).

Everything here is made up: names, numbers and codes are random and only shaped like the real
ones (docs/claim-standard.md). No real personal data.
"""
