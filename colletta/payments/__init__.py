"""Payment providers: Colletta never holds money; the ledger mirrors what they confirm."""
