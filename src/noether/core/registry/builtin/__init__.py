"""Noether's own components, registered through the same hook that third-party plugins implement."""
