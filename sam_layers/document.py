"""Template documents: load and dump YAML and JSON without losing what the user wrote.

YAML goes through ruamel.yaml's round-trip mode, which keeps comments, key order, quoting and
short-form tags (``!Ref``, ``!Sub``, ``!If``...); JSON through the standard library with the
input's indentation. Both give plain mutable mappings and lists, so the transform passes do not
care which format they edit. Intrinsics look different in the two (a tagged node or a
one-key mapping); :func:`intrinsic` reads either, :func:`make_intrinsic` writes the form that
suits the document.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from sam_layers.errors import BadInput, Problem

_INTRINSIC_KEYS = frozenset({"Ref", "Condition"})


@dataclass
class Document:
    """A parsed template and what is needed to write it back the way it came."""

    data: Any
    format: str  # "yaml" | "json"
    path: Path
    text: str
    _yaml: Any = None
    _json_indent: Optional[int] = 2

    def dump(self) -> str:
        if self.format == "json":
            out = json.dumps(self.data, indent=self._json_indent, ensure_ascii=False)
            return out + "\n"
        stream = io.StringIO()
        self._yaml.dump(self.data, stream)
        return stream.getvalue()

    def intrinsic_style(self) -> str:
        return "tag" if self.format == "yaml" else "map"


def _new_yaml(indent: int = 2, block_seq_indent: int = 0) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long lines
    yaml.allow_duplicate_keys = False
    yaml.indent(mapping=indent, sequence=block_seq_indent + 2, offset=block_seq_indent)
    return yaml


def _guess_yaml_indent(text: str) -> tuple[int, int]:
    """(mapping indent, block sequence dash offset) as the file itself uses them."""
    indents: list[int] = []
    offsets: list[int] = []
    parent = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(stripped)
        if stripped.startswith("- "):
            if len(offsets) < 20 and depth >= parent:
                offsets.append(depth - parent)
            continue
        if re.match(r"[^\s#'\"][^:]*:(\s|$)", stripped):
            if depth > parent and len(indents) < 50:
                indents.append(depth - parent)
            parent = depth
    indent = min(indents) if indents else 2
    offset = max(set(offsets), key=offsets.count) if offsets else indent
    return indent, offset if offset < indent + 2 else 0


def _guess_json_indent(text: str) -> Optional[int]:
    match = re.search(r"\n( +)\S", text)
    if match:
        return len(match.group(1))
    return None if "\n" not in text.strip() else 2


def looks_like_json(path: Path, text: str) -> bool:
    return path.suffix.lower() == ".json" or text.lstrip().startswith("{")


def load(path: Path, text: Optional[str] = None) -> Document:
    """Read a template. Syntax errors and duplicate keys are :class:`BadInput` with a line."""
    display = str(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BadInput(Problem("template not found; pass the SAM template with -t", display))
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(Problem(f"cannot read the template: {exc}", display))
    if looks_like_json(path, text):
        return _load_json(path, text, display)
    return _load_yaml(path, text, display)


def _load_json(path: Path, text: str, display: str) -> Document:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                line = _json_key_line(text, key, occurrence=2)
                raise BadInput(
                    Problem(
                        f"duplicate key {key!r} (SAM and CloudFormation disagree about which "
                        "value wins); keep only one",
                        display,
                        line,
                    )
                )
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise BadInput(Problem(f"not valid JSON: {exc.msg}", display, exc.lineno))
    _check_root(data, display)
    return Document(data, "json", path, text, _json_indent=_guess_json_indent(text))


def _json_key_line(text: str, key: str, occurrence: int) -> Optional[int]:
    hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    if len(hits) >= occurrence:
        return text.count("\n", 0, hits[occurrence - 1]) + 1
    return None


def _load_yaml(path: Path, text: str, display: str) -> Document:
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    indent, bsi = _guess_yaml_indent(text)
    yaml = _new_yaml(indent, bsi)
    try:
        data = yaml.load(text)
    except DuplicateKeyError as exc:
        key = _duplicate_key_name(str(exc.problem or ""))
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise BadInput(
            Problem(
                f"duplicate key {key!r} (SAM and CloudFormation disagree about which value wins);"
                " keep only one",
                display,
                line,
            )
        )
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "syntax error"
        raise BadInput(Problem(f"not valid YAML: {what}", display, line))
    except YAMLError as exc:
        raise BadInput(Problem(f"not valid YAML: {exc}", display))
    _check_root(data, display)
    return Document(data, "yaml", path, text, _yaml=yaml)


def _duplicate_key_name(problem: str) -> str:
    match = re.search(r'found duplicate key "(.*?)"', problem)
    return match.group(1) if match else problem


def _check_root(data: Any, display: str) -> None:
    if not isinstance(data, dict):
        raise BadInput(Problem("a template must be a mapping with a Resources section", display))


# --- intrinsics ---------------------------------------------------------------------------


def intrinsic(node: Any) -> Optional[tuple[str, Any]]:
    """``("Fn::If", [...])`` for ``!If [...]`` or ``{"Fn::If": [...]}``; None for plain values."""
    tag = getattr(node, "tag", None)
    tag_value = getattr(tag, "value", tag)
    if isinstance(tag_value, str) and tag_value.startswith("!") and len(tag_value) > 1:
        name = tag_value[1:]
        name = name if name in _INTRINSIC_KEYS else "Fn::" + name
        value = node.value if hasattr(node, "value") and not isinstance(node, (dict, list)) else node
        return name, value
    if isinstance(node, dict) and len(node) == 1:
        (key,) = node.keys()
        if isinstance(key, str) and (key in _INTRINSIC_KEYS or key.startswith("Fn::")):
            return key, node[key]
    return None


def make_intrinsic(name: str, value: Any, style: str) -> Any:
    """Build ``!Ref X`` (tag style) or ``{"Ref": X}`` (map style)."""
    if style == "tag" and isinstance(value, str):
        from ruamel.yaml.comments import TaggedScalar

        short = name[4:] if name.startswith("Fn::") else name
        return TaggedScalar(value=value, tag="!" + short)
    return {name: value}


def ref_target(node: Any) -> Optional[str]:
    found = intrinsic(node)
    if found and found[0] == "Ref" and isinstance(found[1], str):
        return found[1]
    return None


def show(node: Any) -> str:
    """A short readable form of a value for messages and tables: ``!Ref X``, an ARN..."""
    if isinstance(node, str):
        return node
    found = intrinsic(node)
    if found:
        name, value = found
        short = name[4:] if name.startswith("Fn::") else name
        if isinstance(value, str):
            return f"!{short} {value}"
        return f"!{short} …"
    return json.dumps(to_plain(node), default=str)


def to_plain(node: Any) -> Any:
    """The document as plain dicts/lists/scalars, intrinsics in their long JSON form."""
    found = intrinsic(node)
    if found is not None and not isinstance(node, dict):
        name, value = found
        if isinstance(node, list):
            return {name: [to_plain(v) for v in node]}
        return {name: value}
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if hasattr(node, "isoformat"):
        return node.isoformat()
    return node


def new_map(style: str) -> Any:
    if style == "tag":
        from ruamel.yaml.comments import CommentedMap

        return CommentedMap()
    return {}


def new_seq(style: str, items: list[Any], flow: bool = False) -> Any:
    if style == "tag":
        from ruamel.yaml.comments import CommentedSeq

        seq = CommentedSeq(items)
        if flow:
            seq.fa.set_flow_style()
        return seq
    return list(items)


def line_of(node: Any, key: Any = None) -> Optional[int]:
    """1-based line of a mapping (or of one of its keys) in a YAML document, when known."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None:
            return int(lc.key(key)[0]) + 1
        return int(lc.line) + 1
    except (KeyError, TypeError, AttributeError):
        return None
