"""The compiled lexicon: the lexicon and what blocking needs of each word it lists, built once.

Names are combinations of a few thousand words, and nearly every word of a list is a spelling
the lexicon lists. What ``match_keys`` needs of a word (``WordFeatures``: its consonant
skeleton, the parts of keys made from the skeleton, and the numbers of the folded lexicon
spellings it may join) therefore need not be computed when a list arrives: ``compiled()``
computes it for every spelling in the lexicon (Latin spellings as normalized, Persian keys,
roots) when the lexicon is built, and ``tokens.token`` takes it from there. Words the lexicon
does not list are computed when first seen (``word_features``), as before.

Building the lexicon from its data files and the features of its words takes tens of
milliseconds; the result is kept in a cache file (``marshal``: plain dicts, sets, tuples and
strings, no code run on loading), ``names-<fingerprint>.marshal``, where the fingerprint is
the SHA-256 of the data files (the lexicon version is in ``lexicon.yaml``), of the source of
the modules that compute the result, and of the Python version. A changed data file or module
gives another file name, so a stale file is never read; it is rebuilt and older files of this
kind are removed. The file is written atomically; if the directory cannot be written, or the
file cannot be read, the lexicon is built in memory instead.

Where the file goes (``cache_dir``): ``DADKHAH_NAMES_CACHE`` when set (empty: no file), else
``DADKHAH_HOME/cache`` when ``DADKHAH_HOME`` is set, else ``XDG_CACHE_HOME/dadkhah`` or
``~/.cache/dadkhah``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dadkhah.names.lexicon import DATA, Affix, Lexicon, build_lexicon, spelling_key
from dadkhah.names.spelling import (
    full_table,
    is_persian,
    latin_forms,
    persian_skeleton,
    split_skeleton,
)

__all__ = [
    "Compiled",
    "WordFeatures",
    "compiled",
    "load_or_build",
    "cache_dir",
    "fingerprint",
    "word_features",
    "skeleton_parts",
]

log = logging.getLogger(__name__)

_FORMAT = 1  # of the file; the fingerprint covers the rest
_HERE = Path(__file__).resolve().parent
_SOURCES = ("compiled.py", "lexicon.py", "normalization.py", "spelling.py")
_PREFIX = "names-"
_SUFFIX = ".marshal"

#: (persian, skeleton, starts, ends, marked, short marked, marker): the fields of
#: ``tokens.Token`` that blocking reads; see there.
WordFeatures = tuple[bool, str, frozenset[int], frozenset[int], str, str, str]
# (marked, short marked, marker): what depends only on a skeleton
SkeletonParts = tuple[str, str, str]

_NONE: frozenset[int] = frozenset()

# The consonants that mark a token in another token's blocking key (its first two) are taken in
# a coarser class, so that letters Persian writes with one shape and different dots (ب پ ت,
# ر ز ژ) still agree; an initial h (ح ه, often dropped) is skipped.
_MARKER = full_table(str.maketrans("ptzj", "bbrr"))


def _marker(skel: str) -> str:
    rest = skel.lstrip("h") or skel
    return rest[:2].translate(_MARKER)


def _forms(skel: str) -> set[str]:
    """A skeleton and its forms with one consonant deleted."""
    n = len(skel)
    if n < 2:
        return {skel}
    # a skeleton has no doubled letter, so deleting one letter makes at most one, where its
    # neighbours meet: squeezing it leaves one of them
    return {
        skel,
        *[
            skel[:i] + skel[i + 2 :]
            if 0 < i < n - 1 and skel[i - 1] == skel[i + 1]
            else skel[:i] + skel[i + 1 :]
            for i in range(n)
        ],
    }


def skeleton_parts(skel: str, split: str | None = None) -> SkeletonParts:
    """The parts of blocking keys that depend only on a skeleton (see ``tokens.Token``); with
    ``split`` (``spelling.split_skeleton``), the forms of that skeleton too."""
    found = _forms(skel)
    if split is not None:
        found |= _forms(split)
    forms = sorted(found)
    if len(skel) > 3 and (split is None or len(split) > 3):
        # a deletion leaves two consonants or more (at most two go, where neighbours meet)
        return ("\x00d:" + "|\x01\x00d:".join(forms) + "|\x01", "", _marker(skel))
    long = [f for f in forms if len(f) > 1]
    short = [f for f in forms if len(f) <= 1]
    return (
        "\x00d:" + "|\x01\x00d:".join(long) + "|\x01" if long else "",
        "\x00d:" + "|\x01\x00d:".join(short) + "|\x01" if short else "",
        _marker(skel),
    )


def word_features(text: str, lex: Lexicon, parts: dict[str, SkeletonParts]) -> WordFeatures:
    """What blocking needs of one normalized word; ``parts`` caches ``skeleton_parts``."""
    persian = is_persian(text)
    if persian:
        skel = persian_skeleton(text)
        starts = ends = _NONE
    else:
        folded, skel = latin_forms(text)
        starts = lex.fold_starts.get(folded[:-2], _NONE)
        ends = lex.fold_ends.get(folded[2:], _NONE)
        if "th" in text:  # ت+ح as well as ث: the forms of both skeletons (not kept in parts)
            split = split_skeleton(text)
            if split is not None and split != skel:
                return (persian, skel, starts, ends, *skeleton_parts(skel, split))
    found = parts.get(skel)
    if found is None:
        found = parts[skel] = skeleton_parts(skel)
    return (persian, skel, starts, ends, *found)


@dataclass(frozen=True)
class Compiled:
    """The lexicon and the features of every word it lists, by normalized word."""

    lexicon: Lexicon
    features: dict[str, WordFeatures]
    # ``skeleton_parts`` of the skeletons of those words: a word the lexicon does not list (a
    # typo in a vowel, another spelling) often has one of them
    parts: dict[str, SkeletonParts]
    fingerprint: str
    source: str  # "built" (and written, or not) or "loaded"


def _words(lex: Lexicon) -> set[str]:
    """Every word the lexicon lists, normalized as a token's text."""
    words: set[str] = set(lex.by_spelling)
    words.update(lex.latin)
    words.update(lex.roots)
    for spellings in lex.roots.values():
        words.update(spelling_key(s) for s in spellings)
    words.discard("")
    return {w for w in words if " " not in w and "-" not in w}


def _compile(lex: Lexicon) -> tuple[dict[str, WordFeatures], dict[str, SkeletonParts]]:
    parts: dict[str, SkeletonParts] = {}
    features = {word: word_features(word, lex, parts) for word in sorted(_words(lex))}
    return features, parts


def fingerprint(data: Path = DATA) -> str:
    """``sha256:<hex>`` of the file format, the Python version, the data files (in ``data``)
    and the source of the modules that compute the compiled lexicon."""
    digest = hashlib.sha256()
    digest.update(f"format {_FORMAT} python {sys.version_info[:2]} {marshal.version}".encode())
    for path in sorted(data.iterdir()):
        if path.is_file():
            digest.update(f"\0{path.name}\0".encode())
            digest.update(path.read_bytes())
    for name in _SOURCES:
        digest.update(f"\0{name}\0".encode())
        digest.update((_HERE / name).read_bytes())
    return "sha256:" + digest.hexdigest()


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the compiled file goes (see the module docstring); None for no file."""
    env = os.environ if environ is None else environ
    explicit = env.get("DADKHAH_NAMES_CACHE")
    if explicit is not None:
        return Path(explicit) if explicit else None
    home = env.get("DADKHAH_HOME")
    if home:
        return Path(home) / "cache"
    xdg = env.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "dadkhah"


def _file_name(print_: str) -> str:
    return f"{_PREFIX}{print_.removeprefix('sha256:')[:32]}{_SUFFIX}"


def _dump(compiled_: Compiled) -> bytes:
    lex = compiled_.lexicon
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(Lexicon):
        value = getattr(lex, f.name)
        if f.name in ("suffixes", "prefixes"):
            value = [dataclasses.astuple(affix) for affix in value]
        fields[f.name] = value
    return marshal.dumps(
        {
            "fingerprint": compiled_.fingerprint,
            "lexicon": fields,
            "features": compiled_.features,
            "parts": compiled_.parts,
        }
    )


def _load(data: bytes, print_: str) -> Compiled | None:
    """The compiled lexicon in ``data``, or None when it is not one of ``print_``."""
    content = marshal.loads(data)
    if not isinstance(content, dict) or content.get("fingerprint") != print_:
        return None
    fields = content["lexicon"]
    for name in ("suffixes", "prefixes"):
        fields[name] = [Affix(*affix) for affix in fields[name]]
    return Compiled(Lexicon(**fields), content["features"], content["parts"], print_, "loaded")


def build(data: Path = DATA) -> Compiled:
    """Build the compiled lexicon from the data files in ``data``, in memory."""
    print_ = fingerprint(data)
    lex = build_lexicon(data)
    return Compiled(lex, *_compile(lex), print_, "built")


def load_or_build(directory: Path | None, data: Path = DATA) -> Compiled:
    """The compiled lexicon from its file in ``directory`` when the file is there and current;
    else built from ``data``, and written there when ``directory`` is not None and can be
    written."""
    print_ = fingerprint(data)
    path = directory / _file_name(print_) if directory is not None else None
    if path is not None:
        try:
            found = _load(path.read_bytes(), print_)
        except FileNotFoundError:
            found = None
        except (OSError, ValueError, EOFError, TypeError, KeyError) as error:
            log.warning("names: cannot read the compiled lexicon %s (%s); rebuilding", path, error)
            found = None
        if found is not None:
            return found
    result = build(data)
    if path is not None and fingerprint(data) == print_:  # unchanged while building
        _write(path, _dump(result))
    return result


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and remove older compiled files; on failure, log
    and go on (the lexicon is then built in memory by each process)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".names-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in path.parent.glob(f"{_PREFIX}*{_SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:
        log.info("names: compiled lexicon not written to %s (%s)", path, error)


@cache
def compiled() -> Compiled:
    """The compiled lexicon of this process (loaded or built on first use)."""
    return load_or_build(cache_dir())
