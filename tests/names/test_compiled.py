"""Tests for dadkhah.names.compiled: the compiled lexicon and its cache file."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dadkhah.names import VERSION
from dadkhah.names import compiled as compiled_module
from dadkhah.names.compiled import (
    build,
    cache_dir,
    fingerprint,
    load_or_build,
    skeleton_parts,
    word_features,
)
from dadkhah.names.lexicon import DATA, Lexicon, lexicon
from dadkhah.names.tokens import reset, token

_FIELDS = (  # the order of ``WordFeatures``
    *("persian", "skeleton", "starts", "ends", "marked", "short_marked", "marker"),
)

NAMES = [
    "Ebrahim Raisi",
    "ابراهيم رئيسي",
    "Raisi, Ebrahim",
    "Mostafa Pour-Mohammadi",
    "مصطفی پور\u200cمحمدی",
    "Hojjat-ol-Eslam Seyyed Ali Hosseini",
    "حسینعلی",
    "Mohammad Reza Lajevardi",
    "Mohamad Rzaei",  # a typo: a word the lexicon does not list
    "Xqzt Wlpq",  # no word the lexicon knows
    "MOHAMMAD REZAEI",
    "سید علی خامنه ای",
]


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("names-*.marshal"))


def _same_lexicon(a: Lexicon, b: Lexicon) -> None:
    for field in dataclasses.fields(Lexicon):
        assert getattr(a, field.name) == getattr(b, field.name), field.name


def test_built_once_then_loaded_and_the_same(tmp_path: Path) -> None:
    first = load_or_build(tmp_path)
    assert first.source == "built"
    assert [p.name for p in _files(tmp_path)] == [
        "names-" + first.fingerprint.removeprefix("sha256:")[:32] + ".marshal"
    ]
    second = load_or_build(tmp_path)
    assert second.source == "loaded"
    assert second.fingerprint == first.fingerprint
    _same_lexicon(first.lexicon, second.lexicon)
    assert second.features == first.features
    assert second.parts == first.parts
    assert len(first.features) > 5000  # every spelling in the lexicon, both scripts


def test_features_are_those_computed_for_the_word_alone() -> None:
    # the table only saves time: each entry is what ``word_features`` computes without it
    made = build()
    for word, features in made.features.items():
        assert word_features(word, made.lexicon, {}) == features, word
    assert made.features["mohammad"][1] == made.features["محمد"][1] == "mhmd"
    for skel, parts in made.parts.items():
        assert skeleton_parts(skel) == parts, skel


def test_tokens_have_the_features_of_their_word() -> None:
    # words the lexicon lists (from the table) and others (typos, unknown names; computed,
    # with the table's parts for a known skeleton), before and after a reset
    lex = lexicon()
    words = ["mohammad", "محمد", "rezaei", "mohamad", "rzaei", "mohammadd", "xqzt", "رضابی"]
    for _ in range(2):
        for word in words:
            tok = token(word)
            fields = tuple(getattr(tok, name) for name in _FIELDS)
            assert fields == word_features(word, lex, {}), word
        reset()


def test_a_changed_data_file_is_not_read_and_is_rebuilt(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    cache = tmp_path / "cache"
    before = load_or_build(cache, data)
    assert load_or_build(cache, data).source == "loaded"
    assert "زربانو" not in before.lexicon.given
    with (data / "given_names.csv").open("a", encoding="utf-8") as handle:
        handle.write("زربانو,Zarbanou|Zarbanoo\n")
    after = load_or_build(cache, data)
    assert after.source == "built"
    assert after.fingerprint != before.fingerprint
    assert "زربانو" in after.lexicon.given and "zarbanou" in after.features
    # the stale file is gone, the new one is read next time
    assert [p.name for p in _files(cache)] == [
        "names-" + after.fingerprint.removeprefix("sha256:")[:32] + ".marshal"
    ]
    assert load_or_build(cache, data).source == "loaded"


def test_a_file_of_another_fingerprint_or_corrupt_is_rebuilt(tmp_path: Path) -> None:
    made = load_or_build(tmp_path)
    (path,) = _files(tmp_path)
    # the right name but another fingerprint inside (as if copied from elsewhere)
    content = compiled_module._dump(dataclasses.replace(made, fingerprint="sha256:other"))
    path.write_bytes(content)
    assert load_or_build(tmp_path).source == "built"
    assert load_or_build(tmp_path).source == "loaded"
    for garbage in (b"", b"\x00not marshal", path.read_bytes()[:1000]):
        path.write_bytes(garbage)
        again = load_or_build(tmp_path)
        assert again.source == "built"
        assert again.features == made.features
    assert load_or_build(tmp_path).source == "loaded"


def test_an_unwritable_directory_builds_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    made = load_or_build(blocker / "cache")  # cannot be created (root ignores permissions)
    assert made.source == "built"
    assert load_or_build(blocker / "cache").source == "built"
    assert not list(tmp_path.rglob("names-*.marshal"))
    assert load_or_build(None).source == "built"


def test_where_the_file_goes() -> None:
    assert cache_dir({"DADKHAH_NAMES_CACHE": "/x/names"}) == Path("/x/names")
    assert cache_dir({"DADKHAH_NAMES_CACHE": "", "DADKHAH_HOME": "/h"}) is None
    assert cache_dir({"DADKHAH_HOME": "/h"}) == Path("/h/cache")
    assert cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/dadkhah")
    assert cache_dir({}) == Path.home() / ".cache" / "dadkhah"


def test_the_fingerprint_covers_the_data_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    assert fingerprint(data) == fingerprint()
    assert fingerprint().startswith("sha256:")
    (data / "surnames.csv").write_text(
        (data / "surnames.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert fingerprint(data) != fingerprint()


_KEYS_OF = """
import json, sys
from dadkhah.names import match_keys, similarity
from dadkhah.names.compiled import compiled
names = json.loads(sys.stdin.read())
print(json.dumps({
    "source": compiled().source,
    "keys": [sorted(match_keys(n)) for n in names],
    "scores": [similarity(a, b) for a in names for b in names],
}))
"""


def _keys_in_process(cache: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _KEYS_OF],
        input=json.dumps(NAMES),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DADKHAH_NAMES_CACHE": cache},
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_same_keys_and_scores_with_and_without_the_file(tmp_path: Path) -> None:
    without = _keys_in_process("")  # no file: built in the process
    written = _keys_in_process(str(tmp_path))
    loaded = _keys_in_process(str(tmp_path))
    assert (without["source"], written["source"], loaded["source"]) == ("built",) * 2 + ("loaded",)
    assert written["keys"] == loaded["keys"] == without["keys"]
    assert written["scores"] == loaded["scores"] == without["scores"]
    keys = without["keys"]
    assert isinstance(keys, list) and all(keys[:3]) and keys[0] == keys[1] == keys[2]


_MODULES_LOADED = """
import sys
from dadkhah.names import match_keys, normalize
match_keys("Ali Rezaei"), normalize("علي")
print(" ".join(m for m in ("yaml", "rapidfuzz") if m in sys.modules) or "-")
from dadkhah.names import THRESHOLD, VERSION, similarity
print(similarity("Ali Rezaei", "علی رضایی") >= THRESHOLD, VERSION)
"""


def test_blocking_from_the_file_loads_neither_yaml_nor_rapidfuzz(tmp_path: Path) -> None:
    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _MODULES_LOADED],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "DADKHAH_NAMES_CACHE": str(tmp_path)},
        )
        return done.stdout.splitlines()

    built = run()  # writes the file (building reads the data files with yaml)
    loaded = run()
    assert loaded[0] == "-", loaded  # similarity, VERSION and THRESHOLD load them when asked
    assert built[1:] == loaded[1:] == [f"True {VERSION}"]
