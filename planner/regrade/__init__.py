"""Regrading (进退级): inspection results and events move enterprises between risk classes."""
