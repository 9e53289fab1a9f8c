"""The town-level units (乡镇、街道 and other units) as one object: `Units`, returned by `store.units()`.

Every page, the importer, sign-in and the CLI ask it the same questions -- which unit does "黄集", "黄集镇" or
"420607102000" mean, what is a code's name or short name, which map area is it drawn in, which units form the
consultation network -- so a unit is spelled the same way everywhere.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

COLUMNS = ("code", "name", "short_name", "type", "lon", "lat", "uncertainty_km", "point_note", "in_network",
           "area_code", "order")


def spelling(text) -> str:
    """How a unit name is compared: full-width folded (NFKC), spaces and dashes dropped, lower case."""
    return re.sub(r"[\s\-_:：*＊]+", "", unicodedata.normalize("NFKC", str(text or "")).strip().lower())


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    short_name: str
    type: str | None = None
    lon: float | None = None
    lat: float | None = None
    uncertainty_km: float | None = None
    point_note: str | None = None
    in_network: bool = False
    area_code: str | None = None  # the map area it is drawn in (its own, or its host's)
    order: int = 0

    @property
    def area(self) -> str:
        return self.area_code or self.code


@dataclass(frozen=True)
class Units:
    """All units in display order, with lookups by code and by any spelling of a name."""

    all: tuple[Unit, ...]
    _by_code: dict = field(init=False, repr=False, compare=False)
    _by_spelling: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        by_code = {u.code: u for u in self.all}
        by_spelling: dict[str, str] = {}
        for unit in self.all:
            for text in (unit.code, unit.name, unit.short_name):
                if text:
                    by_spelling.setdefault(spelling(text), unit.code)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_spelling", by_spelling)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Units:
        rows = frame.sort_values("order", kind="stable").to_dict("records") if len(frame) else []
        return cls(tuple(Unit(**{k: _plain(row.get(k)) for k in COLUMNS}) for row in rows))

    # Questions ------------------------------------------------------------------------------------------------
    def code_of(self, text) -> str | None:
        """The code a name, short name or code means (黄集镇, 黄集, ４２０６０７１０２０００), or None."""
        return self._by_spelling.get(spelling(text))

    def get(self, code: str | None) -> Unit | None:
        return self._by_code.get(code)

    def name(self, code: str | None, default: str | None = None) -> str:
        unit = self._by_code.get(code)
        return unit.name if unit else (default if default is not None else (code or ""))

    def short(self, code: str | None, default: str | None = None) -> str:
        unit = self._by_code.get(code)
        return unit.short_name if unit else (default if default is not None else (code or ""))

    def area_of(self, code: str | None) -> str | None:
        """The map area a unit is drawn in: its own, or the area of the unit that hosts it (襄北农场 …)."""
        unit = self._by_code.get(code)
        return unit.area if unit else code

    def areas_of(self, codes) -> tuple[str, ...]:
        """The map areas these units are drawn in, each once, in the order given."""
        return tuple(dict.fromkeys(self.area_of(code) for code in codes))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(u.code for u in self.all)

    @property
    def network(self) -> tuple[Unit, ...]:
        """The 17 units of the consultation network, in display order."""
        return tuple(u for u in self.all if u.in_network)

    @property
    def with_areas(self) -> tuple[Unit, ...]:
        """Units that have a map area of their own."""
        return tuple(u for u in self.all if u.area == u.code)

    def names(self, short: bool = False) -> dict[str, str]:
        return {u.code: (u.short_name if short else u.name) for u in self.all}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(u, k) for k in COLUMNS} for u in self.all], columns=list(COLUMNS))

    def __iter__(self):
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)

    def __contains__(self, code) -> bool:
        return code in self._by_code


def _plain(value):
    """NaN (pandas' empty cell) as None; numpy scalars as Python values."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value
