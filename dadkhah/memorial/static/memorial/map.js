/* The memorial map: Leaflet over the bundled Natural Earth basemap (no network needed),
   markers for the places in places.geojson. The table below the map lists the same
   places, so the page works without this script. Text is put in with textContent only. */
(function () {
  "use strict";
  var el = document.getElementById("memorial-map");
  if (!el || typeof L === "undefined" || !window.fetch) { return; }
  var cfg = JSON.parse(el.getAttribute("data-config"));
  var dir = document.documentElement.getAttribute("dir") || "ltr";
  el.hidden = false;
  Array.prototype.forEach.call(document.querySelectorAll(".map-legend"), function (legend) {
    legend.hidden = false;
  });
  L.Icon.Default.imagePath = cfg.iconPath;

  var map = L.map(el, {
    center: cfg.center, zoom: cfg.zoom, minZoom: 2, maxZoom: cfg.tiles ? 18 : 11,
    worldCopyJump: true
  });
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { attribution: cfg.attribution || "", maxZoom: 18 }).addTo(map);
  }
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(cfg.labels.basemap);

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(url + ": HTTP " + response.status); }
      return response.json();
    });
  }

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined && text !== null) { element.textContent = text; }
    return element;
  }

  function popup(p) {
    var box = node("div", "place-popup");
    box.setAttribute("dir", dir);
    var title = node("p", "popup-title");
    title.appendChild(node("strong", "", p.name));
    if (p.synthetic) {
      title.appendChild(document.createTextNode(" "));
      title.appendChild(node("span", "badge synthetic", cfg.labels.synthetic));
    }
    box.appendChild(title);
    if (p.other_name) { box.appendChild(node("p", "other-name", p.other_name)); }
    box.appendChild(node("p", "muted", p.within ? p.kind_label + " · " + p.within : p.kind_label));
    box.appendChild(node("p", "popup-heading", cfg.labels.statusOverTime));
    if (p.statuses.length) {
      var list = node("ol", "status-history");
      p.statuses.forEach(function (s) {
        var item = node("li", "status-" + s.status);
        item.appendChild(node("strong", "", s.label));
        if (s.date) { item.appendChild(document.createTextNode(" — " + s.date)); }
        if (s.disputed) {
          item.appendChild(document.createTextNode(" "));
          item.appendChild(node("span", "badge disputed", cfg.labels.disputed));
        }
        list.appendChild(item);
      });
      box.appendChild(list);
    } else {
      box.appendChild(node("p", "muted", cfg.labels.noStatus));
    }
    if (p.images.length) {
      box.appendChild(node("p", "popup-heading", cfg.labels.images));
      p.images.forEach(function (image) {
        var link = node("a");
        link.href = image.url;
        var img = node("img");
        img.src = image.url;
        img.alt = image.name + " — " + image.source;
        img.width = 160;
        link.appendChild(img);
        box.appendChild(link);
      });
    }
    var more = node("a", "", cfg.labels.details);
    more.href = "#place-" + p.uid;
    box.appendChild(node("p")).appendChild(more);
    return box;
  }

  if (cfg.basemap.countries) {
    getJSON(cfg.basemap.countries).then(function (data) {
      L.geoJSON(data, {
        interactive: false,
        style: { color: "#8a8478", weight: 1, fillColor: "#efe9dd", fillOpacity: cfg.tiles ? 0 : 1 }
      }).addTo(map).bringToBack();
    }).catch(function (error) { console.warn("basemap:", error); });
  }
  if (cfg.basemap.provinces) {
    getJSON(cfg.basemap.provinces).then(function (data) {
      L.geoJSON(data, {
        interactive: false,
        style: { color: "#a39a8b", weight: 0.7, dashArray: "3 3", fill: false }
      }).addTo(map);
    }).catch(function (error) { console.warn("basemap:", error); });
  }
  getJSON(cfg.places).then(function (data) {
    var layer = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties;
        var classes = "place-marker kind-" + p.kind + (p.status ? " status-" + p.status : "");
        return L.marker(latlng, {
          icon: L.divIcon({ className: classes, iconSize: [20, 20], iconAnchor: [10, 10] }),
          title: p.name + " — " + p.kind_label + (p.status_label ? " (" + p.status_label + ")" : ""),
          keyboard: true,
          riseOnHover: true
        });
      },
      onEachFeature: function (feature, marker) {
        marker.bindPopup(popup(feature.properties), { maxWidth: 320 });
        marker.on("add", function () {
          var icon = marker.getElement();
          if (icon) { icon.setAttribute("data-place", feature.properties.uid); }
        });
      }
    }).addTo(map);
    if (data.features.length) {
      map.fitBounds(layer.getBounds(), { padding: [40, 40], maxZoom: 7 });
    }
    el.setAttribute("data-markers", String(data.features.length));
  }).catch(function (error) { console.warn("places:", error); });
}());
