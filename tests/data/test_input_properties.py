"""Property tests: row order, input form and codes that decode back to the values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.data import MISSING_LABEL, group_label, prepare_inputs
from equilens.exceptions import InvalidInputError

#: Group values, with real values that look like the missing label (kept apart from it).
GROUP_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["a", "b", "B", "é", "10", "9", "", MISSING_LABEL, "\\" + MISSING_LABEL]),
)


def _all_missing(groups: list[Any]) -> bool:
    return all(v is None or v == "" for v in groups)


@st.composite
def audit_rows(draw: st.DrawFn) -> tuple[list[int], list[int], list[str | None], list[int]]:
    n = draw(st.integers(1, 60))
    y_true = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    groups = draw(st.lists(GROUP_VALUES, min_size=n, max_size=n))
    perm = draw(st.permutations(range(n)))
    return y_true, y_pred, groups, list(perm)


@settings(max_examples=150, deadline=None)
@given(audit_rows())
def test_row_permutation_permutes_codes(
    rows: tuple[list[int], list[int], list[str | None], list[int]],
) -> None:
    y_true, y_pred, groups, perm = rows
    p = np.asarray(perm)
    if _all_missing(groups):  # no group at all: an error naming the column
        with pytest.raises(InvalidInputError, match="'g' has no values"):
            prepare_inputs(None, y_true=y_true, y_pred=y_pred, sensitive={"g": groups})
        return
    base = prepare_inputs(None, y_true=y_true, y_pred=y_pred, sensitive={"g": groups})
    shuffled = prepare_inputs(
        None,
        y_true=np.asarray(y_true)[p],
        y_pred=np.asarray(y_pred)[p],
        sensitive={"g": np.asarray(groups, dtype=object)[p]},
    )
    f, g = base.features[0], shuffled.features[0]
    assert f.labels == g.labels
    np.testing.assert_array_equal(f.codes[p], g.codes)
    np.testing.assert_array_equal(base.y_true[p], shuffled.y_true)
    np.testing.assert_array_equal(base.y_pred[p], shuffled.y_pred)
    assert base.positive_label == shuffled.positive_label


@settings(max_examples=150, deadline=None)
@given(audit_rows())
def test_codes_decode_to_values(
    rows: tuple[list[int], list[int], list[str | None], list[int]],
) -> None:
    y_true, y_pred, groups, _ = rows
    if _all_missing(groups):
        return  # an error (test_row_permutation_permutes_codes)
    inputs = prepare_inputs(None, y_true=y_true, y_pred=y_pred, sensitive={"g": groups})
    f = inputs.features[0]
    expected = [MISSING_LABEL if v in (None, "") else group_label(v) for v in groups]
    assert [f.labels[c] for c in f.codes] == expected
    # Distinct values keep distinct labels: a real "<missing>" never joins the missing rows.
    real = {v for v in groups if v not in (None, "")}
    assert len({group_label(v) for v in real}) == len(real)
    assert MISSING_LABEL not in {group_label(v) for v in real}
    present = [group_label(v) for v in sorted(real)]  # sorted by value, not by label
    missing = [MISSING_LABEL] if any(v in (None, "") for v in groups) else []
    assert list(f.labels) == present + missing


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 1), st.one_of(st.none(), st.integers(-3, 3))),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 5),
)
def test_forms_agree_on_random_tables(rows: list[tuple[int, int, int | None]], cut: int) -> None:
    df = pd.DataFrame(rows, columns=["y", "p", "g"])
    df["g"] = df["g"].astype("Int64")
    kwargs: dict[str, Any] = {"y_true": "y", "y_pred": "p", "sensitive": ["g"]}
    if df["g"].isna().all():  # every form refuses a column without values
        for form in (df, df.assign(g=df["g"].astype("float64")), df.to_dict("list")):
            with pytest.raises(InvalidInputError, match="'g' has no values"):
                prepare_inputs(form, **kwargs)
        return
    reference = prepare_inputs(df, **kwargs)
    table = pa.Table.from_pandas(df, preserve_index=False)
    chunked = pa.concat_tables([table.slice(0, cut), table.slice(cut)])
    assert prepare_inputs(chunked, **kwargs) == reference
    as_float = df.assign(g=df["g"].astype("float64"))
    assert prepare_inputs(as_float, **kwargs) == reference
    as_dict = {"y": df["y"].tolist(), "p": df["p"].tolist(), "g": df["g"].tolist()}
    assert prepare_inputs(as_dict, **kwargs) == reference
