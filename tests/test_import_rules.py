"""The house's import rules, checked by walking every module's imports (top-level and lazy).

* ``import credscore`` is ``model/``; ``credscore.training`` and ``credscore.eval`` beneath it;
  nothing named ``model``, ``training`` or ``eval`` is importable as an installed package.
* The inference core (every ``credscore`` module outside ``training`` and ``eval``) imports
  neither, except the CLI, the composition root, which reaches them lazily inside commands.
* ``credscore.training`` imports nothing from ``credscore.eval``.
* No import cycles among credscore's modules.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"credscore": ROOT / "model", "credscore.training": ROOT / "training", "credscore.eval": ROOT / "eval"}


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    return out


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported credscore module, at module level?) for every import statement in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] in ("credscore", "model", "training", "eval"):
                found.append((name, id(node) in top))
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def test_the_three_folders_install_as_one_namespace():
    import credscore
    import credscore.eval
    import credscore.training

    assert Path(credscore.__file__).parent == ROOT / "model"
    assert Path(credscore.training.__file__).parent == ROOT / "training"
    assert Path(credscore.eval.__file__).parent == ROOT / "eval"
    assert isinstance(credscore.__version__, str) and callable(credscore.load_model)
    for name, path in MODULES.items():
        for imported, _ in _imports(path):
            assert imported.split(".")[0] == "credscore", f"{path}: imports {imported!r} by its folder name"


def test_no_generic_top_level_package_is_installed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # away from the checkout, whose folders Python would find from the cwd
    import sys

    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(ROOT))])
    for name in ("model", "training", "eval"):
        assert importlib.util.find_spec(name) is None, f"a top-level package {name!r} is installed"


def test_core_imports_neither_training_nor_eval():
    for name, path in MODULES.items():
        if name.startswith(("credscore.training", "credscore.eval")):
            continue
        for imported, at_top in _imports(path):
            if imported.startswith(("credscore.training", "credscore.eval")):
                assert name == "credscore.cli" and not at_top, \
                    f"{name} imports {imported} (only the CLI may, lazily inside a command)"


def test_training_imports_nothing_from_eval():
    for name, path in MODULES.items():
        if name.startswith("credscore.training"):
            bad = [i for i, _ in _imports(path) if i.startswith("credscore.eval")]
            assert not bad, f"{name} imports {bad}"


def test_no_import_cycles():
    graph = {name: {r for i, _ in _imports(path) if (r := _resolve(i)) and r != name}
             for name, path in MODULES.items()}
    # A package's __init__ is not imported by its submodules here (credscore/__init__ loads its API lazily).
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
