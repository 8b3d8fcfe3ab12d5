"""`python runner.py ...` is the same CLI as `conformance ...`; with no arguments it runs the demo."""

from conformance.cli.main import main

if __name__ == "__main__":
    main()
