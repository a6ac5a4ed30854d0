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


def _take_trailing(node: Any) -> Any:
    """Remove and return the comment token that ends ``node`` (None when there is none)."""
    holder = _trailing_comment_holder(node)
    if holder is None:
        return None
    container, slot = holder
    items = container.ca.items.get(slot)
    index = 2 if isinstance(container, dict) else 0
    if not items or len(items) <= index or items[index] is None:
        return None
    token = items[index]
    items[index] = None
    return token


def _give_trailing(node: Any, token: Any) -> None:
    """Make ``token`` the comment that ends ``node``, unless one is there already."""
    holder = _trailing_comment_holder(node)
    if holder is None or token is None:
        return
    container, slot = holder
    entry = container.ca.items.setdefault(slot, [None, None, None, None])
    index = 2 if isinstance(container, dict) else 0
    if entry[index] is None:
        entry[index] = token


def delete_entry(mapping: Any, key: Any) -> None:
    """Delete ``mapping[key]``, handing the comment that followed it to the entry before it.

    ruamel.yaml stores a comment line between two entries on the first one's last value, so
    deleting that entry would drop a comment the user wrote about the next one.
    """
    keys = list(mapping)
    index = keys.index(key)
    value = mapping[key]
    token = _take_trailing(value) if getattr(value, "ca", None) is not None else None
    del mapping[key]
    if token is not None and index > 0:
        _give_trailing(mapping[keys[index - 1]], token)


def append_entry(mapping: Any, key: Any, value: Any) -> None:
    """Add ``mapping[key] = value`` at the end, keeping what ended the mapping (a comment, the
    blank line before the next section) after the new last entry."""
    token = _take_trailing(mapping) if hasattr(mapping, "ca") and len(mapping) else None
    mapping[key] = value
    if token is not None:
        _give_trailing(mapping, token)


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
