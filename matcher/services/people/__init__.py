"""Use cases about people: sign-up, self-service, intake, screening, erasure, access."""
