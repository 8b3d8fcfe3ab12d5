"""The conformance checks: one module per requirement family, each check a pytest test. What each decides is
in a table at the end of its module, `DECIDES = {test_json_is_utf8: Decides("EXP-10"), ...}`
(`from_document=True` for a check the document alone decides); the plugin marks each check from it when it
collects them (`requirement` and `from_document`), so checks carry no decorators and mutmut mutates their bodies.

The plugin collects these modules (they are not named test_*.py, so nobody takes them for the harness's own
tests): `conformance run` drives them in-process, and a supplier's CI runs
`pytest --pyargs conformance.checks --conformance-spec URL`. What checks share lives in `kit/`.
"""
