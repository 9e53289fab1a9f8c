"""The 大屏's presets from its URL: a `Filter` (the same words as every page: unit, kind, stage, status, q, from, to)
plus how often to refresh and to tour. Anything unreadable falls back to its default; nothing is refused."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from loaders.filters import Filter
from loaders.units import Units

DEFAULT_REFRESH = 30
DEFAULT_TOUR = 20
REFRESH_RANGE = (1, 3600)
TOUR_RANGE = (2, 3600)
ALIASES = {"units": "unit", "kinds": "kind"}  # spellings older screen links used
_OFF = {"0", "off", "false", "no", "关", "否"}
_ON = {"on", "true", "yes", "1", "开", "是"}


@dataclass(frozen=True)
class Presets:
    where: Filter = Filter()  # what the screen shows; no towns = the whole network
    refresh: int = DEFAULT_REFRESH  # seconds between reads of the store
    tour: int = DEFAULT_TOUR  # seconds per tour stop
    tour_on: bool = True

    @property
    def tick(self) -> int:
        """How often the fragment runs: often enough for both the refresh and the tour."""
        return math.gcd(self.refresh, self.tour)

    def shows(self, kind: str) -> bool:
        return not self.where.kinds or kind in self.where.kinds


def _values(params: Mapping, key: str) -> list[str]:
    raw = params.get_all(key) if hasattr(params, "get_all") else params.get(key)
    if raw is None:
        return []
    return [str(v) for v in raw] if isinstance(raw, (list, tuple)) else [str(raw)]


def _one(params: Mapping, key: str) -> str | None:
    values = [v.strip() for v in _values(params, key) if v.strip()]
    return values[-1] if values else None


def _seconds(text: str | None, default: int, bounds: tuple[int, int]) -> int | None:
    """Seconds from '30', '30s' or '1.5'; None if unreadable."""
    if text is None:
        return default
    try:
        value = float(text.lower().removesuffix("s").removesuffix("秒"))
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(min(max(round(value), bounds[0]), bounds[1]))


def from_query(params: Mapping, units: Units) -> Presets:
    """The screen's presets from the URL query string; anything unreadable falls back to its default."""
    merged = {key: _values(params, key) for key in params if key not in ALIASES}
    for old, new in ALIASES.items():
        merged[new] = merged.get(new, []) + _values(params, old)
    where, _ = Filter.from_query(merged, units)  # a meeting screen shows what it understood, quietly

    refresh = _seconds(_one(params, "refresh"), DEFAULT_REFRESH, REFRESH_RANGE) or DEFAULT_REFRESH
    tour_text = _one(params, "tour")
    tour_on = True
    tour = DEFAULT_TOUR
    if tour_text is not None and tour_text.lower() in _OFF:
        tour_on = False
    elif tour_text is not None and tour_text.lower() not in _ON:
        tour = _seconds(tour_text, DEFAULT_TOUR, TOUR_RANGE) or DEFAULT_TOUR
    switch = _one(params, "autotour")
    if switch is not None:
        tour_on = switch.lower() not in _OFF
    return Presets(where, refresh, tour, tour_on)
