#!/usr/bin/python3
"""Local AWS stand-in for remotion-janitor: see README.md beside this file."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from awsstandin.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
