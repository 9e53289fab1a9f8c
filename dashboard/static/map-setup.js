/*
 * Our own map set-up code (not third-party). Loaded inside the
 * streamlit-folium iframe right after leaflet.js (see dashboard/assets.py).
 *
 * Inline <script> blocks in the folium map header do not run under
 * streamlit-folium (the header is inserted with innerHTML), so anything that
 * must run before the map script lives here.
 *
 * It also defines the 全区 button (L.xzHome, used by dashboard/mapview.py HomeButton).
 *
 * Leaflet normally guesses the default marker image folder from leaflet.css,
 * but streamlit-folium adds the CSS links after the scripts, so the guess can
 * run before leaflet.css is loaded and yield a wrong path. Set it explicitly
 * to the vendored copy served by Streamlit (server.enableStaticServing).
 */
(function () {
  "use strict";
  if (typeof window.L === "undefined" || !window.L.Icon || !window.L.Icon.Default) {
    console.error("map-setup.js: Leaflet is not loaded; load it before this file.");
    return;
  }
  window.L.Icon.Default.imagePath = "/app/static/vendor/leaflet/images/";

  // Leaflet focuses the map on a mouse press (for its arrow keys) and undoes the scroll only inside this frame: the
  // page around the frame scrolled a map that was partly below the fold into view between press and release, so
  // the release -- the click -- landed elsewhere on the map, and a click on a point or cluster did nothing.
  if (window.L.Map.Keyboard) {
    window.L.Map.Keyboard.prototype._onMouseDown = function () {
      if (!this._focused) { this._map._container.focus({ preventScroll: true }); }
    };
  }

  // The 全区 (home) button under the zoom buttons: fits the whole district back into the map.
  // bounds: [[south, west], [north, east]]; text: {title, label}. The icon is inline SVG (offline, no font).
  var L = window.L;
  var HOUSE = '<svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">' +
    '<path d="M10 3 2.5 9.6h2.2V17h4v-4.6h2.6V17h4V9.6h2.2z" fill="currentColor"/></svg>';
  L.xzHome = function (map, bounds, text) {
    var Home = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar leaflet-control xz-home");
        var button = L.DomUtil.create("a", "xz-home-button", bar);
        button.href = "#";
        button.setAttribute("role", "button");
        button.title = text.title;
        button.setAttribute("aria-label", text.label);
        button.innerHTML = HOUSE;
        L.DomEvent.disableClickPropagation(bar);
        L.DomEvent.on(button, "click", function (e) {
          L.DomEvent.preventDefault(e);
          map.fitBounds(bounds, { padding: [12, 12] });
        });
        return bar;
      }
    });
    return new Home().addTo(map);
  };
})();
