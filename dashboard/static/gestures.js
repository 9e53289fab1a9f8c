/*
 * Our own code (not third-party): turns Leaflet.GestureHandling (vendored from npm, loaded just before this file)
 * on for one map, with Chinese hints. dashboard/mapview.py (GestureHandling) calls L.xzGestures(map, text).
 *
 * On a touch screen one finger scrolls the page and two fingers move or zoom the map; on a desktop the wheel
 * scrolls the page and zooms the map only with Ctrl (⌘ on a Mac), while dragging with the mouse still pans.
 *
 * A click on the map arms the wheel: from then on the wheel zooms the map without Ctrl until the mouse leaves the
 * map (someone who has clicked into the map means to work in it; moving out gives the page its wheel back).
 *
 * One correction to the plugin: it switches dragging on when the mouse enters the map (so a desktop mouse can
 * drag). A phone sends that "mouseover" too, right after every tap, which left dragging on and made the next
 * one-finger swipe pan the map instead of scrolling the page. Mouse events that follow a touch (or come from a
 * screen that cannot hover) are therefore ignored.
 */
(function () {
  "use strict";
  var L = window.L;
  var plugin = window.leafletGestureHandling;
  if (!L || !plugin || !plugin.GestureHandling) {
    console.error("gestures.js: load Leaflet and leaflet-gesture-handling before this file.");
    return;
  }
  var TOUCH_GRACE_MS = 1500;
  var lastTouch = -Infinity;
  function noteTouch() { lastTouch = Date.now(); }
  document.addEventListener("touchstart", noteTouch, { capture: true, passive: true });
  document.addEventListener("touchend", noteTouch, { capture: true, passive: true });

  function cannotHover() {
    return !!(window.matchMedia && window.matchMedia("(hover: none)").matches);
  }

  var proto = plugin.GestureHandling.prototype;
  var mouseOver = proto._handleMouseOver;
  proto._handleMouseOver = function (e) {
    if (cannotHover() || Date.now() - lastTouch < TOUCH_GRACE_MS) { return; }
    return mouseOver.call(this, e);
  };

  var handleScroll = proto._handleScroll;
  proto._handleScroll = function (e) {
    if (!this._xzWheelArmed) { return handleScroll.call(this, e); }
    L.DomUtil.removeClass(this._map._container, "leaflet-gesture-handling-scroll-warning");
    this._map.scrollWheelZoom.enable();
  };

  function armWheel(handler, armed) {
    handler._xzWheelArmed = armed;
    if (armed) { handler._map.scrollWheelZoom.enable(); }
  }

  // text: {touch, scroll, scrollMac}
  L.xzGestures = function (map, text) {
    map.options.gestureHandlingOptions = { text: text, duration: 1500 };
    map.gestureHandling.enable();
    var box = map.getContainer();
    box.classList.add("xz-gestures");
    box.addEventListener("click", function () {
      if (!cannotHover() && Date.now() - lastTouch >= TOUCH_GRACE_MS) { armWheel(map.gestureHandling, true); }
    });
    box.addEventListener("mouseleave", function () { armWheel(map.gestureHandling, false); });
    return map;
  };
})();
