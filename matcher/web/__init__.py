"""The web layer: a blueprint per audience."""
