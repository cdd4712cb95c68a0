"""The README's lifecycle and event tables are the ones the code's contract generates."""

import re
from pathlib import Path

from pmi_common.contract import events_markdown, lifecycle_markdown

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def section(name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", README, re.S)
    assert match, f"README has no {name} section"
    return match.group(1)


def test_the_readme_lifecycle_table_is_generated_from_the_contract():
    assert section("lifecycle") == lifecycle_markdown()


def test_the_readme_event_table_is_generated_from_the_contract():
    assert section("events") == events_markdown()


def test_the_quick_start_is_two_commands():
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make run", "make test"]
