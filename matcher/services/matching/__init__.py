"""Use cases of the matching: the problem, runs, the lifecycle, check-ins, views."""
