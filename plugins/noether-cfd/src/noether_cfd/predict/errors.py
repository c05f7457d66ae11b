"""The error of a bad ``noether predict`` input: printed as one message, no traceback, nothing written."""


class PredictError(Exception):
    """What is wrong with an input, and how to fix it."""
