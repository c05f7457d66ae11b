"""A template Noether plugin (see register.py for how it plugs in)."""
