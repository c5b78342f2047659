"""The rule reference, rendered from the rules themselves (metadata, docstrings, params, cases).

Presentation lives here, not in the rules: a rule only carries its metadata and docstring. The
example messages are not written here either: the rule's fail cases are run through the engine
and the hits they produce are shown (English and Vietnamese message, threshold).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rules.base import Hit, LineRule, Params, Rule
from rules.cases import Case, all_cases, cases_for
from rules.engine import Engine


def rule_doc(rule: Rule) -> str:
    """The docstring of the rule's module (its explanation: why, anti-pattern, best practice)."""
    module = sys.modules.get(type(rule).__module__)
    return (module.__doc__ or "").strip() if module else ""


def render_markdown(engine: Engine) -> str:
    """The whole catalogue as one Markdown document."""
    out = [
        "# Rule catalogue",
        "",
        f"Rules version `{engine.version}`. Generated from `rules/` by `hireview rules doc`; "
        "do not edit by hand.",
        "",
        "| Code | Name | Severity | Scope | Title |",
        "|---|---|---|---|---|",
    ]
    for rule in engine.rules:
        m = rule.meta
        out.append(
            f"| [{m.code}](#{m.code.lower()}) | `{m.name}` | {m.severity.value} | "
            f"{_scope(rule)} | {m.title} |"
        )
    cases = all_cases()
    for rule in engine.rules:
        code = rule.meta.code
        mine = [c for c in cases if c.code == code]
        fails = [c for c in mine if c.expect == "fail"][:1]  # the first fail case is the example
        out += ["", _section(rule, engine.params.get(code, ()), mine),
                "", _examples(engine, fails)]
    out += ["", _summary_check()]
    return "\n".join(out) + "\n"


def _summary_check() -> str:
    """SB02 runs when a monthly summary arrives, not in the engine (rules/summary.py)."""
    import yaml

    from rules import summary

    m = summary.META
    cases = yaml.safe_load(Path(summary.__file__).with_name("summary_cases.yml").read_text())
    lines = [f"## {m.code}", "", f"**{m.title}** — `{m.name}`, {m.family}, {m.severity.value}; "
             f"checked by `POST /api/v1/summaries` against ClickHouse, not per claim.", "",
             f"Legal basis: {m.legal_basis}. In force from {m.effective_from}.", "",
             "\n".join(line.strip() for line in
                       (summary.__doc__ or "").split("\n\n", 1)[1].strip().splitlines()), "",
             "Cases (`rules/summary_cases.yml`):", ""]
    for case in cases["cases"]:
        off = ", ".join(case["expect"]) or "matches"
        lines.append(f"- `{case['name']}`: {off}")
    found = summary.compare(cases["cases"][3]["reported"], cases["cases"][3]["sums"])
    lines += ["", "Example finding:", "", f"- EN: {found[0].message}",
              f"- VI: {found[0].message_vi}"]
    return "\n".join(lines)


def describe(code: str, engine: Engine | None = None) -> str:
    """One rule's reference section (``hireview rules show CODE``), with the messages of every
    fail case; LookupError if the code is unknown."""
    engine = engine or Engine.load()
    rule = engine.rule(code.upper())
    cases = cases_for(rule.meta.code)
    fails = [c for c in cases if c.expect == "fail"]
    return "\n\n".join((_section(rule, engine.params.get(rule.meta.code, ()), cases),
                        _examples(engine, fails)))


def example_hits(engine: Engine, case: Case) -> list[Hit]:
    """The hits of the case's own rule when ``case`` is run through ``engine``."""
    return [hit for hit in engine.evaluate(case.context()) if hit.code == case.code]


def _scope(rule: Rule) -> str:
    return "lines: " + ", ".join(rule.scope) if isinstance(rule, LineRule) else "claim"


def _section(rule: Rule, versions: tuple[Params, ...], cases: list[Case]) -> str:
    m = rule.meta
    until = m.effective_to.isoformat() if m.effective_to else "open"
    lines = [
        f"## {m.code}",
        "",
        f"**{m.title}** (`{m.name}`)",
        "",
        f"- Family: {m.family}",
        f"- Severity: {m.severity.value}",
        f"- Scope: {_scope(rule)}",
        f"- Legal basis: {m.legal_basis}",
        f"- In force: {m.effective_from.isoformat()} to {until}",
        "",
        _markdown(rule_doc(rule)),
        "",
        "### Parameters",
        "",
        "| Version | From | To | Values |",
        "|---|---|---|---|",
    ]
    for p in versions:
        to = p.effective_to.isoformat() if p.effective_to else "open"
        values = ", ".join(
            f"`{k}` = {json.dumps(v, ensure_ascii=False)}" for k, v in p.values.items()
        )
        lines.append(f"| {p.version} | {p.effective_from.isoformat()} | {to} | {values or '—'} |")
    lines += ["", "### Cases", "", "| Case | Expect | Amount | Change from the base claim |",
              "|---|---|---|---|"]
    for case in cases:
        amount = "" if case.expect_amount is None else f"{case.expect_amount:,.2f}"
        change = _compact(case)
        lines.append(f"| {case.name} | {case.expect} | {amount} | {change} |")
    return "\n".join(lines)


def _examples(engine: Engine, cases: list[Case]) -> str:
    """The messages (English beside Vietnamese) and threshold of each hit of ``cases``."""
    lines = ["### Example messages" if len(cases) > 1 else "### Example message"]
    for case in cases:
        hits = example_hits(engine, case)
        lines += ["", f"Case `{case.name}`:" if hits else f"Case `{case.name}`: no hit."]
        for hit in hits:
            where = hit.table if hit.line is None else f"{hit.table} line {hit.line}"
            lines += ["", f"- {where}, amount {hit.amount:,.2f} VND, threshold: "
                          f"{hit.threshold or '—'}",
                      f"- EN: {hit.message}", f"- VI: {hit.message_vi}"]
    return "\n".join(lines)


def _markdown(doc: str) -> str:
    """Docstring → Markdown: section headings in bold, indented bodies unindented (an indented
    block would render as code)."""
    out = []
    for line in doc.splitlines():
        text = line.strip()
        out.append(f"**{text}**" if text.endswith(":") and text[:-1] in _SECTIONS else text)
    return "\n".join(out)


_SECTIONS = ("Why", "Anti-pattern", "Best practice")


def _compact(case: Case) -> str:
    parts = []
    if case.note:
        parts.append(case.note)
    for key, value in (case.given or {}).items():
        parts.append(f"{key} `{_json(value)}`")
    return "; ".join(parts).replace("|", "\\|") or "(base claim)"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
