"""targman: offline Armenian/English translation with a desk glossary.

The library is the product; `pipeline.cli` is a thin shell over it.
"""

__version__ = "0.1.0"
