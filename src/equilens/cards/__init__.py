"""Model cards, datasheets and claim checks generated from the evidence.

* :func:`write_model_card` renders a model card (Mitchell et al. 2019) from an audit log, with
  Hugging Face ``model-index`` front matter holding the measured values.
* :func:`write_datasheet` describes a data set (Gebru et al. 2021): composition, missingness
  and label balance by group and intersection, with intervals.
* :func:`check_claims` sets the claims of a model card or claims table beside what an audit
  measured and gives each a verdict.
"""

from equilens.cards._card import (
    model_index,
    render_card_html,
    render_card_markdown,
    write_model_card,
)
from equilens.cards._claims import (
    MAX_CI_WIDTH,
    VERDICTS,
    Claim,
    ClaimCheck,
    check_claim,
    check_claims,
    load_claims,
)
from equilens.cards._claims_report import (
    claimed_text,
    measured_text,
    p_text,
    summary_line,
    write_claims,
)
from equilens.cards._datasheet import (
    Datasheet,
    build_datasheet,
    load_table,
    render_datasheet_html,
    render_datasheet_markdown,
    write_datasheet,
)
from equilens.cards._meta import CardMeta, EvaluationData, load_meta

__all__ = [
    "MAX_CI_WIDTH",
    "VERDICTS",
    "CardMeta",
    "Claim",
    "ClaimCheck",
    "Datasheet",
    "EvaluationData",
    "build_datasheet",
    "check_claim",
    "check_claims",
    "claimed_text",
    "load_claims",
    "load_meta",
    "load_table",
    "measured_text",
    "model_index",
    "p_text",
    "render_card_html",
    "render_card_markdown",
    "render_datasheet_html",
    "render_datasheet_markdown",
    "summary_line",
    "write_claims",
    "write_datasheet",
    "write_model_card",
]
