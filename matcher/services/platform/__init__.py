"""The platform under the use cases: mail, outbox, tokens, accounts, administration, notices."""
