"""Helpers shared by the fault tests and the soak (``bench/soak.py``): real processes, not mocks."""
