"""The layers hold (README, STYLE point 13): read from the source's own imports, every one, even inside functions.

* ``dispatch/`` reaches the engine through ``routing``'s public names only (``from routing import X`` with X in
  ``routing.__all__``), never a submodule such as ``routing.verify`` or ``routing.solve``;
* ``routing/`` is a pure library: no database, web, dispatch or api, and no benchmark tooling (``bench/``: the
  peer drivers live there); PyVRP as a search library enters the engine through one module only,
  ``routing/pyvrp_search.py`` (docs/benchmarks.md, "Search design");
* ``dispatch/`` never imports FastAPI or ``api``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import routing

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> Iterator[tuple[str, int, str, list[str]]]:
    """(file, line, module, names) for every import in ``package``; names is empty for ``import module``."""
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield rel, node.lineno, alias.name, []
            elif isinstance(node, ast.ImportFrom):
                base = list(path.relative_to(ROOT).with_suffix("").parts)[: -node.level] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                yield rel, node.lineno, module, [a.name for a in node.names]


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_dispatch_uses_routing_through_its_public_names_only():
    public = set(routing.__all__)
    wrong = []
    for rel, line, module, names in _imports("dispatch"):
        if _top(module) != "routing":
            continue
        if module != "routing" or not names:
            wrong.append(f"{rel}:{line}: imports {module} (use `from routing import ...`)")
        wrong += [f"{rel}:{line}: routing has no public name {n!r}" for n in names if n not in public]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("routing", {"sqlalchemy", "geoalchemy2", "fastapi", "starlette", "dispatch", "api", "maps", "bench"}),
        ("dispatch", {"fastapi", "starlette", "api"}),
    ],
)
def test_layers_point_one_way(package, forbidden):
    wrong = [
        f"{rel}:{line}: imports {module}" for rel, line, module, _ in _imports(package) if _top(module) in forbidden
    ]
    assert not wrong, "\n".join(wrong)


PYVRP_SEAM = "routing/pyvrp_search.py"  # the one module of the engine that may import PyVRP (its search, not a driver)


def test_pyvrp_enters_the_engine_through_one_module_only():
    users = {rel for rel, _, module, _ in _imports("routing") if _top(module) == "pyvrp"}
    assert users == {PYVRP_SEAM}


def test_the_scan_sees_what_it_should():
    """The scan is not vacuous: dispatch does import routing, and every public name resolves."""
    assert any(_top(module) == "routing" for _, _, module, _ in _imports("dispatch"))
    assert all(hasattr(routing, name) for name in routing.__all__)
