"""Case files: perpetrator dossiers, incident dossiers and family files, as PDF and HTML.

``assemble`` reads the case record into a plain ``Dossier`` (filtered by the requester's
clearance, protected identities replaced by ``protect``'s pseudonyms); ``render`` turns it
into HTML and PDF and writes the files, the evidence bundle and the custody-ledger entry.
"""
