"""Reconciling victim lists: record linkage across scripts (issue 6).

The pure core imports no Django (see ``docs/design/2026-11-21-linkage.md``):

- ``lists``: read a list file (CSV in UTF-8, Windows-1256 or UTF-16; XLSX; ODS) into
  ``ListRecord`` rows, naming every problem by file, line and field; ``listfile`` reads its
  cells (format, encoding, delimiter) and ``lists`` maps the columns and checks the rows;
- ``gazetteer``: cities and prisons in both scripts and their variants (``data/places.yaml``);
- ``prepare``: one row per record in the prepared frame that the Splink model compares;
- ``model``, ``cluster``, ``run``: the model, the clustering and ``dadkhah link``.
"""

# Pairs at or above it join a cluster: 1/2, the Bayes decision (a match when a match is the
# more probable), as the model is calibrated (docs/linkage.md). One value for the CLI, the
# web form and ``LinkConfig``.
DEFAULT_THRESHOLD = 0.5
