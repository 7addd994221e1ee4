"""What speech and image audits share: reading a manifest of files and counting skipped rows.

A manifest is a table (CSV, JSONL or Parquet) with one row per file and columns for the
file path, the reference (transcript or label) and group metadata. Rows that cannot be scored
are skipped with a reason per file (:class:`Skips`), written to the log, and the run fails
when more than ``max_skip`` of the rows were skipped.
"""

from equilens.media._manifest import Skips, cell, check_columns, read_manifest, resolve_path

__all__ = ["Skips", "cell", "check_columns", "read_manifest", "resolve_path"]
