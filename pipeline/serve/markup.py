"""Translating HTML or XML a request sends (`format=html`, DeepL's `tag_handling`).

The tags stay where they are and only the text between them is translated; entities are
read before translating and written again after. Text inside `script`, `style`, `code`,
`pre` and any element with `translate="no"` is never sent to the model, as in a run's
documents. A sentence that a tag cuts (`<b>`) is translated in its parts: a tool that
needs better sends text.
"""

from __future__ import annotations

import html
import re

TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
KEEP = ("script", "style", "code", "pre")
NAME = re.compile(r"<\s*(/)?\s*([A-Za-z][\w:-]*)")
NO = re.compile(r"""\btranslate\s*=\s*["']?no\b""", re.I)


def texts_of(markup: str) -> tuple[list[str], list[str | int]]:
    """The texts to translate, and the document as parts: a string is kept as it is, an int
    is the position of a text (with its own surrounding whitespace kept around it)."""
    texts: list[str] = []
    parts: list[str | int] = []
    keep: list[str] = []  # the elements we are inside of whose text is kept
    for k, chunk in enumerate(TAG.split(markup)):
        if k % 2:  # a tag or a comment
            parts.append(chunk)
            found = NAME.match(chunk)
            if not found or chunk.startswith("<!") or chunk.rstrip().endswith("/>"):
                continue
            closing, name = bool(found.group(1)), found.group(2).lower()
            if closing and keep and keep[-1] == name:
                keep.pop()
            elif not closing and (keep or name in KEEP or NO.search(chunk)) and name not in VOID:
                keep.append(name)
            continue
        text = html.unescape(chunk)
        if keep or not text.strip():
            parts.append(chunk)
            continue
        lead = text[: len(text) - len(text.lstrip())]
        tail = text[len(text.rstrip()):]
        parts += [html.escape(lead, quote=False), len(texts), html.escape(tail, quote=False)]
        texts.append(text.strip())
    return texts, parts


def rebuild(parts: list[str | int], translated: list[str]) -> str:
    return "".join(html.escape(translated[p], quote=False) if isinstance(p, int) else p for p in parts)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
