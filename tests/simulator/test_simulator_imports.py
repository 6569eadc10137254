"""simulator/ is pure Python: no web framework, no asyncio, no wall clock."""
import ast
import pathlib

import pytest

SIMULATOR = pathlib.Path(__file__).resolve().parents[2] / "simulator"
FORBIDDEN = ("django", "channels", "daphne", "asyncio")


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(SIMULATOR.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(SIMULATOR)))
def test_module_imports_no_web_or_async_framework(path):
    assert not (_imports(path) & set(FORBIDDEN))


def test_engine_modules_never_read_the_wall_clock_or_global_random():
    for path in SIMULATOR.rglob("*.py"):
        if path.name == "bench.py":   # the benchmark measures wall time on purpose
            continue
        text = path.read_text()
        assert "time.time(" not in text and "datetime.now(" not in text, path.name
        assert "random.random(" not in text and "random.choice(" not in text, path.name
