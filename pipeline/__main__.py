"""`python -m pipeline` is the same as `targman`."""

import sys

from pipeline.cli import main

sys.exit(main())
