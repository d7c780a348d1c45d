"""Run the ``llmcost`` command as ``python -m llmcost_jupyter``."""

import sys

from .cli import main

sys.exit(main())
