"""The rules this deployment runs: the worker and replay's ``current`` load them the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streams.settings import Settings

if TYPE_CHECKING:
    from rules.engine import Engine


def current_engine(settings: Settings) -> Engine:
    """The rules the worker runs: ``settings.rules_params``, else rules/params.yaml."""
    from rules.engine import Engine

    if settings.rules_params is None:
        return Engine.load()
    return Engine.load(params_path=settings.rules_params)
