"""Engines: rows in, sufficient statistics (:class:`equilens.stats.CellStats`) out."""

from equilens.engines._numpy import compute_cell_stats

__all__ = ["compute_cell_stats"]
