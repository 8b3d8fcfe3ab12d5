"""What one run is: its options and frozen settings, the session that collects outcomes into the record, and
the in-process execution that `conformance run` and plain pytest share.
"""
