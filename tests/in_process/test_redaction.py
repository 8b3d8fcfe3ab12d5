"""Credentials never reach an output: every known secret is replaced wherever it appears."""

from dataclasses import dataclass

from conformance.record import Outcome
from conformance.redaction import MARKER, Redactor

TOKEN = "s3cr3t-token-value"


@dataclass(frozen=True)
class Carrier:
    text: str
    items: tuple[str, ...]
    outcome: Outcome


def test_text_replaces_every_occurrence_of_every_secret() -> None:
    redactor = Redactor([TOKEN, "abcd"])
    assert redactor.text(f"Bearer {TOKEN} and {TOKEN}; key=abcd") == f"Bearer {MARKER} and {MARKER}; key={MARKER}"
    assert MARKER == "[REDACTED]"


def test_longest_secret_first_so_none_is_half_replaced() -> None:
    redactor = Redactor(["abcd", "abcdefgh"])
    assert redactor.text("x abcdefgh y") == f"x {MARKER} y"


def test_secrets_shorter_than_four_characters_are_not_treated_as_secrets() -> None:
    assert Redactor(["abc"]).text("abc abcd") == "abc abcd"
    assert Redactor(["abcd"]).text("abc abcd") == f"abc {MARKER}"
    assert Redactor([]).text("nothing to hide") == "nothing to hide"


def test_secrets_are_matched_literally() -> None:
    assert Redactor(["a.b*"]).text("axbb a.b*") == f"axbb {MARKER}"


def test_deep_redacts_dicts_keys_lists_tuples_and_records() -> None:
    redactor = Redactor([TOKEN])
    value = {
        "headers": {"Authorization": f"Bearer {TOKEN}", TOKEN: "as a key"},
        "list": [TOKEN, 3, None],
        "tuple": (TOKEN,),
        "record": Carrier(f"curl -H '{TOKEN}'", (TOKEN, "plain"), Outcome.PASS),
    }
    assert redactor.deep(value) == {
        "headers": {"Authorization": f"Bearer {MARKER}", MARKER: "as a key"},
        "list": [MARKER, 3, None],
        "tuple": (MARKER,),
        "record": Carrier(f"curl -H '{MARKER}'", (MARKER, "plain"), Outcome.PASS),
    }
    assert isinstance(redactor.deep([TOKEN]), list) and isinstance(redactor.deep((TOKEN,)), tuple)


def test_enums_pass_through_unchanged() -> None:
    redactor = Redactor(["pass"])
    assert redactor.deep(Outcome.PASS) is Outcome.PASS
    assert redactor.deep({"o": Outcome.PASS}) == {"o": Outcome.PASS}
