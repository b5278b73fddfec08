"""One hardened XML loader for the files other tools send us (TBX glossaries, XLIFF from CAT tools).

lxml (libxml2) with everything that reaches outside the text off: no DTD loaded, no entity
resolved, no network, no huge-tree mode (libxml2's limits on depth, text-node size and
expansion stay on). A document with any DOCTYPE is refused *after* decoding, so a UTF-16 or
UTF-32 file cannot hide an entity declaration from a byte search; nesting deeper than
`MAX_DEPTH` is refused before any recursive code sees it; the size is checked before the file
is read. Every refusal is an `XMLProblem` with a one-line message and, where known, the line;
callers turn it into their own error (`InputError`, `GlossaryError`) naming the file.

defusedxml (over the standard library's expat) was the other candidate: it refuses DTDs as
well, but has had no release since 2021, has no depth limit and gives no element line
numbers; lxml is maintained, reports `sourceline` for every element (so "duplicate unit id at
line 812" is possible) and is also what the tests validate exports with (RELAX NG, XSD).
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_DEPTH = 200  # TBX and XLIFF nest ~10 deep; libxml2 alone stops at 256 (2048 in huge mode)


class XMLProblem(Exception):
    """Why a document was refused; `line` is 0 when no line applies."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.line = line or 0


def _lxml():
    try:
        from lxml import etree
    except ImportError:  # a core dependency; only a broken install lacks it
        raise XMLProblem("reading XML needs lxml: pip install lxml") from None
    return etree


def read_bytes(path: str | Path, max_bytes: int) -> bytes:
    """The file's bytes, refused by size before anything is read (`OSError` passes through)."""
    path = Path(path)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise XMLProblem(f"is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit for this file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while read, or a device
        raise XMLProblem(f"is over the {max_bytes / 2**20:.0f} MB limit for this file")
    return data


def parse(data: bytes, *, max_bytes: int, comments: bool = False, max_depth: int = MAX_DEPTH,
          external_doctype: bool = False):
    """The root element of `data` (any encoding XML allows: a BOM or the declaration says which).

    `comments`: keep comments in the tree (a TBX's layout lives in them); processing
    instructions are always dropped. `external_doctype`: accept a DOCTYPE that only names an
    external DTD (`<!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">`, as TBX v2 files from
    Weblate, Lokalize and MultiTerm carry); the DTD is never read, and a DOCTYPE with any
    declaration of its own is refused all the same."""
    if len(data) > max_bytes:
        raise XMLProblem(f"is over the {max_bytes / 2**20:.0f} MB limit for this file")
    etree = _lxml()
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False,
                             huge_tree=False, remove_comments=not comments, remove_pis=True, collect_ids=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        message = str(error.msg or error).split("\n")[0]
        line = error.lineno or 0
        if "depth" in message.lower():
            raise XMLProblem(f"elements nested too deeply (over {max_depth} levels); TBX and XLIFF "
                             "files nest about 10 deep", line) from None
        raise XMLProblem(f"not well-formed XML ({message})", line) from None
    except ValueError as error:  # lxml's refusal of input it cannot take at all
        raise XMLProblem(f"not readable as XML ({error})") from None
    docinfo = root.getroottree().docinfo
    internal = docinfo.internalDTD
    declares = internal is not None and bool(list(internal.iterentities()) or list(internal.iterelements()))
    if docinfo.doctype and not declares:  # an ATTLIST or NOTATION alone: only the serialised head shows it
        head = etree.tostring(root.getroottree())[: len(docinfo.doctype.encode()) + 2]
        declares = not head.startswith(docinfo.doctype.encode()) or head.endswith(b"[") or b" [" in head
    if docinfo.externalDTD is not None or declares or (docinfo.doctype and not external_doctype):
        raise XMLProblem("holds a DOCTYPE" + (" with declarations (entities or a DTD)" if declares else "")
                         + "; these files need none, and it is refused", 1)
    _check_depth(root, max_depth)
    return root


def _check_depth(root, max_depth: int) -> None:
    """Refuse nesting deeper than `max_depth`, without recursion."""
    etree = _lxml()
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start" and element.tag is etree.Entity:
            raise XMLProblem(f"uses the entity {element.text} that only a DTD defines (DTDs are not read); "
                             "write the character itself", element.sourceline or 0)
        if event == "start":
            depth += 1
            if depth > max_depth:
                raise XMLProblem(f"elements nested too deeply (over {max_depth} levels); TBX and XLIFF "
                                 "files nest about 10 deep", element.sourceline or 0)
        else:
            depth -= 1
