"""`python -m tributary_worker`: the same command line as `tributary-worker`."""

import sys

from tributary_worker.cli import main

sys.exit(main())
