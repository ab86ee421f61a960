"""`python -m l2csim` runs the command-line interface."""

from l2csim.cli import main

main()
