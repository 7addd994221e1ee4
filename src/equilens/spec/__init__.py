"""Audit specs: describe an audit once in a YAML file, validate it, run it."""

from equilens.spec._load import load_spec
from equilens.spec._model import AuditSpec
from equilens.spec._run import run_spec, validate_spec

__all__ = ["AuditSpec", "load_spec", "run_spec", "validate_spec"]
