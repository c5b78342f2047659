"""How ``rules/`` is layered: no import cycle, no rule importing another rule or the engine,
nothing imported from ``streams``, and no module but the registry naming a rule module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from rules.registry import all_rules

ROOT = Path(__file__).parents[3]
# What a rule module may import from rules/: the vocabulary, and its family's helpers.
RULE_MAY_IMPORT = {"rules.base", "rules.context", "rules.cross_claim",
                   "rules.tender"}  # the parser the catalog loader shares
# The generic path: the engine and the worker's stages, which must name no rule.
GENERIC = ("rules/engine.py", "rules/cross_claim.py", "streams/worker/processor.py",
           "streams/worker/practice.py", "streams/worker/history.py")


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _modules(top: str) -> dict[str, Path]:
    return {_name(p): p for p in (ROOT / top).rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``path`` imports, at the top or inside functions."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}  # from pkg import module
    return out & known if known else out


def test_no_module_of_rules_imports_streams() -> None:
    for name, path in _modules("rules").items():
        bad = {m for m in _imports(path, set()) if m == "streams" or m.startswith("streams.")}
        assert not bad, f"{name} imports {sorted(bad)} (rules must not depend on streams)"


def test_rules_import_only_the_vocabulary_and_their_helpers() -> None:
    rules = _modules("rules")
    for name, path in rules.items():
        if not re.fullmatch(r"rules\.catalogue\.[a-z]{2}\d{2}_\w+", name):
            continue
        inside = _imports(path, set(rules)) - {"rules", "rules.catalogue"}
        bad = {m for m in inside - RULE_MAY_IMPORT if not m.startswith("rules.catalogue._")}
        assert not bad, f"{name} imports {sorted(bad)}"
        assert "TYPE_CHECKING" not in path.read_text(encoding="utf-8"), name


def test_rules_has_no_import_cycle() -> None:
    rules = _modules("rules")
    graph = {name: _imports(path, set(rules)) - {"rules", name} for name, path in rules.items()}
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            raise AssertionError(f"import cycle: {' -> '.join([*stack[stack.index(name):], name])}")
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert "rules.engine" in done and "rules.catalogue.xc02_overlapping_stays" in done


def test_only_the_registry_names_rule_modules() -> None:
    known = set(_modules("rules"))
    rule_modules = {m for m in known if re.fullmatch(r"rules\.catalogue\.[a-z]{2}\d{2}_\w+", m)}
    assert len(rule_modules) == len(all_rules())
    for top in ("rules", "streams"):
        for name, path in _modules(top).items():
            if name == "rules.registry" or name in rule_modules:
                continue
            bad = _imports(path, rule_modules)
            assert not bad, f"{name} imports rule modules {sorted(bad)}"


def test_the_generic_path_names_no_rule() -> None:
    codes = {r.meta.code for r in all_rules()}
    for rel in GENERIC:
        text = (ROOT / rel).read_text(encoding="utf-8")
        named = codes & set(re.findall(r"\b[A-Z]{2}\d{2}\b", text))
        assert not named, f"{rel} names rules {sorted(named)}"
