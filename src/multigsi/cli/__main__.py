"""`python -m multigsi.cli` runs the same command as `multigsi`."""

from multigsi.cli.main import main

main()
