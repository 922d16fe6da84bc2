"""The platform under the use cases: mail, outbox, tokens, audit, accounts, admin."""
