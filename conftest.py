"""Test settings are injected through the environment before Django loads; globals are never mutated."""

import os
import tempfile

os.environ.setdefault("DADKHAH_HOME", tempfile.mkdtemp(prefix="dadkhah-test-home-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dadkhah.settings")
