"""``python -m innolab`` is the ``innolab`` command."""

import sys

from .cli import main

sys.exit(main())
