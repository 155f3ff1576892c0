"""`python -m rasd.cli`: the `rasd` command."""

from rasd.cli import main

# a process spawned by this one (the views learning history) imports this module too
if __name__ == "__main__":
    main()
