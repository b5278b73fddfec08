"""Scores with sacrebleu's signatures, line-aligned test sets, and the editor's review report."""
