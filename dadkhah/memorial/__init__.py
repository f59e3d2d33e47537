"""The public memorial: victims' pages, search, map, timeline and the count.

Everything here is shown to anonymous visitors, so every query goes through
``Level.PUBLIC`` and, for victims, through a reviewed :class:`Publication`.
"""
