"""Shared kernel: partial dates, vocabularies, confidentiality levels and roles."""
