"""Parameter specifications as plain data, so the app can build forms without `core` knowing Qt."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence


@dataclass(frozen=True)
class ParamSpec:
    """One tunable parameter: its name, default, allowed range and a one-line help text."""

    name: str
    default: float | int
    low: float | int | None = None
    high: float | int | None = None
    help: str = ""
    kind: type = float

    def check(self, value: Any) -> float | int:
        """Return `value` converted to `kind`, or raise ValueError saying what is allowed."""
        try:
            converted = self.kind(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"parameter {self.name!r} must be a {self.kind.__name__}, got {value!r}"
            ) from None
        if isinstance(value, bool) or (self.kind is int and float(value) != converted):
            raise ValueError(f"parameter {self.name!r} must be an int, got {value!r}")
        if converted != converted:  # NaN
            raise ValueError(f"parameter {self.name!r} must be a number, got NaN")
        if self.low is not None and converted < self.low:
            raise ValueError(
                f"parameter {self.name!r} = {converted} is below its minimum {self.low} ({self.help})"
            )
        if self.high is not None and converted > self.high:
            raise ValueError(
                f"parameter {self.name!r} = {converted} is above its maximum {self.high} ({self.help})"
            )
        return converted


def param(name: str, default: float | int, low: float | int | None = None, high: float | int | None = None,
          help: str = "", kind: type = float) -> ParamSpec:
    """Shorthand for a `ParamSpec` (positional, as parameter tables read best)."""
    return ParamSpec(name, default, low, high, help, kind)


def resolve_params(
    owner: str, specs: Sequence[ParamSpec], given: Mapping[str, Any]
) -> dict[str, float | int]:
    """Merge `given` over the specs' defaults, checking names and ranges; ValueError on a bad one."""
    known = {s.name: s for s in specs}
    unknown = sorted(set(given) - set(known))
    if unknown:
        allowed = ", ".join(known) or "none"
        raise ValueError(f"{owner} has no parameter {', '.join(map(repr, unknown))}; allowed: {allowed}")
    return {s.name: s.check(given.get(s.name, s.default)) for s in specs}
