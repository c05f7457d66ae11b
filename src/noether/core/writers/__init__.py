"""Writers of run outputs: metrics (log writer) and crash-safe checkpoint files."""
