"""`python -m advisor` runs the command-line entry point."""

from advisor.cli import main

raise SystemExit(main())
