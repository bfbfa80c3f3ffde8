"""pydantic models are captured as the JSON of their `model_dump()` (what MLflow's encoder
writes), whether the writer reads them field by field (plain classes) or hands them to pydantic:
the text is the same for the provider clients' own objects and for the models where pydantic's
dump is not the stored fields (serializers, computed and excluded fields, aliases, root models,
a subclass instance in a field typed with its parent, cycles)."""

from __future__ import annotations

import json
from typing import Any, Iterator, List, Optional

import pydantic
import pytest

from ferrotrace import _native
from ferrotrace._plain_models import plain_fields


def dumped(obj: Any) -> str:
    """What the writer gave for a model before it read models field by field."""
    try:
        value = obj.model_dump()
    except Exception:
        return _native.to_json(str(obj))
    return _native.to_json(value)


@pytest.fixture(scope="module")
def provider_objects() -> Iterator[list[Any]]:
    import anthropic
    import fake_llm
    import openai

    server = fake_llm.start()
    try:
        oa = openai.OpenAI(base_url=server.root_url + "/v1", api_key="k", max_retries=0)
        an = anthropic.Anthropic(base_url=server.root_url, api_key="k", max_retries=0)
        msg = [{"role": "user", "content": "What is six times seven?"}]
        tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {}}}}]
        objs: list[Any] = [
            oa.chat.completions.create(model="gpt-4o-mini", messages=msg),
            oa.chat.completions.create(model="gpt-4o-mini", messages=msg, tools=tools),  # type: ignore[arg-type]
            oa.embeddings.create(model="text-embedding-3-small", input=["one", "two"]),
            oa.responses.create(model="gpt-4o-mini", input="Hi"),
            an.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=10, messages=msg),  # type: ignore[arg-type]
        ]
        objs += list(oa.chat.completions.create(model="gpt-4o-mini", messages=msg, stream=True, stream_options={"include_usage": True}))
        objs += list(oa.chat.completions.create(model="gpt-4o-mini", messages=msg, tools=tools, stream=True))  # type: ignore[arg-type]
        objs += list(oa.responses.create(model="gpt-4o-mini", input="Hi", stream=True))
        objs += list(an.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=10, messages=msg, stream=True))  # type: ignore[arg-type]
        yield objs
    finally:
        server.stop()


def test_provider_objects_are_written_as_their_dump(provider_objects: list[Any]) -> None:
    for obj in provider_objects:
        assert _native.to_json(obj) == dumped(obj), type(obj).__name__
        assert json.loads(_native.to_json(obj)) == obj.model_dump()
    # The field-by-field path is the one taken for the client's own classes.
    assert plain_fields(type(provider_objects[0])) is not None
    assert any(plain_fields(type(o)) is not None for o in provider_objects[5:])


class Inner(pydantic.BaseModel):
    a: int = 1


class Sub(Inner):
    secret: str = "s"


class Holder(pydantic.BaseModel):
    inner: Inner
    items: List[Inner] = []
    note: Optional[str] = None
    anything: Any = None


class WithSerializer(pydantic.BaseModel):
    x: int = 2

    @pydantic.field_serializer("x")
    def double(self, v: int) -> int:
        return v * 2


class WithComputed(pydantic.BaseModel):
    x: int = 2

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def y(self) -> int:
        return self.x + 1


class WithExcluded(pydantic.BaseModel):
    x: int = 1
    hidden: str = pydantic.Field(default="h", exclude=True)


class WithAlias(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(serialize_by_alias=True)
    x: int = pydantic.Field(default=1, alias="X")


class Extra(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    x: int = 1


class Root(pydantic.RootModel[List[int]]):
    pass


class Node(pydantic.BaseModel):
    children: List[Any] = []


def test_edge_models_are_written_as_their_dump() -> None:
    cyclic = Node()
    cyclic.children.append(cyclic)
    cases: list[Any] = [
        Holder(inner=Inner()),
        Holder(inner=Sub(), items=[Inner(), Sub()]),  # subclass instances lose their own fields
        Holder(inner=Inner(), anything=Sub()),  # ...but not in a field of any type
        Holder(inner=Inner(), anything={"k": [Sub(), 1.5, None]}),
        WithSerializer(),
        WithComputed(),
        WithExcluded(),
        WithAlias(),
        Extra(x=3, y=[1, 2], z={"a": Inner()}),
        Root([1, 2]),
        Node(children=[Node(), {"n": Node()}]),
        {"outer": [Holder(inner=Sub())]},
    ]
    for obj in cases:
        expected = _native.to_json({"outer": [x.model_dump() for x in obj["outer"]]}) if isinstance(obj, dict) else dumped(obj)
        got = _native.to_json(obj)
        assert got == expected, (type(obj).__name__, got, expected)
    assert "secret" not in _native.to_json(Holder(inner=Sub(), items=[Sub()]))
    assert "secret" in _native.to_json(Holder(inner=Inner(), anything=Sub()))
    # A cycle: pydantic's dump keeps the repeated model as is, which is then marked as a cycle
    # (the model being written is on the path), as before.
    assert _native.to_json(cyclic) == '{"children": [{"children": ["[Circular]"]}]}'
    assert plain_fields(WithSerializer) is None and plain_fields(WithComputed) is None
    assert plain_fields(WithExcluded) is None and plain_fields(WithAlias) is None and plain_fields(Root) is None
    assert plain_fields(Holder) is not None


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic warns about the odd field value
def test_a_model_changed_by_a_field_is_still_written_whole() -> None:
    class Sneaky:
        def __init__(self, owner: Extra) -> None:
            self.owner = owner

        def __str__(self) -> str:
            self.owner.__dict__["late"] = 1  # resizes the dict being written
            return "sneaky"

    m = Extra(x=1)
    m.__dict__["x"] = Sneaky(m)
    text = _native.to_json(m)
    assert json.loads(text)["x"] == "sneaky"
