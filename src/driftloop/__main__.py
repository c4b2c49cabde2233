"""`python -m driftloop` runs the command line."""

from driftloop.cli import main

main()
