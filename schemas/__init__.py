"""JSON Schemas (draft 2020-12) for every record readout writes; shipped as package data."""
