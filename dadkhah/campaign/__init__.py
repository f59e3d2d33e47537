"""Call-for-justice statements and petitions: signing, counting, moderation, delivery.

See ``docs/campaign.md`` for the data flow.
"""
