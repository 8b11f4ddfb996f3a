"""The README documents every command-line option and every configuration key: a newcomer finds them there."""

from __future__ import annotations

import argparse
import re
import tomllib

import pytest

from analytics.cli import build_parser
from analytics.config import DATA_DIR
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# tables whose keys are data (header texts, status words, roles, severities), documented as a table
MAPS = {"problem.fields", "task.fields", "score.fields", "status.values", "status.yes_no", "scoring.severity_points",
        "indicators.points",
        "parts"}
# the field names of [*.fields] are documented too, being the product's own words
FIELD_TABLES = {"problem.fields", "task.fields", "score.fields"}


def options(parser: argparse.ArgumentParser, command: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*command, name), ""))
                found += options(sub, (*command, name))
        else:
            found += [(command, o) for o in action.option_strings if o.startswith("--") and o != "--help"]
    return found


@pytest.mark.parametrize(("command", "option"), options(build_parser()),
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else v)
def test_every_command_and_option_is_in_the_readme(command, option):
    if option:
        assert re.search(rf"analytics {re.escape(command[0])}\b[^\n]*{re.escape(option)}\b", README) or \
            option in README, f"{' '.join(command)} {option}"
    else:
        assert f"analytics {' '.join(command)}" in README, " ".join(command)


def keys(table: dict, path: str = "") -> list[tuple[str, str]]:
    """(table path, key) of every setting, arrays of tables ([[grades]]) through their first entry."""
    found = []
    for key, value in table.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0]
        if isinstance(value, dict):
            found.append((path, key))
            inner = f"{path}.{key}" if path else key
            if inner in MAPS and inner not in FIELD_TABLES:
                continue
            found += keys(value, inner)
        else:
            found.append((path, key))
    return found


@pytest.mark.parametrize("name", ["ledger.toml", "scoring.toml", "access.toml", "notices.toml"])
def test_every_configuration_key_is_in_the_readme(name):
    settings = tomllib.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    section = README[README.index("## Configuration reference"):README.index("## Layout")]
    missing = [f"{path}.{key}" if path else key for path, key in keys(settings)
               if f"`{key}`" not in section and f"`[{path + '.' if path else ''}{key}]`" not in section
               and f"`[[{key}]]`" not in section]
    assert missing == [], f"{name}: {missing}"
