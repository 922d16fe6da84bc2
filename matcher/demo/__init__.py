"""A realistic, deterministic synthetic agency in Cologne, for demos, tests and benchmarks."""
