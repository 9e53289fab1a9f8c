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

  var canvasClick = L.Canvas.prototype._onClick;
  var canvasHover = L.Canvas.prototype._handleMouseHover;
  L.Canvas.include({
    _onClick: function (e) {
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
      var hit = nearestPoint(this, point, false);
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
      late.textContent = "逾期 " + lateDays[row] + " 天";
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

  L.xzPoints = function (data, options) {
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
