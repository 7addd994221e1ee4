"""Sufficient statistics, the count-level bootstrap, intervals, tests and corrections."""

from equilens.stats._tables import CellStats, ScoreBins

__all__ = ["CellStats", "ScoreBins"]
