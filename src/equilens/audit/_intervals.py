"""Percentile intervals of bootstrap draws (moved to :mod:`equilens.stats`)."""

from equilens.stats import draw_interval

__all__ = ["draw_interval"]
