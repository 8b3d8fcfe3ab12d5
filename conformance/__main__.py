"""`python -m conformance ...` is the same CLI as `conformance ...`."""

from conformance.cli.main import main

main()
