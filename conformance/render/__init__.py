"""Outputs rendered from the run record and from signed statements: results.json, JUnit XML, the HTML
report and the HTML certificate. Nothing here talks to the network or runs anything.
"""
