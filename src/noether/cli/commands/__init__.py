"""One module per subcommand, each with ``add_parser(subparsers)`` and ``run(args) -> int``.

Command modules are imported at start-up to build the parser, so they must not import torch at module level.
"""
