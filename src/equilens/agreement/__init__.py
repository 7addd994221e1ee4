"""Agreement between raters: Krippendorff's alpha, Cohen's and Fleiss' kappa, ICC."""

from equilens.agreement._alpha import LEVELS, alpha_parts, krippendorff_alpha
from equilens.agreement._document import check_agreement, read_agreement
from equilens.agreement._icc import IccResult, icc
from equilens.agreement._io import read_columns
from equilens.agreement._kappa import Estimate, cohen_kappa, fleiss_kappa
from equilens.agreement._resample import (
    BootstrapResult,
    bca_bounds,
    resampled_unit_totals,
    unit_bootstrap,
)
from equilens.agreement._table import (
    AgreementTables,
    RatingColumns,
    agreement_tables,
    homogeneity_test,
)

__all__ = [
    "LEVELS",
    "AgreementTables",
    "BootstrapResult",
    "Estimate",
    "IccResult",
    "RatingColumns",
    "agreement_tables",
    "alpha_parts",
    "bca_bounds",
    "check_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "homogeneity_test",
    "icc",
    "krippendorff_alpha",
    "read_agreement",
    "read_columns",
    "resampled_unit_totals",
    "unit_bootstrap",
]
