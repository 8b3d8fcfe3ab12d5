"""The command line: `main.py` is the group, `shared.py` what commands share, one module per command family."""
