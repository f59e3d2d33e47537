"""Full-text search across scripts over evidence pages and the case record, and mentions.

``services.search`` is the one entry point for reading; ``indexing`` keeps the index current.
"""
