"""The sampler registry: `@register_sampler("name")` adds a `Sampler` subclass."""
from __future__ import annotations

from core.registry import Registry

SAMPLERS: Registry[type] = Registry("sampler")


def register_sampler(name: str):
    """Class decorator: register a `Sampler` subclass as `name`."""

    def add(cls):
        cls.name = name
        return SAMPLERS.register(name)(cls)

    return add
