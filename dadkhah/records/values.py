"""What may be claimed about a record, and how each kind of value is checked and shown.

The properties of each record kind are data (``vocab/properties.yaml``); the value types
are code: a name, free text, a vocabulary term, a partial date, a reference to another
record, a GeoJSON geometry, a place status at a date, and a reference over a period.
Values are stored as JSON. ``clean`` accepts either that JSON or a short text form
(what a person types in a form or a CSV cell) and raises ``ValueError`` with a message
fit to show next to the field. This module imports no Django.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from dadkhah.core.dates import InvalidDate, PartialDate, parse_partial_date
from dadkhah.core.vocab import Vocabulary, load_vocabularies

__all__ = [
    "KINDS",
    "PropSpec",
    "UnknownProperty",
    "clean",
    "detect_script",
    "display",
    "prop_spec",
    "props_of",
    "value_key",
    "vocabularies",
]

VOCAB_DIR = Path(__file__).resolve().parent / "vocab"
KINDS = ("person", "body", "post", "place", "event", "participation")


class UnknownProperty(ValueError):
    pass


@dataclass(frozen=True)
class PropSpec:
    kind: str
    name: str
    type: str
    many: bool
    labels: dict[str, str]
    vocab: str | None = None
    to: str | None = None

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.name


def vocabularies() -> dict[str, Vocabulary]:
    return load_vocabularies(VOCAB_DIR / "terms.yaml")


@cache
def _schema() -> dict[str, dict[str, PropSpec]]:
    data = yaml.safe_load((VOCAB_DIR / "properties.yaml").read_text(encoding="utf-8"))
    out: dict[str, dict[str, PropSpec]] = {}
    for kind, props in data["kinds"].items():
        out[kind] = {
            name: PropSpec(
                kind=kind,
                name=name,
                type=spec["type"],
                many=bool(spec.get("many", False)),
                labels={k: spec[k] for k in ("en", "fa") if k in spec},
                vocab=spec.get("vocab"),
                to=spec.get("to"),
            )
            for name, spec in props.items()
        }
    return out


def props_of(kind: str) -> dict[str, PropSpec]:
    try:
        return _schema()[kind]
    except KeyError:
        raise UnknownProperty(
            f"unknown record kind {kind!r}; use one of: {', '.join(KINDS)}"
        ) from None


def prop_spec(kind: str, prop: str) -> PropSpec:
    props = props_of(kind)
    try:
        return props[prop]
    except KeyError:
        raise UnknownProperty(
            f"a {kind} has no property {prop!r}; it has: {', '.join(props)}"
        ) from None


_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


def detect_script(text: str) -> str:
    """``fa`` when the text is mostly Arabic-script letters, else ``latn``."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "latn"
    arabic = sum(1 for c in letters if _ARABIC_SCRIPT.match(c))
    return "fa" if arabic * 2 >= len(letters) else "latn"


def _text(raw: Any, what: str) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"{what} must be text")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise ValueError(f"{what} is empty")
    return text


def _maybe_json(raw: Any) -> Any:
    if isinstance(raw, str) and raw.lstrip().startswith(("{", "[")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} at character {exc.pos}") from None
    return raw


def _date(raw: Any) -> dict[str, Any]:
    raw = _maybe_json(raw)
    try:
        if isinstance(raw, dict):
            return PartialDate.from_json(raw).to_json()
        return parse_partial_date(_text(raw, "the date")).to_json()
    except InvalidDate as exc:
        raise ValueError(str(exc)) from None


def _term(spec: PropSpec, raw: Any) -> str:
    code = _text(raw, spec.label())
    assert spec.vocab is not None
    return vocabularies()[spec.vocab].get(code).code


def _name(raw: Any) -> dict[str, str]:
    raw = _maybe_json(raw)
    if isinstance(raw, dict):
        text = _text(raw.get("text", ""), "the name")
        script = raw.get("script") or detect_script(text)
        kind = raw.get("kind") or "full"
    else:
        text = _text(raw, "the name")
        script, kind = detect_script(text), "full"
    vocab = vocabularies()
    return {
        "text": text,
        "script": vocab["script"].get(script).code,
        "kind": vocab["name_kind"].get(kind).code,
    }


def _position(pos: Any) -> list[float]:
    if not (isinstance(pos, list | tuple) and len(pos) == 2):
        raise ValueError("a position is [longitude, latitude]")
    lon, lat = (float(v) for v in pos)
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {lon} is outside -180..180")
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {lat} is outside -90..90")
    return [lon, lat]


def _geometry(raw: Any) -> dict[str, Any]:
    raw = _maybe_json(raw)
    if isinstance(raw, str):
        parts = [p.strip() for p in raw.split(",")]
        if len(parts) != 2:
            raise ValueError('a location is "latitude, longitude" or a GeoJSON Point or Polygon')
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"{raw!r} is not two numbers") from None
        return {"type": "Point", "coordinates": _position([lon, lat])}
    if not isinstance(raw, dict) or raw.get("type") not in ("Point", "Polygon"):
        raise ValueError("a geometry is a GeoJSON Point or Polygon")
    if raw["type"] == "Point":
        return {"type": "Point", "coordinates": _position(raw.get("coordinates"))}
    rings = raw.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise ValueError("a Polygon has at least one ring")
    clean_rings = []
    for ring in rings:
        points = [_position(p) for p in ring]
        if len(points) < 4 or points[0] != points[-1]:
            raise ValueError("a Polygon ring is closed and has at least four positions")
        clean_rings.append(points)
    return {"type": "Polygon", "coordinates": clean_rings}


def _status(raw: Any) -> dict[str, Any]:
    raw = _maybe_json(raw)
    if isinstance(raw, str):
        head, _, when = raw.partition(",")
        raw = {"status": head.strip(), "date": when.strip() or None}
    if not isinstance(raw, dict):
        raise ValueError('a status is "destroyed, 2008" or {"status": ..., "date": ...}')
    code = vocabularies()["place_status"].get(_text(raw.get("status", ""), "the status")).code
    stamp = raw.get("date")
    return {"status": code, "date": _date(stamp) if stamp else None}


def _ref(raw: Any) -> str:
    return _text(raw, "the reference")


def _period_ref(raw: Any) -> dict[str, Any]:
    raw = _maybe_json(raw)
    if isinstance(raw, str):
        raw = {"ref": raw}
    if not isinstance(raw, dict):
        raise ValueError('a period reference is {"ref": uid, "start": date, "end": date}')
    start = _date(raw["start"]) if raw.get("start") else None
    end = _date(raw["end"]) if raw.get("end") else None
    if start and end and end["end"] < start["start"]:
        raise ValueError("the period ends before it starts")
    return {"ref": _ref(raw.get("ref", "")), "start": start, "end": end}


def clean(spec: PropSpec, raw: Any) -> Any:
    """Return the canonical JSON value for ``raw`` or raise ``ValueError``."""
    match spec.type:
        case "name":
            return _name(raw)
        case "text":
            return _text(raw, spec.label())
        case "term":
            return _term(spec, raw)
        case "date":
            return _date(raw)
        case "ref":
            return _ref(raw)
        case "geometry":
            return _geometry(raw)
        case "status":
            return _status(raw)
        case "period_ref":
            return _period_ref(raw)
    raise UnknownProperty(f"unknown value type {spec.type!r}")


def value_key(spec: PropSpec, value: Any) -> str:
    """A canonical string: two claims with equal keys say the same thing."""
    if spec.type == "date":
        return f"{value['start']}/{value['end']}"
    if spec.type == "name":
        return unicodedata.normalize("NFKC", value["text"]).casefold()
    if spec.type == "text":
        return " ".join(str(value).split()).casefold()
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def display(
    spec: PropSpec, value: Any, lang: str = "en", refs: dict[str, str] | None = None
) -> str:
    """Human-readable text of a value; ``refs`` maps uids to record labels."""
    refs = refs or {}
    match spec.type:
        case "name":
            return str(value["text"])
        case "term":
            assert spec.vocab is not None
            vocab = vocabularies()[spec.vocab]
            return vocab.terms[value].label(lang) if value in vocab.terms else str(value)
        case "date":
            return PartialDate.from_json(value).both(lang)
        case "ref":
            return refs.get(value, str(value))
        case "geometry":
            if value["type"] == "Point":
                lon, lat = value["coordinates"]
                return f"{lat:.5f}, {lon:.5f}"
            return f"Polygon of {len(value['coordinates'][0]) - 1} points"
        case "status":
            label = vocabularies()["place_status"].terms[value["status"]].label(lang)
            if value.get("date"):
                return f"{label} ({PartialDate.from_json(value['date']).both(lang)})"
            return label
        case "period_ref":
            parts = [refs.get(value["ref"], value["ref"])]
            if value.get("start"):
                parts.append("from " + PartialDate.from_json(value["start"]).both(lang))
            if value.get("end"):
                parts.append("to " + PartialDate.from_json(value["end"]).both(lang))
            return " ".join(parts)
    return str(value)
