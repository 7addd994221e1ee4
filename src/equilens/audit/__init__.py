"""Orchestration: the only package that joins the steps of an audit."""

from equilens.audit._run import audit

__all__ = ["audit"]
