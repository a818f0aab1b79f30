"""Configuration in one place: booleans parsed strictly, every setting the code reads declared in
config/settings.py with its only default, and every environment variable listed in docs/configuration.md."""

import re
import tomllib
from pathlib import Path

import pytest
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

import config.settings
from config.env import env_bool, env_float, env_int

ROOT = Path(__file__).resolve().parents[2]
TRUE_WORDS = ["true", "True", "TRUE", "1", "yes", "Yes", "YES", "on", "On", "ON", " true "]
FALSE_WORDS = ["false", "False", "FALSE", "0", "no", "No", "NO", "off", "Off", "OFF", " off "]


@pytest.mark.parametrize("word", TRUE_WORDS)
def test_true_words_read_as_true(monkeypatch, word):
    monkeypatch.setenv("OUTBOUND_TEST_FLAG", word)
    assert env_bool("OUTBOUND_TEST_FLAG", default=False) is True


@pytest.mark.parametrize("word", FALSE_WORDS)
def test_false_words_read_as_false(monkeypatch, word):
    monkeypatch.setenv("OUTBOUND_TEST_FLAG", word)
    assert env_bool("OUTBOUND_TEST_FLAG", default=True) is False


@pytest.mark.parametrize("default", [True, False])
def test_unset_variable_reads_as_the_default(monkeypatch, default):
    monkeypatch.delenv("OUTBOUND_TEST_FLAG", raising=False)
    assert env_bool("OUTBOUND_TEST_FLAG", default=default) is default


@pytest.mark.parametrize("word", ["ture", "", "2", "enabled", "y", "nope", "truefalse"])
def test_unknown_word_is_an_error_naming_the_variable(monkeypatch, word):
    monkeypatch.setenv("OUTBOUND_TEST_FLAG", word)
    with pytest.raises(ImproperlyConfigured, match=r"OUTBOUND_TEST_FLAG=.* is not a boolean"):
        env_bool("OUTBOUND_TEST_FLAG", default=False)


def test_numbers_are_read_strictly(monkeypatch):
    monkeypatch.setenv("OUTBOUND_TEST_NUMBER", " 300_000 ")
    assert env_int("OUTBOUND_TEST_NUMBER", default=1) == 300_000
    monkeypatch.setenv("OUTBOUND_TEST_NUMBER", "0.25")
    assert env_float("OUTBOUND_TEST_NUMBER", default=1.0) == 0.25
    monkeypatch.delenv("OUTBOUND_TEST_NUMBER")
    assert env_int("OUTBOUND_TEST_NUMBER", default=7) == 7
    assert env_float("OUTBOUND_TEST_NUMBER", default=0.5) == 0.5


@pytest.mark.parametrize(
    ("read", "word"), [(env_int, "15m"), (env_int, "0.5"), (env_int, ""), (env_float, "0.5h"), (env_float, "x")]
)
def test_unreadable_number_is_an_error_naming_the_variable(monkeypatch, read, word):
    monkeypatch.setenv("OUTBOUND_TEST_NUMBER", word)
    with pytest.raises(ImproperlyConfigured, match=r"OUTBOUND_TEST_NUMBER=.* is not a (whole )?number"):
        read("OUTBOUND_TEST_NUMBER", default=1)


def settings_source() -> str:
    return (ROOT / "config" / "settings.py").read_text()


def variables_read_by_settings() -> set[str]:
    return set(re.findall(r"\benv(?:\.\w+|_bool|_int|_float|_addresses)\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_source()))


def documented_variables(text: str) -> set[str]:
    """The variables named in the first cell of a Markdown table's rows."""
    rows = "\n".join(line for line in text.splitlines() if line.startswith("| `"))
    first_cells = re.findall(r"^\| ([^|]+)\|", rows, re.M)
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def configuration_table() -> str:
    """docs/configuration.md's table of every variable (its section "Every variable")."""
    page = (ROOT / "docs" / "configuration.md").read_text()
    return page.split('<a id="variables"></a>', 1)[1].split("\n## ", 2)[1]


def readme_configuration_table() -> str:
    """The README's table of the essential variables."""
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]


def test_settings_read_booleans_and_numbers_only_strictly():
    for source in (settings_source(), (ROOT / "config" / "settings_test.py").read_text()):
        assert re.findall(r"\benv\.(?:bool|int|float)\(", source) == []


def test_every_environment_variable_is_in_the_configuration_table():
    documented = documented_variables(configuration_table())
    read = variables_read_by_settings()
    assert len(read) > 30  # the parse found the settings
    assert read - documented == set(), "read from the environment but missing from docs/configuration.md's table"
    assert documented - read == set(), "in docs/configuration.md's table but not read by config/settings.py"


def test_the_readme_names_only_real_variables():
    """The README's essential variables are a part of the full table, none made up or left behind."""
    essential = documented_variables(readme_configuration_table())
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CREDENTIAL_KEYS"} <= essential
    assert essential - variables_read_by_settings() == set(), "in README's configuration table but not read"


def production_sources() -> list[Path]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    sources = [path for package in packages for path in sorted((ROOT / package).rglob("*.py"))]
    return [path for path in sources if "migrations" not in path.parts]


def test_code_reads_only_declared_settings_without_shadow_defaults():
    sources = production_sources()
    assert len(sources) > 50
    declared = {name for name in vars(config.settings) if name.isupper()}
    undeclared, shadow_defaults = set(), []
    for path in sources:
        text = path.read_text()
        for name in re.findall(r"\bsettings\.([A-Z][A-Z0-9_]*)\b", text):
            if name not in declared and not hasattr(global_settings, name):
                undeclared.add(f"{path.relative_to(ROOT)}: {name}")
        shadow_defaults += [
            f"{path.relative_to(ROOT)}: {m}" for m in re.findall(r"getattr\(\s*settings\s*,[^,()]+,[^)]*\)", text)
        ]
    assert undeclared == set(), "settings read by the code but not declared in config/settings.py"
    assert shadow_defaults == [], "a default belongs in config/settings.py, not at the point of use"
