"""The examples in docs/names.md and in the docstrings of dadkhah.names run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import dadkhah.names
from dadkhah.names import compare, keys, lexicon, normalization, spelling, translit

DOC = Path(__file__).resolve().parents[2] / "docs" / "names.md"


def test_examples_in_the_guide() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    globs = {name: getattr(dadkhah.names, name) for name in dadkhah.names.__all__}
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, dict(globs), f"names.md[{i}]", str(DOC), 0))
    assert runner.failures == 0


@pytest.mark.parametrize("module", [compare, keys, lexicon, normalization, spelling, translit])
def test_docstring_examples(module: object) -> None:
    failures, _tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert failures == 0
