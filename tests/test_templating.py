from collections import namedtuple
from dataclasses import dataclass

from llmcost_jupyter.templating import fill_placeholders


class Document:
    kind = "memo"

    def __init__(self, body):
        self.body = body

    @property
    def shouting(self):
        raise AssertionError("a property must not run")

    def summary(self):
        raise AssertionError("a method must not run")


def test_fill_name_and_attribute():
    filled = fill_placeholders("A {kind}: {doc.body}", {"kind": "note", "doc": Document("hi")})
    assert filled.text == "A note: hi"
    assert filled.filled == ("kind", "doc.body")
    assert filled.unresolved == ()


def test_class_attribute_is_data():
    assert fill_placeholders("{doc.kind}", {"doc": Document("x")}).text == "memo"


def test_doubled_braces_stay_literal():
    assert fill_placeholders("{{doc}} and }}", {"doc": "x"}).text == "{doc} and }"


def test_json_and_code_braces_untouched():
    prompt = 'Return {"name": "x", "n": 1} and fn() { return a[0]; } or {0} {}'
    filled = fill_placeholders(prompt, {})
    assert filled.text == prompt
    assert filled.unresolved == ()


def test_missing_name_left_as_written():
    filled = fill_placeholders("Summarise {contract_txt}", {"contract_text": "x"})
    assert filled.text == "Summarise {contract_txt}"
    assert filled.unresolved == (("contract_txt", "no variable named 'contract_txt'"),)


def test_property_and_method_not_run():
    doc = Document("x")
    filled = fill_placeholders("{doc.shouting} {doc.summary}", {"doc": doc})
    assert filled.text == "{doc.shouting} {doc.summary}"
    assert [name for name, _ in filled.unresolved] == ["doc.shouting", "doc.summary"]


def test_private_attribute_not_read():
    filled = fill_placeholders("{doc.__class__}", {"doc": Document("x")})
    assert filled.text == "{doc.__class__}"
    assert "private" in filled.unresolved[0][1]


def test_namedtuple_and_slots_fields():
    Pair = namedtuple("Pair", "left right")

    @dataclass(slots=True)
    class Slotted:
        value: str = "slot"

    filled = fill_placeholders("{p.left} {s.value}", {"p": Pair("L", "R"), "s": Slotted()})
    assert filled.text == "L slot"


def test_value_converted_with_str():
    assert fill_placeholders("{n} items", {"n": 3}).text == "3 items"
