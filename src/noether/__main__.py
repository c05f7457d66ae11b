"""``python -m noether`` runs the CLI."""

import sys

from noether.cli.main import main

sys.exit(main())
