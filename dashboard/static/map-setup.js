/*
 * Our own map set-up code (not third-party). Loaded inside the
 * streamlit-folium iframe right after leaflet.js (see dashboard/assets.py).
 *
 * Inline <script> blocks in the folium map header do not run under
 * streamlit-folium (the header is inserted with innerHTML), so anything that
 * must run before the map script lives here.
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
})();
