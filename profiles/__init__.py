"""The requirement catalogues, one YAML file per profile: data, not code.

This folder is installed as the package `conformance.profiles`, so `conformance.catalogue` finds the files
with importlib.resources wherever the harness is installed. Add or edit a profile here; see the README's
"Adding a profile".
"""
