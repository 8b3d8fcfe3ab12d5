"""The conformance checks: one module per requirement family, each check a pytest test marked with the
requirement it decides (`@pytest.mark.requirement("EXP-10")`).

The plugin collects these modules (they are not named test_*.py, so nobody takes them for the harness's own
tests): `conformance run` drives them in-process, and a supplier's CI runs
`pytest --pyargs conformance.checks --conformance-spec URL`. What checks share lives in `kit/`.
"""
