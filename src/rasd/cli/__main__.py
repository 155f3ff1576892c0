"""`python -m rasd.cli`: the `rasd` command."""

from rasd.cli import main

main()
