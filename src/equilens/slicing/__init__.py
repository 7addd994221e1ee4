"""Slices: features, intersections, reference groups, membership over finest cells."""

from equilens.slicing._plan import Family, Slice, SlicePlan, build_plan, resolve_intersections

__all__ = ["Family", "Slice", "SlicePlan", "build_plan", "resolve_intersections"]
