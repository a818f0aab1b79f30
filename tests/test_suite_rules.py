"""Rules the suite keeps so that it stays parallel and honest (docs/testing.md#parallel):

* no wall-clock assertion: a test asserts what the code did (an injected clock, a deadline the code under
  test measured, bytes or calls counted), never how long the machine took;
* every server a test starts binds port 0 or a port it holds, never a probed free port plus one;
* in CI (CI=true) a missing axe-core fails the run instead of skipping the accessibility checks.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
CLOCKS = {"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time", "time_ns", "process_time"}
PORT_PLUS_ONE = re.compile(r"(port\w*|getsockname\(\)\[1\])\s*\)?\s*\+\s*1\b")


def _is_clock_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in CLOCKS and isinstance(func.value, ast.Name) and func.value.id == "time"
    return isinstance(func, ast.Name) and func.id in CLOCKS - {"time"}


def _reads_clock(node: ast.AST, clock_names: set[str]) -> bool:
    return any(
        _is_clock_call(child) or (isinstance(child, ast.Name) and child.id in clock_names) for child in ast.walk(node)
    )


def wall_clock_assertions(source: str) -> list[int]:
    """Lines of the asserts that read the clock, directly or through a name bound to a clock reading in the
    same function (`started = time.monotonic()` … `assert time.monotonic() - started < 2`)."""
    tree = ast.parse(source)
    found = []
    scopes = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in [tree, *scopes]:
        clock_names: set[str] = set()
        assigns = [node for node in ast.walk(scope) if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)]
        changed = True
        while changed:  # names bound to clock readings, and to values computed from them
            changed = False
            for node in assigns:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
                if node.value is not None and _reads_clock(node.value, clock_names) and not names <= clock_names:
                    clock_names |= names
                    changed = True
        for node in ast.walk(scope):
            if isinstance(node, ast.Assert) and _reads_clock(node.test, clock_names):
                found.append(node.lineno)
    return sorted(set(found))


def test_the_wall_clock_check_finds_what_it_looks_for():
    timed = "def test_x():\n    started = time.monotonic()\n    run()\n    assert time.monotonic() - started < 2\n"
    elapsed = "def test_y():\n    t0 = time.perf_counter()\n    took = time.perf_counter() - t0\n    assert took < 1\n"
    honest = "def test_z(clock):\n    started = clock()\n    assert run(clock) == started + 5\n"
    assert wall_clock_assertions(timed) == [4] and wall_clock_assertions(elapsed) == [4]
    assert wall_clock_assertions(honest) == []
    assert PORT_PLUS_ONE.search("str(port + 1)") and PORT_PLUS_ONE.search("getsockname()[1] + 1")
    assert not PORT_PLUS_ONE.search("ports.append(port)")


def test_no_test_asserts_wall_clock_time_or_uses_a_free_port_plus_one():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        offenders += [f"{name}:{line}: asserts wall-clock time" for line in wall_clock_assertions(source)]
        if path != Path(__file__):
            for number, line in enumerate(source.splitlines(), 1):
                if PORT_PLUS_ONE.search(line):
                    offenders.append(f"{name}:{number}: a port plus one (bind port 0 or hold the port)")
    assert offenders == []


@pytest.mark.parametrize(("ci", "fails"), [("true", True), ("", False)])
def test_ensure_axe_without_npm_fails_only_in_ci(tmp_path, ci, fails):
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "ensure-axe"
    shutil.copy(ROOT / "bin" / "ensure-axe", script)
    tools = tmp_path / "tools"  # a PATH with what the script needs up to its npm check, and no npm or apt-get
    tools.mkdir()
    for tool in ("dirname", "id", "mktemp", "rm"):
        (tools / tool).symlink_to(shutil.which(tool))
    env = {"PATH": str(tools), "CI": ci, "HOME": str(tmp_path)}
    result = subprocess.run(["/bin/sh", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode != 0) == fails, result.stderr
    assert "bin/ensure-axe" in result.stderr and "axe-core" in result.stderr
    assert not (tmp_path / ".cache").exists()


def test_make_test_fails_when_ensure_axe_fails():
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "\tbin/ensure-axe\n" in test_recipe  # no `|| echo …` that would swallow CI's failure
