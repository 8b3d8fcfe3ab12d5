"""Fuzzing with the Schemathesis engine: the same phases `st run` drives, its findings mapped to requirement IDs.

engine.py runs it and folds its events into report.py's FuzzReport; findings.py maps failures to requirements;
scope.py says which operations each fuzz-decided requirement speaks for; guard.py holds every request to the
run's Safety; serializers.py, location_check.py and stateful_roots.py extend the engine where it falls short.
"""
