"""Integrations with the tools data scientists track models in.

* :mod:`equilens.integrations.mlflow`: :func:`~equilens.integrations.mlflow.log_audit` logs an
  audit's key metrics with their interval bounds, the gate verdict and the report files to an
  MLflow run (``pip install 'equilens[mlflow]'``).

Each integration imports its library only when called, so ``import equilens`` never needs it.
"""
