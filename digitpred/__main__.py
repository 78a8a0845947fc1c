"""`python -m digitpred`: the same command as `digitpred`."""

from digitpred.console import main

main(prog_name="digitpred")
