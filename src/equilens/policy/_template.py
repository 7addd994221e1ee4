"""Escalation message templates: a fixed set of ``{name}`` placeholders, rendered safely.

A template is policy text, and its values come from the audit log (group labels are data). So
a template may only name whole placeholders from :data:`PLACEHOLDERS`: no attribute access
(``{value.__class__}``), no indexing (``{group[0]}``), no conversions (``!r``) and no format
specs (``:>999999``). Templates are checked when the policy is validated, and the renderer
enforces the same rules again, so a template can never reach an object's attributes.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

#: Placeholders a message template may use, with what each is replaced by.
PLACEHOLDERS: dict[str, str] = {
    "rule_id": "the rule's id",
    "description": "the rule's description (empty when none)",
    "severity": "the level the outcome counts at (info, warn, block)",
    "status": "the outcome (warn, block, insufficient_evidence, ...)",
    "metric": "the metric or criterion the rule reads",
    "group": "the group (feature=value, ...), 'overall', or the family of a criterion",
    "features": "the family's features (race x sex)",
    "method": "the criterion's method (between_groups, to_overall, to_reference)",
    "on": "the field the rule compares (value, ci_high, p_holm, ...)",
    "op": "the comparison operator",
    "value": "the observed value of that field",
    "threshold": "the rule's threshold",
    "ci_low": "lower bound of the row's interval",
    "ci_high": "upper bound of the row's interval",
    "reason": "the outcome's full, human-readable reason",
    "policy": "the policy's name",
    "run_id": "the audit's run id",
}

#: Used when a policy gives owners or contacts but no message.
DEFAULT_MESSAGE = "[{severity}] {rule_id}: {reason}"

#: Longest rendered message; longer ones are cut with an ellipsis.
MAX_MESSAGE_LENGTH = 2000


def check_template(template: str) -> str:
    """Validate a message template; return it unchanged.

    Parameters
    ----------
    template : str
        The template, e.g. ``"{rule_id}: {metric} for {group} is {value}"``.

    Returns
    -------
    str
        ``template``.

    Raises
    ------
    ValueError
        For unbalanced braces, an unknown placeholder, attribute access, indexing, a
        conversion or a format spec; the message names the offending placeholder.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(
            f"invalid template: {exc} (write {{{{ and }}}} for literal braces)"
        ) from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise ValueError(
                f"unknown placeholder '{{{field}}}' (attribute access, indexing and positional "
                f"placeholders are not allowed); use one of {allowed}"
            )
        if spec or conversion:
            raise ValueError(
                f"placeholder '{{{field}}}' has a conversion or format spec; write the bare "
                f"'{{{field}}}' (values are pre-formatted)"
            )
    return template


class _RestrictedFormatter(string.Formatter):
    """A formatter that only looks up whole names in one mapping of strings."""

    def get_field(
        self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> tuple[Any, str]:
        if field_name not in PLACEHOLDERS or field_name not in kwargs:
            raise ValueError(f"placeholder '{{{field_name}}}' is not allowed")
        return str(kwargs[field_name]), field_name

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion:
            raise ValueError("conversions are not allowed in message templates")
        return value

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec:
            raise ValueError("format specs are not allowed in message templates")
        return str(value)


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Render a checked template with string values (missing placeholders render empty).

    Parameters
    ----------
    template : str
        A template that passed :func:`check_template`.
    values : Mapping[str, str]
        Placeholder values; every value is used as plain text.

    Returns
    -------
    str
        The message, at most :data:`MAX_MESSAGE_LENGTH` characters.
    """
    mapping = {name: str(values.get(name, "")) for name in PLACEHOLDERS}
    try:
        text = _RestrictedFormatter().vformat(template, (), mapping)
    except (ValueError, IndexError, KeyError):
        text = _RestrictedFormatter().vformat(DEFAULT_MESSAGE, (), mapping)
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[: MAX_MESSAGE_LENGTH - 1] + "…"
    return text
