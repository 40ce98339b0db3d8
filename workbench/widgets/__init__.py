"""Reusable widgets: parameter forms built from `core` specs, landscape views."""
