"""`python -m bench`: the same as `python bench/run.py` (every benchmark, and bench/REPORT.md)."""

import sys

from bench.run import main

sys.exit(main())
