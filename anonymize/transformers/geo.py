"""coordinates: move a position by a keyed offset of a few kilometres, one offset per entity.

A shop run from home, a customer's delivery point: a latitude/longitude pair at street precision points at the
address the same rules replace, so it moves with it. The offset (a distance between `min_km` and `km`, a bearing)
is a function of the key and the entity (`entity_column`, e.g. the row's id): the `latitude`, `longitude` and
`location` columns of one row move by the same offset and stay consistent with each other, while the town (and the
map's density) survives. Without an entity column the value itself is the entity.

Values: a number (a `lat`/`lng` column: `axis` says which, `auto` reads it from the column's name), a PostgreSQL
`point` "(x,y)" (x = longitude), or a PostGIS point as hex (E)WKB, the text form of `geometry`/`geography`
(other geometries are refused: null them). Decimal places are kept, latitudes stay in [-90, 90] and longitudes
wrap into [-180, 180]. Numbers are not searched for by the leak check (personal=False, as numeric_noise).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import Field, model_validator

from anonymize.errors import RulesError, TransformError
from anonymize.keys import Keyring
from anonymize.transformers.base import ColumnInfo, StrictParams, Transformer, register
from anonymize.transformers.keyed import memoized

_KM_PER_DEGREE = 111.32
_POINT = re.compile(r"^\s*\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)\s*$")
_HEX = re.compile(r"^(?:\\x)?[0-9A-Fa-f]+$")
_LAT_NAME = re.compile(r"(?i)(^|_)(lat|latitude)(_|$)|緯度")
_LON_NAME = re.compile(r"(?i)(^|_)(lng|lon|long|longitude)(_|$)|経度")


class CoordinatesParams(StrictParams):
    axis: Literal["auto", "lat", "lon", "point"] = "auto"
    km: float = Field(default=5.0, gt=0, le=1000)  # the largest offset
    min_km: float = Field(default=1.0, ge=0)  # the smallest: never left on its own street
    entity_column: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CoordinatesParams:
        if self.min_km > self.km:
            raise ValueError("min_km is greater than km")
        return self


def axis_of(name: str) -> str | None:
    """'lat', 'lon' or None, from a column's (or JSON key's) name."""
    if _LAT_NAME.search(name):
        return "lat"
    if _LON_NAME.search(name):
        return "lon"
    return None


@register
class Coordinates(Transformer[CoordinatesParams]):
    name = "coordinates"
    row_params = ("entity_column",)
    accepts = frozenset({"numeric", "text", "other"})
    personal = False  # numbers: not searched for in the output, they'd match everywhere
    default_domain = "coordinates"

    def __init__(
        self, params: CoordinatesParams, column: ColumnInfo, keyring: Keyring, domain: str | None = None
    ) -> None:
        super().__init__(params, column, keyring, domain)
        axis = params.axis
        if axis == "auto" and column.family != "other":
            axis = axis_of(column.name) or "auto"
            if axis == "auto":
                raise RulesError(
                    f"{column.qualified}: coordinates can't tell latitude from longitude by the column's name",
                    "set axis: lat or axis: lon",
                )
        self._axis = axis
        self._digest = keyring.digester(self.domain)
        self._offset = memoized(self._draw, self.cache_size)

    def _draw(self, entity: str) -> tuple[float, float]:
        """(Δlatitude, Δlongitude) in degrees for an entity."""
        digest = self._digest(entity)
        unit = int.from_bytes(digest[:8], "big") / 2**64
        bearing = 2 * math.pi * int.from_bytes(digest[8:16], "big") / 2**64
        # Uniform over the ring's area, not its radius: as many fakes far out as near in.
        low, high = self.params.min_km**2, self.params.km**2
        distance = math.sqrt(low + unit * (high - low))
        return distance * math.cos(bearing) / _KM_PER_DEGREE, distance * math.sin(bearing) / _KM_PER_DEGREE

    def transform(self, value: str, row: Mapping[str, str | None]) -> str | None:
        entity = row.get(self.params.entity_column) if self.params.entity_column else None
        if entity is None:
            entity = value.strip()
        d_lat, d_lon = self._offset(entity)
        point = _POINT.match(value)
        if point is not None:
            x, y = point.groups()
            return f"({_moved(x, d_lon, 'lon')},{_moved(y, d_lat, 'lat')})"
        if self._axis in ("lat", "lon"):
            try:
                return _moved(value.strip(), d_lat if self._axis == "lat" else d_lon, self._axis)
            except (InvalidOperation, ValueError):
                raise TransformError(f"{self.column.qualified}: a value is not a number") from None
        if _HEX.match(value.strip()):
            return self._wkb(value.strip(), d_lat, d_lon)
        raise TransformError(
            f"{self.column.qualified}: a value is neither a point (x,y) nor a WKB point", "rule the column null"
        )

    def _wkb(self, text: str, d_lat: float, d_lon: float) -> str:
        prefix = "\\x" if text.startswith("\\x") else ""
        data = bytes.fromhex(text[len(prefix) :])
        if len(data) < 21:
            raise TransformError(f"{self.column.qualified}: a geometry value is too short to be a point")
        order = "<" if data[0] == 1 else ">"
        (kind,) = struct.unpack(order + "I", data[1:5])
        has_srid = bool(kind & 0x20000000)
        base = kind & 0xFFFF
        if base != 1:
            raise TransformError(
                f"{self.column.qualified}: coordinates move points only; a geometry is another shape", "rule it null"
            )
        start = 5 + (4 if has_srid else 0)
        x, y = struct.unpack(order + "dd", data[start : start + 16])
        lon = _wrap(x + d_lon)
        lat = max(-90.0, min(90.0, y + d_lat))
        moved = data[:start] + struct.pack(order + "dd", lon, lat) + data[start + 16 :]
        out = moved.hex()
        return prefix + (out.upper() if text[len(prefix) :].isupper() else out)


def _moved(text: str, delta: float, axis: str) -> str:
    number = Decimal(text)
    if not number.is_finite():
        return text
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    moved = float(number) + delta
    moved = max(-90.0, min(90.0, moved)) if axis == "lat" else _wrap(moved)
    if places:
        return f"{moved:.{places}f}"
    return f"{moved:.6f}" if "." in text or "e" in text.lower() else str(round(moved))


def _wrap(longitude: float) -> float:
    return (longitude + 180.0) % 360.0 - 180.0
