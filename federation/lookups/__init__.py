"""Lookups: matching identifiers, explainable confidence, the recommended action."""
