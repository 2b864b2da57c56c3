"""readout's application package: fetch, extract, store, diff, detect, export, CLI."""

__version__ = "0.1.0"
