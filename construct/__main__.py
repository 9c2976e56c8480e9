"""``python -m construct``: the ``couplings`` command."""

import sys

from construct.front.cli import main

if __name__ == "__main__":
    sys.exit(main())
