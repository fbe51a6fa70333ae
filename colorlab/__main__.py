"""``python -m colorlab …``: the command line, which lives in colorlab/cli/ (main.py)."""
import sys

from colorlab.cli.main import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
