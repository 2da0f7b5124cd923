"""`python -m evals`: the same as `runsource eval`."""

import sys

from evals.cli import main

sys.exit(main(sys.argv[1:]))
