"""The evidence vault: content-addressed originals, preservation records, an append-only
custody ledger with Merkle proofs and signed checkpoints, extraction, and bundles that
anyone can verify offline. The core modules (store, merkle, checkpoint, canonical,
crypto, capture, extract) import no Django; models and services wire them to the database.
"""
