"""``python -m dadkhah``: the same as the ``dadkhah`` command."""

from dadkhah.cli import main

main()
