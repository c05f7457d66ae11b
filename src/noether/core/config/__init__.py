"""Turning YAML and dicts into validated config objects and back."""
