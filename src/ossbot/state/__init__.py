"""The state database: a ledger of what ossbot did, and a cache. GitHub stays the source of truth."""
