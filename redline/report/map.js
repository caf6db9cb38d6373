/* redline map helpers: mouse position in CGCS2000 degrees and Gauss-Krüger metres, and the controls. */
(function () {
  "use strict";
  // Transverse Mercator on GRS80 (CGCS2000) by Krüger's series to n^4 (sub-millimetre within a zone).
  var a = 6378137.0, f = 1 / 298.257222101, n = f / (2 - f);
  var A = a / (1 + n) * (1 + n * n / 4 + Math.pow(n, 4) / 64);
  var alpha = [n / 2 - 2 * n * n / 3 + 5 * Math.pow(n, 3) / 16 + 41 * Math.pow(n, 4) / 180,
               13 * n * n / 48 - 3 * Math.pow(n, 3) / 5 + 557 * Math.pow(n, 4) / 1440,
               61 * Math.pow(n, 3) / 240 - 103 * Math.pow(n, 4) / 140,
               49561 * Math.pow(n, 4) / 161280];
  var e = 2 * Math.sqrt(n) / (1 + n);

  /** 3-degree Gauss-Krüger [easting with zone prefix, northing] in metres of a CGCS2000 lon/lat. */
  function gaussKruger(lon, lat) {
    var zone = Math.round(lon / 3), lon0 = zone * 3;
    var phi = lat * Math.PI / 180, dl = (lon - lon0) * Math.PI / 180;
    var t = Math.sinh(Math.atanh(Math.sin(phi)) - e * Math.atanh(e * Math.sin(phi)));
    var xi = Math.atan2(t, Math.cos(dl)), eta = Math.atanh(Math.sin(dl) / Math.sqrt(1 + t * t));
    var east = eta, north = xi;
    for (var j = 1; j <= 4; j++) {
      east += alpha[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
      north += alpha[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    }
    return {zone: zone, x: zone * 1e6 + 500000 + A * east, y: A * north};
  }
  window.redlineGaussKruger = gaussKruger;

  function describe(latlng) {
    var gk = gaussKruger(latlng.lng, latlng.lat);
    return "CGCS2000 " + latlng.lng.toFixed(8) + "°E " + latlng.lat.toFixed(8) + "°N · GK zone " + gk.zone +
      " X=" + gk.y.toFixed(2) + " Y=" + gk.x.toFixed(2);
  }

  /** Add scale, measure, full screen, minimap and mouse position to a Leaflet map. */
  window.redlineControls = function (map, options) {
    L.control.scale({metric: true, imperial: false}).addTo(map);
    // leaflet-measure's invisible capture marker takes focus on each click, and Leaflet >= 1.8 pans the map to a
    // focused marker (autoPanOnFocus): switch that off (leaflet-measure issue #171, its documented workaround).
    L.Control.Measure.include({
      _setCaptureMarkerIcon: function () {
        this._captureMarker.options.autoPanOnFocus = false;
        this._captureMarker.setIcon(L.divIcon({iconSize: this._map.getSize().multiplyBy(2)}));
      }
    });
    L.control.measure({primaryLengthUnit: "meters", secondaryLengthUnit: "kilometers",
                       primaryAreaUnit: "sqmeters", secondaryAreaUnit: "hectares"}).addTo(map);
    // a tiled base map needs a network: say so when one is chosen offline or its tiles fail
    var notice = document.getElementById("redline-network");
    map.on("baselayerchange", function (event) {
      if (!notice) { return; }
      notice.style.display = "none";
      if (event.layer instanceof L.TileLayer) {
        if (!navigator.onLine) { notice.style.display = "block"; }
        event.layer.once("tileerror", function () { notice.style.display = "block"; });
      }
    });
    new L.Control.FullScreen({position: "topleft"}).addTo(map);
    if (options.overview) {
      var overview = L.geoJSON(options.overview, {style: {color: "#555", weight: 1, fillOpacity: 0.05}});
      new L.Control.MiniMap(overview, {toggleDisplay: true, zoomLevelOffset: -5}).addTo(map);
    }
    // printed, the map takes the size the print stylesheet gives it: redraw for that size, and back after
    window.addEventListener("beforeprint", function () { map.invalidateSize(); });
    window.addEventListener("afterprint", function () { map.invalidateSize(); });
    var position = L.control({position: "bottomleft"});
    position.onAdd = function () {
      var div = L.DomUtil.create("div", "redline-mouse-position");
      div.style.cssText = "background:rgba(255,255,255,.85);padding:2px 6px;font:11px monospace";
      div.textContent = describe(map.getCenter());
      map.on("mousemove", function (event) { div.textContent = describe(event.latlng); });
      return div;
    };
    position.addTo(map);
  };
})();

/* Sortable tables: click a header to sort by that column (numbers numerically), again to reverse. */
window.redlineSortable = function (table) {
  var headers = table.querySelectorAll("th");
  headers.forEach(function (header, column) {
    header.style.cursor = "pointer";
    header.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var ascending = header.getAttribute("data-order") !== "asc";
      headers.forEach(function (h) { h.removeAttribute("data-order"); });
      header.setAttribute("data-order", ascending ? "asc" : "desc");
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-value") || a.cells[column].textContent;
        var y = b.cells[column].getAttribute("data-value") || b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
};

/* The shapes of one map layer, from GeoJSON whose features carry their look in their properties: ``style`` (Leaflet
   path options), ``tooltip`` / ``popup`` (HTML redline escaped), and ``label`` for a point shown as a permanent
   label (district names). One L.geoJSON per layer instead of one per feature keeps big pages light. */
window.redlineShapes = function (group, shapes) {
  L.geoJSON(shapes, {
    style: function (feature) { return feature.properties.style || {}; },
    pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, {radius: 0, opacity: 0, fill: false}); },
    onEachFeature: function (feature, layer) {
      var shape = feature.properties;
      if (shape.label) {
        layer.bindTooltip(shape.label, {permanent: true, direction: "bottom", offset: [0, 40],
                                        className: "redline-label", interactive: false});
      }
      if (shape.tooltip) { layer.bindTooltip(shape.tooltip, {maxWidth: 400}); }
      if (shape.popup) { layer.bindPopup(shape.popup, {maxWidth: 400}); }
    }
  }).addTo(group);
};
