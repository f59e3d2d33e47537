"""The case record: people, bodies, posts, places, events, sources and claims.

Every fact shown on a record is a ``Claim`` (a property, a value, a status) backed by
``Citation`` rows that name a ``Source``, a locator and a confidence. Typed columns on
the records (labels, event dates, coordinates) are a projection of the preferred claims,
recomputed whenever a claim changes; the claims are the truth.
"""
