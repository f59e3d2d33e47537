"""Dadkhah: document a mass atrocity and bring it to justice.

One Django project with one app per domain; see ARCHITECTURE.md in the shared folder
and docs/ for the design notes.
"""

__version__ = "0.1.0"
