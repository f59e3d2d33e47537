"""Every command and setting is documented: the reference must match what the code says."""

import subprocess
import sys
from pathlib import Path

from dadkhah import reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "reference"


def test_cli_reference_is_current():
    # A fresh process: click caches each command's help option once it has been invoked.
    code = "from dadkhah import reference; print(reference.cli_reference(), end='')"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == fresh.stdout, (
        "docs/reference/cli.md is stale: run `python -m dadkhah.reference`"
    )


def test_settings_reference_is_current():
    assert (DOCS / "settings.md").read_text(encoding="utf-8") == reference.settings_reference(), (
        "docs/reference/settings.md is stale: run `python -m dadkhah.reference`"
    )


def test_readme_opens_with_the_two_commands():
    readme = (DOCS.parent.parent / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert [line.strip() for line in first_block.strip().splitlines()] == ["make demo", "make test"]
