"""Tests of the plugin registry's discovery and its on-disk caches."""
