"""Exceptions and warnings raised by equilens.

Every error a user can cause is an :class:`InvalidInputError` (bad data, a missing column or
file) or an :class:`InvalidParameterError` (an option out of range). The CLI prints their
message on one line and exits with code 2; anything else is an internal error (exit code 3).
"""

from __future__ import annotations


class EquilensError(Exception):
    """Base class of all equilens errors."""


class InvalidInputError(EquilensError, ValueError):
    """The data, a file or a column cannot be used as given. The message names it."""


class InvalidParameterError(EquilensError, ValueError, TypeError):
    """An argument of a public function is out of its allowed range or of the wrong type.

    The message follows one format: "The 'min_group_size' parameter of audit must be an int in
    the range [1, inf). Got 0 instead."
    """


class RegistryLookupError(EquilensError, KeyError):
    """A name (metric, engine, ...) is not registered. The message suggests close matches."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence.
        return str(self.args[0]) if self.args else ""


class LogFormatError(EquilensError, ValueError):
    """An audit log cannot be read: unknown format_version or invalid content."""


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for a slice (e.g. recall in a group without positives)."""
