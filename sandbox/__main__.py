"""`python -m sandbox …`: the sandbox store, the same as `manage.py sandbox_store …` (see sandbox.cli)."""

import sys

from .cli import main

sys.exit(main())
