/*
 * Our own code for the 大屏's map (dashboard/components/screen_page/darkmap.py writes the data).
 *
 * The map follows the tour card. The card (#xz-tour-name, data-stop = the toured unit's code, "" = the whole district)
 * is Streamlit markdown in the page around this frame; the map is a streamlit-folium component whose new arguments
 * reach it by postMessage, a few frames to seconds apart from the card. So the tour is not sent as "move now":
 * Python sends every stop's view, outline and enlarged points once (they change only with the data), and this layer
 * shows the stop the card shows. A MutationObserver on the page calls it in the same microtask checkpoint as the
 * card's change, i.e. before the next paint: card and map change in the same frame.
 *
 * The view jumps (no zoom animation): an animated zoom scales the points' canvas by 2^Δzoom for a quarter second
 * before Leaflet redraws it, and the markers balloon.
 *
 * Overdue points get a ring (data.overdue: [lat, lon] pairs; data.overdue_color), drawn above everything else.
 */
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }

  var active = null; // the tour layer on the map (one at a time: a data refresh replaces it)

  // The stop the tour card shows, or null when the page cannot be read from here.
  function cardStop() {
    try {
      var card = window.parent.document.getElementById("xz-tour-name");
      return card ? card.getAttribute("data-stop") : null;
    } catch (e) {
      return null;
    }
  }

  var observing = false;
  function observeCard() {
    if (observing) { return; }
    try {
      var root = window.parent.document.body;
      if (!root || root === document.body) { return; }
      new MutationObserver(function () { if (active) { active.follow(); } })
        .observe(root, { childList: true, subtree: true, characterData: true, attributes: true,
                         attributeFilter: ["data-stop"] });
      observing = true;
    } catch (e) { /* not reachable: the map stays on the district */ }
  }

  L.XzScreenTour = L.Layer.extend({
    initialize: function (data) {
      this._data = data;
      this._stops = {}; // stop -> its layer group, built when first shown
      this._shown = null;
    },

    onAdd: function (map) {
      var color = this._data.overdue_color;
      this._rings = L.layerGroup(this._data.overdue.map(function (p) {
        return L.circleMarker(p, { radius: 15, color: color, weight: 3.5, opacity: 0.95, fill: false,
                                   interactive: false });
      }));
      active = this;
      observeCard();
      this.follow();
    },

    onRemove: function (map) {
      if (this._shown !== null) { map.removeLayer(this._stops[this._shown]); }
      map.removeLayer(this._rings);
      this._shown = null;
      if (active === this) { active = null; }
    },

    // Show the stop the card shows (else the district) and move the map to it, at once.
    follow: function () {
      var map = this._map, stops = this._data.stops, stop = cardStop();
      if (!map) { return; }
      if (stop === null || !Object.prototype.hasOwnProperty.call(stops, stop)) { stop = ""; }
      if (stop === this._shown) { return; }
      if (this._shown !== null) { map.removeLayer(this._stops[this._shown]); }
      map.removeLayer(this._rings);
      map.addLayer(this._layerOf(stop));
      map.addLayer(this._rings); // after the enlarged points: the rings stay visible around them
      this._shown = stop;
      var view = stops[stop].view;
      map.setView([view[0], view[1]], view[2], { animate: false });
      map.getContainer().setAttribute("data-xz-stop", stop);
    },

    _layerOf: function (stop) {
      if (!this._stops[stop]) {
        var wanted = this._data.stops[stop], group = L.layerGroup();
        if (wanted.outline) {
          L.geoJSON(wanted.outline, { style: this._data.outline_style, interactive: false }).addTo(group);
        }
        wanted.points.forEach(function (payload) {
          L.xzPoints(payload, { radius: this._data.radius, sharedRenderer: true }).addTo(group);
        }, this);
        this._stops[stop] = group;
      }
      return this._stops[stop];
    }
  });

  L.xzScreenTour = function (data) { return new L.XzScreenTour(data); };
})();
