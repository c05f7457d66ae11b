"""The training engine: counters, data order, the trainer loop and run orchestration."""
