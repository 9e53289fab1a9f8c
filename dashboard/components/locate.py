"""定位到我: the phone's own position, from the browser's Geolocation API, as a candidate position to confirm.

The button is a Streamlit custom component (components v2, mounted in the page, not in an iframe), because the
Geolocation API belongs to the page: it asks the user's permission and only works in a secure context (HTTPS, or
127.0.0.1/localhost). The component sends one fix -- longitude, latitude (WGS-84, as browsers report it),
accuracy in metres -- or the reason there is none; `coordinput.from_fix` checks it against the district and the
accuracy limit. Nothing is ever guessed: no fix, no position.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

# Messages for the Geolocation API's error codes (1 permission, 2 unavailable, 3 timeout) and for pages that
# cannot ask at all (plain http on an intranet address, or a browser without the API).
REFUSALS = {
    "denied": "浏览器没有允许本页使用位置。请在浏览器或微信的设置中允许“位置”权限后再试，或在地图上点选、输入坐标。",
    "unavailable": "手机暂时取不到位置（可能在室内或关闭了定位服务）。请打开定位服务、到室外开阔处再试。",
    "timeout": "定位超时（15 秒内没有取得位置）。请到室外开阔处再试，或在地图上点选、输入坐标。",
    "insecure": "此页面不是通过 HTTPS 打开的，浏览器不允许定位。请使用 https:// 地址（见使用说明“在内网提供 HTTPS”），"
                "或在地图上点选、输入坐标。",
    "unsupported": "这个浏览器不支持定位，请在地图上点选或输入坐标。",
}

# An inline icon: the machine (and many intranet PCs) has no emoji font, and icon fonts would be one more download.
ICON = ('<svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="4" fill="currentColor"/>'
        '<path d="M12 2v3M12 19v3M2 12h3M19 12h3" stroke="currentColor" stroke-width="2"/>'
        '<circle cx="12" cy="12" r="7.5" fill="none" stroke="currentColor" stroke-width="2"/></svg>')
# Disabled until the script has bound it, so an early tap is not silently lost.
HTML = (f'<button type="button" class="xz-locate" disabled>{ICON}<span>定位到我</span></button>'
        '<span class="xz-locate-state" role="status"></span>')
CSS = """
.xz-locate { min-height: 44px; padding: 0 18px; border-radius: 8px; border: 1px solid #1f6feb; background: #1f6feb;
  color: #fff; font-size: 16px; cursor: pointer; font-family: inherit; display: inline-flex; align-items: center;
  gap: 8px; }
.xz-locate:disabled { opacity: .6; cursor: progress; }
.xz-locate-state { margin-left: 10px; color: #555; font-size: 14px; }
"""
JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const button = parentElement.querySelector('.xz-locate');
  const state = parentElement.querySelector('.xz-locate-state');
  if (!button) return;
  button.xzSend = setStateValue;  // every render hands over its own sender: a bound handler never uses a stale one
  if (button.dataset.bound) return;
  button.dataset.bound = '1';
  button.disabled = false;
  const send = (fix) => button.xzSend('fix', Object.assign(fix, { at: Date.now() }));
  const codes = { 1: 'denied', 2: 'unavailable', 3: 'timeout' };
  button.addEventListener('click', () => {
    if (!window.isSecureContext) { send({ error: 'insecure' }); return; }
    if (!navigator.geolocation) { send({ error: 'unsupported' }); return; }
    button.disabled = true;
    state.textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition((where) => {
      button.disabled = false;
      state.textContent = '';
      send({ lon: where.coords.longitude, lat: where.coords.latitude, accuracy: where.coords.accuracy });
    }, (problem) => {
      button.disabled = false;
      state.textContent = '';
      send({ error: codes[problem.code] || 'unavailable' });
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
}
"""

_button = st.components.v2.component("xz_locate", html=HTML, css=CSS, js=JS)


@dataclass(frozen=True)
class Fix:
    """One answer of the phone: a position with its accuracy, or why there is none (a key of REFUSALS)."""

    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    error: str | None = None
    at: float | None = None  # when the browser answered (ms since 1970): one tap, one fix

    @property
    def message(self) -> str | None:
        return REFUSALS.get(self.error or "", REFUSALS["unavailable"]) if self.error else None


def parse(payload) -> Fix | None:
    """The component's value as a Fix; anything malformed (a hand-made message) counts as no position."""
    if not isinstance(payload, dict):
        return None
    at = payload.get("at") if isinstance(payload.get("at"), (int, float)) else None
    if payload.get("error"):
        return Fix(error=str(payload["error"]) if payload["error"] in REFUSALS else "unavailable", at=at)
    try:
        lon, lat, accuracy = (float(payload[k]) for k in ("lon", "lat", "accuracy"))
    except (KeyError, TypeError, ValueError):
        return Fix(error="unavailable", at=at)
    if not all(map(math.isfinite, (lon, lat, accuracy))) or accuracy < 0:
        return Fix(error="unavailable", at=at)
    return Fix(lon, lat, accuracy, at=at)


def button(key: str) -> Fix | None:
    """The 定位到我 button; returns a new fix once per tap. The fix is the component's state, not a one-run trigger:
    a rerun that interrupts the run carrying a trigger (the map reporting its bounds) would lose the tap. `at` tells
    a new fix from the one already used."""
    result = _button(key=key, on_fix_change=lambda: None, height="content")
    fix = parse(getattr(result, "fix", None))
    seen = f"_xz_locate_seen_{key}"
    if fix is None or st.session_state.get(seen) == (fix.at, fix.lon, fix.lat, fix.error):
        return None
    st.session_state[seen] = (fix.at, fix.lon, fix.lat, fix.error)
    return fix
