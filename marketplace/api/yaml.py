"""YAML on the wire for data contracts: a renderer (safe_dump) and a parser that hands the text to the service.

The parser does not interpret the YAML: ``marketplace.contracts.parse_contract`` does, so every error names
the contract's field the same way on every door.
"""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.utils import encoders

from marketplace.contracts import MAX_CONTRACT_BYTES, MEDIA_TYPE, dump_yaml


class YAMLRenderer(BaseRenderer):
    media_type = MEDIA_TYPE
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        plain = json.loads(json.dumps(data, cls=encoders.JSONEncoder))  # ErrorDetail, dates, ... as plain values
        return dump_yaml(plain).encode("utf-8")


class YAMLTextParser(BaseParser):
    """The request body as text (at most MAX_CONTRACT_BYTES)."""

    media_type = MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(MAX_CONTRACT_BYTES + 1) if stream is not None else b""
        if len(body) > MAX_CONTRACT_BYTES:
            raise ParseError(f"The contract is larger than {MAX_CONTRACT_BYTES // 1000} kB.")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("The contract is not UTF-8 text.") from exc


class XYAMLTextParser(YAMLTextParser):
    media_type = "application/x-yaml"


class TextYAMLTextParser(YAMLTextParser):
    media_type = "text/yaml"
