"""In-place edits of template nodes that keep the user's comments and layout.

ruamel.yaml's round-trip nodes carry comments on the entries they follow, so replacing or
deleting a whole node can drop a comment the user wrote about the next one. These helpers
change only what differs. Plain dicts and lists (JSON templates) go through the same calls.
"""

from __future__ import annotations

from typing import Any, Optional

from sam_layers.document import intrinsic, to_plain


def _trailing_comment_holder(node: Any) -> Optional[tuple[Any, Any]]:
    """(mapping or sequence, key) whose comment slot ends ``node`` in a ruamel document."""
    ca = getattr(node, "ca", None)
    if ca is None or not len(node):
        return None
    last = list(node)[-1] if isinstance(node, dict) else len(node) - 1
    value = node[last]
    if isinstance(value, (dict, list)) and len(value) and getattr(value, "ca", None) is not None:
        return _trailing_comment_holder(value)
    return node, last


def delete_entry(mapping: Any, key: Any) -> None:
    """Delete ``mapping[key]``, handing the comment that followed it to the entry before it.

    ruamel.yaml stores a comment line between two entries on the first one's last value, so
    deleting that entry would drop a comment the user wrote about the next one.
    """
    keys = list(mapping)
    index = keys.index(key)
    holder = _trailing_comment_holder(mapping[key]) if hasattr(mapping, "ca") else None
    token = None
    if holder is not None:
        items = holder[0].ca.items.get(holder[1])
        token = items[2] if isinstance(holder[0], dict) and items and len(items) > 2 else (
            items[0] if items and not isinstance(holder[0], dict) else None)
    del mapping[key]
    if token is None or index == 0:
        return
    target = _trailing_comment_holder(mapping[keys[index - 1]])
    if target is None:
        target = (mapping, keys[index - 1])
    node, slot = target
    ca = getattr(node, "ca", None)
    if isinstance(node, dict) and ca is not None:
        entry = ca.items.setdefault(slot, [None, None, None, None])
        if entry[2] is None:
            entry[2] = token


def same(a: Any, b: Any) -> bool:
    return bool(to_plain(a) == to_plain(b)) and _tags(a) == _tags(b)


def _tags(node: Any) -> Any:
    tag = getattr(node, "tag", None)
    return getattr(tag, "value", tag)


def merge_into(existing: Any, new: Any) -> bool:
    """Make ``existing`` equal ``new`` touching only what differs (keeps comments and layout)."""
    changed = False
    for key in [k for k in existing if k not in new]:
        del existing[key]
        changed = True
    for key, value in new.items():
        old = existing.get(key) if key in existing else None
        if key in existing and same(old, value):
            continue
        if isinstance(old, dict) and isinstance(value, dict) and not intrinsic(value):
            changed = merge_into(old, value) or changed
        else:
            existing[key] = value
            changed = True
    return changed


def insert_key(mapping: Any, index: int, key: str, value: Any) -> None:
    if hasattr(mapping, "insert"):
        mapping.insert(index, key, value)
        return
    items = list(mapping.items())
    items.insert(index, (key, value))
    mapping.clear()
    mapping.update(items)
