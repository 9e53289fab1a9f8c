/*
 * Our own code: draws many points from compact arrays on one canvas (dashboard/pointlayer.py writes the data).
 *
 * One Python object per marker costs seconds per rerun at 10,000 points; here Python sends a few integer arrays and
 * the browser builds the markers. Shapes tell kinds apart, colours tell stages apart, a dashed ring marks a point past
 * its time limit (逾期; dashes, not only a colour, so it reads without colour vision). Tooltips are built on hover from
 * the arrays, with textContent, so no user text is ever parsed as HTML. A clicked marker carries
 * feature.properties = {i: row index, t: data token}; streamlit-folium returns it as last_active_drawing.
 *
 * Hit test: Leaflet gives a canvas click to the top-most shape whose outline (plus a few pixels) contains it. Here a
 * click goes to the *nearest* point within reach, and a finger reaches further than a mouse: a tap within TOUCH_REACH
 * pixels of a point (a 44 px target) selects it, even where points are 15 px apart. A click or tap reaching no point
 * goes on as before (to a town area, or to the map itself: the edit page places a point there).
 *
 * Dense views (pointlayer.encode_clustered: more points than one frame can show as symbols) arrive as base64 typed
 * arrays and are clustered with supercluster: where symbols would overlap, one ring split by stage (待办 red from
 * 12 o'clock, clockwise in the stages' order) with the count inside, and a dashed red arc for the share of overdue
 * points it holds (逾期 N in its tooltip). From `individual_zoom` on (the first zoom at which the densest frame-sized window holds few
 * enough points, measured in Python) every point in view is drawn by itself, as above. A cluster is not a feature
 * for streamlit-folium: clicking it zooms in to where it splits, in the browser, without a rerun.
 */
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }

  function star(ctx, x, y, r) {
    for (var k = 0; k < 10; k++) {
      var radius = k % 2 === 0 ? r * 1.45 : r * 0.62;
      var angle = -Math.PI / 2 + k * Math.PI / 5;
      ctx[k === 0 ? "moveTo" : "lineTo"](x + radius * Math.cos(angle), y + radius * Math.sin(angle));
    }
    ctx.closePath();
  }
  var SHAPES = {
    circle: function (ctx, x, y, r) { ctx.arc(x, y, r, 0, Math.PI * 2, false); },
    square: function (ctx, x, y, r) { ctx.rect(x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8); },
    diamond: function (ctx, x, y, r) {
      ctx.moveTo(x, y - r * 1.25); ctx.lineTo(x + r * 1.25, y); ctx.lineTo(x, y + r * 1.25); ctx.lineTo(x - r * 1.25, y);
      ctx.closePath();
    },
    triangle: function (ctx, x, y, r) {
      ctx.moveTo(x, y - r * 1.3); ctx.lineTo(x + r * 1.2, y + r * 0.8); ctx.lineTo(x - r * 1.2, y + r * 0.8); ctx.closePath();
    },
    star: star
  };

  L.Canvas.include({
    _updateXzShape: function (layer) {
      if (!this._drawing || layer._empty()) { return; }
      var p = layer._point, ctx = this._ctx, r = Math.max(layer._radius, 1);
      ctx.beginPath();
      (SHAPES[layer.options.shape] || SHAPES.circle)(ctx, p.x, p.y, r);
      this._fillStroke(ctx, layer);
    }
  });

  var TOUCH_REACH = 22; // px from the centre: a finger's tap selects the nearest point this close
  var TOUCH_GRACE_MS = 800; // mouse events this soon after a touch were made from it
  var lastTouch = -Infinity;
  function noteTouch() { lastTouch = Date.now(); }
  document.addEventListener("touchstart", noteTouch, { capture: true, passive: true });
  document.addEventListener("touchend", noteTouch, { capture: true, passive: true });

  function byTouch(e) {
    if (e.pointerType) { return e.pointerType === "touch"; }
    if (e.sourceCapabilities && e.sourceCapabilities.firesTouchEvents) { return true; }
    return Date.now() - lastTouch < TOUCH_GRACE_MS;
  }

  // The interactive point (L.XzMarker) of this canvas nearest to `point`, within its reach; null if none.
  function nearestPoint(renderer, point, touch) {
    var best = null, bestDistance = Infinity;
    for (var order = renderer._drawFirst; order; order = order.next) {
      var layer = order.layer;
      if (!layer._xzPoint || !layer.options.interactive || !layer._point) { continue; }
      var distance = point.distanceTo(layer._point);
      var reach = layer._radius + layer._clickTolerance();
      if (touch) { reach = Math.max(reach, TOUCH_REACH); }
      if (distance <= reach && distance <= bestDistance) { best = layer; bestDistance = distance; } // a tie: the top one
    }
    return best;
  }

  // The cluster (L.XzCluster) of this canvas under `point` -- its ring and the dashed arc around it, a finger's
  // reach for a touch -- the top-most one; null if none.
  function clusterAt(renderer, point, touch) {
    var found = null;
    for (var order = renderer._drawFirst; order; order = order.next) {
      var layer = order.layer;
      if (!layer._xzCluster || !layer._point) { continue; }
      var reach = layer._radius + 6;
      if (touch) { reach = Math.max(reach, TOUCH_REACH); }
      if (point.distanceTo(layer._point) <= reach) { found = layer; }
    }
    return found;
  }

  // Leaflet's own handlers, kept once even if this file is loaded twice.
  var canvasClick = L.Canvas.prototype._xzLeafletClick || L.Canvas.prototype._onClick;
  var canvasHover = L.Canvas.prototype._xzLeafletHover || L.Canvas.prototype._handleMouseHover;
  L.Canvas.prototype._xzLeafletClick = canvasClick;
  L.Canvas.prototype._xzLeafletHover = canvasHover;
  var CLICKS = "click dblclick mousedown mouseup contextmenu";

  // A canvas binds its click handler when it is first drawn on: one made before this file ran (the map's shared
  // canvas, drawn on by the town areas first) still holds Leaflet's. Swap it for ours, once per canvas. (Hovering
  // needs nothing: Leaflet looks `_handleMouseHover` up at each move.)
  function useOurClicks(renderer) {
    var box = renderer && renderer._container;
    if (!box || box._xzClicks) { return; }
    box._xzClicks = true;
    L.DomEvent.off(box, CLICKS, canvasClick, renderer);
    L.DomEvent.on(box, CLICKS, renderer._onClick, renderer);
  }
  L.Canvas.include({
    _onClick: function (e) {
      var cluster = clusterAt(this, this._map.mouseEventToLayerPoint(e), byTouch(e));
      if (cluster) {
        // Not passed on: the map must not take it as a click on a town area or on the map (the edit page would
        // place a point there). The mouse's press still reaches the map, which drags from a cluster as from anywhere.
        if (e.type === "click" || e.type === "dblclick") {
          L.DomEvent.stop(e);
          if (e.type === "click" && !this._map._draggableMoved(cluster)) { cluster.zoomIn(); }
        }
        return;
      }
      var hit = nearestPoint(this, this._map.mouseEventToLayerPoint(e), byTouch(e));
      if (hit && (!(e.type === "click" || e.type === "preclick") || !this._map._draggableMoved(hit))) {
        this._fireEvent([hit], e);
        return;
      }
      canvasClick.call(this, e);
    },
    // The tooltip and cursor follow the same rule (desktop reach), so the point a tooltip names is the one a click opens.
    _handleMouseHover: function (e, point) {
      if (this._mouseHoverThrottled) { return; }
      var hit = clusterAt(this, point, false) || nearestPoint(this, point, false);
      if (!hit) { return canvasHover.call(this, e, point); }
      if (hit !== this._hoveredLayer) {
        this._handleMouseOut(e);
        L.DomUtil.addClass(this._container, "leaflet-interactive");
        this._fireEvent([hit], e, "mouseover");
        this._hoveredLayer = hit;
      }
      this._fireEvent([hit], e);
      this._mouseHoverThrottled = true;
      setTimeout(L.bind(function () { this._mouseHoverThrottled = false; }, this), 32);
    }
  });

  L.XzMarker = L.CircleMarker.extend({
    _xzPoint: true,
    _updatePath: function () {
      if (this._renderer._updateXzShape) { this._renderer._updateXzShape(this); } else { L.CircleMarker.prototype._updatePath.call(this); }
    }
  });

  function tooltipFor(data, lateDays, row) {
    var kind = data.kinds[data.code_kind[data.c[row]]];
    var box = document.createElement("div");
    var title = document.createElement("b");
    title.textContent = data.n ? data.n[row] : kind.label;
    var line = document.createElement("div");
    line.textContent = kind.label + " · " + data.statuses[data.c[row]] + (data.n ? "" : "（点击查看详情）");
    box.appendChild(title);
    box.appendChild(line);
    if (lateDays[row]) {
      var late = document.createElement("div");
      late.className = "xz-late-text";
      late.textContent = "逾期 " + grouped(lateDays[row]) + " 天";
      box.appendChild(late);
    }
    return box;
  }

  // Coordinates arrive as integer steps of 1e-5 degree from an origin, delta-encoded in send order.
  function decode(deltas, origin, scale) {
    var out = new Array(deltas.length), value = 0;
    for (var k = 0; k < deltas.length; k++) { value += deltas[k]; out[k] = origin + value / scale; }
    return out;
  }

  // Counts as a Chinese reader reads them (the twin of loaders.readable.count): 1,234; from 10,000 on in 万 with
  // at most one decimal (4.5万), which fits inside a cluster.
  function grouped(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function countText(n, wan) {
    if (!wan || n < 10000) { return grouped(n); }
    return grouped(Math.round(n / 1000) / 10).replace(/\.0$/, "") + "万";
  }

  L.Canvas.include({
    _updateXzCluster: function (layer) {
      if (!this._drawing || layer._empty()) { return; }
      var p = layer._point, ctx = this._ctx, r = layer._radius, o = layer.options, start = -Math.PI / 2;
      var font = o.font, tau = Math.PI * 2;
      ctx.save();
      if (o.late) { // a dashed arc from 12 o'clock for the overdue share: reads without colour vision, like the
        // dashed ring of a single overdue point; at least a quarter, so one overdue point among many is still seen
        ctx.beginPath();
        ctx.arc(p.x, p.y, r + 4, start, start + tau * Math.max(o.late / o.count, 0.25), false);
        ctx.setLineDash([5, 3]);
        ctx.lineWidth = 3;
        ctx.strokeStyle = o.lateColor;
        ctx.stroke();
        ctx.setLineDash([]);
      }
      for (var s = 0; s < o.stages.length; s++) {
        if (!o.stages[s]) { continue; }
        var end = start + tau * o.stages[s] / o.count;
        ctx.beginPath();
        ctx.moveTo(p.x, p.y);
        ctx.arc(p.x, p.y, r, start, end, false);
        ctx.closePath();
        ctx.fillStyle = o.colors[s];
        ctx.fill();
        start = end;
      }
      ctx.beginPath();
      ctx.arc(p.x, p.y, r * 0.64, 0, tau, false);
      ctx.fillStyle = "#ffffff";
      ctx.fill();
      ctx.fillStyle = "#1f2933";
      ctx.font = "bold " + font + "px sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(countText(o.count, true), p.x, p.y + 0.5);
      ctx.restore();
    }
  });

  L.XzCluster = L.CircleMarker.extend({
    _xzCluster: true,
    _updatePath: function () { this._renderer._updateXzCluster(this); },
    // Leaflet redraws the canvas only where a layer's bounds say: the dashed arc lies outside the circle.
    _updateBounds: function () {
      var r = this._radius + 6;
      this._pxBounds = new L.Bounds(this._point.subtract([r, r]), this._point.add([r, r]));
    },
    // To where its points fill the map, and at least to where it splits.
    zoomIn: function () {
      var map = this._map;
      if (!map) { return; }
      var box = L.latLngBounds(this.options.leaves().map(function (p) { return [p[1], p[0]]; }));
      var zoom = Math.min(Math.max(this.options.expansion(), map.getBoundsZoom(box.pad(0.1))), map.getMaxZoom());
      map.setView(zoom > map.getZoom() + 0.5 ? box.getCenter() : this._latlng, zoom);
    }
  });

  function bytesOf(text) {
    var bin = window.atob(text), out = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) { out[k] = bin.charCodeAt(k); }
    return out;
  }
  function typed(text, Type) {
    var bytes = bytesOf(text);
    return new Type(bytes.buffer, 0, bytes.byteLength / Type.BYTES_PER_ELEMENT);
  }

  function clusterTooltip(stages, o) {
    var box = document.createElement("div"), title = document.createElement("b");
    title.textContent = grouped(o.count) + " 个点位";
    box.appendChild(title);
    var parts = [];
    for (var s = 0; s < stages.length; s++) {
      if (o.stages[s]) { parts.push(stages[s].label + " " + grouped(o.stages[s])); }
    }
    var line = document.createElement("div");
    line.textContent = parts.join(" · ");
    box.appendChild(line);
    if (o.late) {
      var late = document.createElement("div");
      late.className = "xz-late-text";
      late.textContent = "逾期 " + grouped(o.late);
      box.appendChild(late);
    }
    var hint = document.createElement("div");
    hint.textContent = "点击放大查看";
    box.appendChild(hint);
    return box;
  }

  // The arrays of a dense view: inside the payload as base64, or one blob fetched from the server
  // (dashboard/pointdata.py; `blob` names each array's byte range). A refused fetch is retried for a few seconds:
  // right after a sign-in the browser may not hold its session cookie yet.
  function arraysOf(data, done, failed) {
    var types = { x: Int32Array, y: Int32Array, c: Uint8Array, late: Uint16Array };
    if (!data.blob) {
      var out = {};
      for (var name in types) { if (data[name]) { out[name] = typed(data[name], types[name]); } }
      return done(out);
    }
    var tries = 0;
    (function attempt() {
      fetch(data.blob.src, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.arrayBuffer();
      }).then(function (buffer) {
        var out = {};
        for (var name in types) {
          var range = data.blob[name];
          if (range) { out[name] = new types[name](buffer.slice(range[0], range[1])); }
        }
        return out;
      }).then(done, function () { // only a failed fetch is tried again, never a failure of drawing what came
        if (++tries < 6) { setTimeout(attempt, 400 * tries); } else { failed(); }
      });
    })();
  }

  // Town names (mapview's area labels) lie where a town's points gather, i.e. under its cluster: a name that would
  // cover a cluster's count moves to just above the ring; the others stay where they are.
  function clearOfClusters(map, clusters) {
    for (var id in map._layers) {
      var label = map._layers[id], icon = label._icon, options = label.options.icon && label.options.icon.options;
      if (!icon || !options || String(options.className).indexOf("xz-area-label") < 0 || !icon.firstChild) { continue; }
      var text = icon.firstChild, width = text.offsetWidth, height = text.offsetHeight, offset = 0;
      text.style.marginTop = "0px";
      if (width && height) {
        var at = map.latLngToLayerPoint(label.getLatLng());
        for (var k = 0; k < clusters.length; k++) {
          var ring = clusters[k], reach = ring._radius + 6;
          if (Math.abs(ring._point.x - at.x) < width / 2 + reach && Math.abs(ring._point.y - at.y) < height / 2 + reach) {
            offset = ring._point.y - reach - height / 2 - at.y;
            break;
          }
        }
      }
      text.style.marginTop = offset + "px";
    }
  }

  function clusteredPoints(data, options) {
    var group = L.featureGroup(), ready = null;
    group._xzClusters = true;
    group._xzTotal = data.count;
    group.visibleClusters = function () { return ready ? ready.visibleClusters() : []; };
    // The legend's cluster row shows while clusters are drawn (mapview.CLUSTER_ROW_CSS).
    group.on("add", function () {
      group._map.on("moveend", redraw);
      L.DomUtil.addClass(group._map.getContainer(), "xz-clustered");
      redraw();
    });
    group.on("remove", function (e) {
      e.target._map.off("moveend", redraw);
      L.DomUtil.removeClass(e.target._map.getContainer(), "xz-clustered");
      clearOfClusters(e.target._map, []);
    });
    function redraw() { if (ready) { ready.redraw(); } }
    var note = null;
    arraysOf(data, function (arrays) {
      ready = clusterLayer(group, data, arrays, options);
      redraw();
    }, function () {
      var map = group._map;
      if (map) {
        note = L.control({ position: "topleft" });
        note.onAdd = function () {
          var box = L.DomUtil.create("div", "xz-control xz-points-failed");
          box.textContent = "点位数据未能载入（登录可能已结束），请刷新页面。";
          return box;
        };
        note.addTo(map);
      }
    });
    group.on("remove", function (e) { if (note) { e.target._map.removeControl(note); note = null; } });
    return group;
  }

  function clusterLayer(group, data, arrays, options) {
    var renderer = options.sharedRenderer ? undefined : L.canvas({ padding: 0.5, tolerance: 4 });
    var xs = arrays.x, ys = arrays.y, codes = arrays.c;
    var late = arrays.late || new Uint16Array(codes.length);
    var count = codes.length, radius = options.radius || 6, font = options.clusterFont || 12;
    var lons = new Float64Array(count), lats = new Float64Array(count), features = new Array(count);
    for (var k = 0; k < count; k++) {
      lons[k] = data.x0 + xs[k] / data.scale;
      lats[k] = data.y0 + ys[k] / data.scale;
      features[k] = { type: "Feature", properties: { i: k }, geometry: { type: "Point", coordinates: [lons[k], lats[k]] } };
    }
    var stageOf = data.stage_of, stageCount = data.stages.length;
    var colors = data.stages.map(function (s) { return s.color; });
    var index = new window.Supercluster({
      // supercluster measures its radius in a 512-unit tile; Leaflet's tiles are 256 px
      radius: data.cluster.radius * 2, extent: 512, minPoints: 2,
      maxZoom: Math.max(0, data.cluster.individual_zoom - 1),
      map: function (props) {
        var out = { l: late[props.i] ? 1 : 0 };
        for (var s = 0; s < stageCount; s++) { out["s" + s] = 0; }
        out["s" + stageOf[codes[props.i]]] = 1;
        return out;
      },
      reduce: function (into, props) {
        for (var s = 0; s < stageCount; s++) { into["s" + s] += props["s" + s]; }
        into.l += props.l;
      }
    }).load(features);
    var pointData = { kinds: data.kinds, code_kind: data.code_kind, statuses: data.statuses, c: codes, n: data.n };
    var shown = [];

    function single(row) {
      var kind = data.kinds[data.code_kind[codes[row]]], at = [lats[row], lons[row]];
      if (late[row]) {
        var ring = L.circleMarker(at, {
          renderer: renderer, radius: radius + 5, color: options.lateColor, weight: 2.2, dashArray: "4 3", fill: false,
          interactive: false
        });
        ring._xzLate = true;
        shown.push(ring);
      }
      var marker = new L.XzMarker(at, {
        renderer: renderer, shape: kind.shape, radius: kind.shape === "star" ? radius + 2 : radius,
        color: "#ffffff", weight: 1.2, fillColor: data.colors[codes[row]], fillOpacity: 0.92
      });
      marker.feature = { type: "Feature", properties: { i: row, t: data.t } };
      marker.bindTooltip(function () { return tooltipFor(pointData, late, row); }, { sticky: true });
      shown.push(marker);
    }

    function cluster(item) {
      var props = item.properties, stages = [];
      for (var s = 0; s < stageCount; s++) { stages.push(props["s" + s]); }
      var size = props.point_count;
      var marker = new L.XzCluster([item.geometry.coordinates[1], item.geometry.coordinates[0]], {
        renderer: renderer, radius: Math.round(font * 1.1 + font * 0.3 * Math.log(size) / Math.LN10),
        count: size, stages: stages, colors: colors, late: props.l, font: font,
        lateColor: options.lateColor,
        expansion: function () { return index.getClusterExpansionZoom(props.cluster_id); },
        leaves: function () {
          return index.getLeaves(props.cluster_id, Infinity).map(function (f) { return f.geometry.coordinates; });
        }
      });
      marker._xzCount = size;
      marker.bindTooltip(function (layer) { return clusterTooltip(data.stages, layer.options); }, { sticky: true });
      shown.push(marker);
    }

    function redraw() {
      var map = group._map;
      if (!map) { return; }
      for (var k = 0; k < shown.length; k++) { group.removeLayer(shown[k]); }
      shown = [];
      var box = map.getBounds().pad(0.3);
      var items = index.getClusters([Math.max(box.getWest(), -180), Math.max(box.getSouth(), -85),
                                     Math.min(box.getEast(), 180), Math.min(box.getNorth(), 85)], map.getZoom());
      for (var j = 0; j < items.length; j++) {
        if (items[j].properties.cluster) { cluster(items[j]); } else { single(items[j].properties.i); }
      }
      for (var m = 0; m < shown.length; m++) { group.addLayer(shown[m]); }
      if (shown.length) { useOurClicks(shown[0]._renderer); }
      clearOfClusters(map, shown.filter(function (layer) { return layer._xzCluster; }));
      if (highlight) { highlight.bringToFront(); }
      map._xzRedrawn = (map._xzRedrawn || 0) + 1;
    }

    var highlight = null;
    if (data.highlight !== null && data.highlight !== undefined && data.highlight < count) {
      highlight = L.circleMarker([lats[data.highlight], lons[data.highlight]], {
        renderer: renderer, radius: radius + 9, color: options.highlightColor || "#1f6feb", weight: 3, fill: false,
        interactive: false
      }).addTo(group);
    }
    // The clusters drawn now, with their place in the map's frame (for tests and benchmarks).
    function visibleClusters() {
      var map = group._map, size = map ? map.getSize() : null;
      return shown.filter(function (layer) {
        if (!layer._xzCluster || !map) { return false; }
        var at = map.latLngToContainerPoint(layer.getLatLng());
        return at.x >= 0 && at.y >= 0 && at.x <= size.x && at.y <= size.y;
      }).map(function (layer) {
        var at = map.latLngToContainerPoint(layer.getLatLng()), ll = layer.getLatLng();
        return { lat: ll.lat, lng: ll.lng, count: layer.options.count, late: layer.options.late, x: at.x, y: at.y };
      });
    }
    return { redraw: redraw, visibleClusters: visibleClusters };
  }

  L.xzPoints = function (data, options) {
    if (data.cluster) { return clusteredPoints(data, options); }
    var group = L.featureGroup();
    // options.sharedRenderer: draw on the map's own canvas (Map preferCanvas), so that clicks on other canvas
    // layers (town areas) below the points still reach them; otherwise a canvas of our own.
    var renderer = options.sharedRenderer ? undefined : L.canvas({ padding: 0.5, tolerance: 4 });
    var lons = decode(data.x, data.x0, data.scale), lats = decode(data.y, data.y0, data.scale);
    var radius = options.radius || 6;
    // Overdue points: a dashed ring around each, drawn first so the point itself stays on top.
    var lateDays = {}, late = data.late || [];
    for (var k = 0; k < late.length; k++) {
      var pos = late[k];
      lateDays[pos] = data.late_days[k];
      var ring = L.circleMarker([lats[pos], lons[pos]], {
        renderer: renderer, radius: radius + 5, color: options.lateColor, weight: 2.2, dashArray: "4 3", fill: false,
        interactive: false
      });
      ring._xzLate = true;
      group.addLayer(ring);
    }
    for (var row = 0; row < lons.length; row++) {
      var code = data.c[row], kind = data.kinds[data.code_kind[code]];
      var marker = new L.XzMarker([lats[row], lons[row]], {
        renderer: renderer, shape: kind.shape, radius: kind.shape === "star" ? radius + 2 : radius,
        color: "#ffffff", weight: 1.2, fillColor: data.colors[code], fillOpacity: 0.92
      });
      marker.feature = { type: "Feature", properties: { i: data.order[row], t: data.t } };
      marker.bindTooltip((function (r) { return function () { return tooltipFor(data, lateDays, r); }; })(row),
                         { sticky: true });
      group.addLayer(marker);
    }
    group.on("add", function () { group.eachLayer(function (layer) { useOurClicks(layer._renderer); }); });
    if (data.highlight !== null && data.highlight !== undefined) {
      var at = data.order.indexOf(data.highlight);
      if (at >= 0) {
        L.circleMarker([lats[at], lons[at]], {
          radius: radius + 9, color: options.highlightColor || "#1f6feb", weight: 3, fill: false, interactive: false
        }).addTo(group);
      }
    }
    return group;
  };
})();
