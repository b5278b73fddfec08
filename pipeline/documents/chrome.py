"""Site chrome found by repetition: a line that many articles of one folder share.

Scraped articles carry their site's lines ("Share on Facebook | Twitter | Email", "© 2024
...", "Բաժանորդագրվեք մեր լրահոսին") that nobody lists in advance. A paragraph that recurs
in at least `[run] chrome_min_docs` articles of the same folder, and in at least a third of
them, is chrome: kind `boilerplate`, never sent to the model, and listed in run.json's
`chrome` with its count. A news story's own paragraphs do not repeat across a third of a
folder's articles; a headline repeated by its follow-ups in a small folder is what the
`chrome_min_docs` floor is for. A line that reads as a sentence (it ends with a full stop or
has more than 12 words) is chrome only in a folder of at least `SENTENCE_FOLDER` articles: in
a small folder the same real sentence is quoted by three stories of one event (a statement,
a background line), while a site's chrome lines are short labels ("Share | Tweet", "© 2024").
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.documents.reader import SUPPORTED, InputFile, is_reference, read_file
from pipeline.documents.segmenter import markdown_lead, normalize_for_compare, sentence_like
from pipeline.errors import InputError

CHROME_SHARE = 3  # ... and in at least one article in CHROME_SHARE of the folder's
SENTENCE_FOLDER = 10  # a sentence-like line needs a folder of this many articles to be chrome


def _key(text: str) -> str:
    return normalize_for_compare(text[len(markdown_lead(text)):])


def folder_articles(folder: Path, root: Path, config, seen: dict[str, str] | None = None,
                    known: dict[Path, InputFile] | None = None) -> list[set[str]]:
    """Each article of the folder (not its subfolders) as the set of its paragraph keys;
    `seen` gets each key's text as first written. `known`: files the run has read already."""
    articles: list[set[str]] = []
    seen = {} if seen is None else seen
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.is_file(follow_symlinks=False))
    except OSError:
        return articles
    mb = 1024 * 1024
    for name in names:
        path = folder / name
        if name.startswith(".") or path.suffix.lower() not in SUPPORTED or is_reference(path):
            continue
        file = (known or {}).get(path)
        if file is None:
            try:
                file = read_file(root, path, max_bytes=config.run.max_file_mb * mb,
                                 max_line_chars=config.run.max_line_chars, html=getattr(config, "html", None))
            except (InputError, OSError, ValueError):
                continue
        for article in file.articles:
            keys = set()
            for text, _, _ in article.paragraphs:
                key = _key(text)
                if key:
                    keys.add(key)
                    seen.setdefault(key, text.strip())
            articles.append(keys)
    return articles


def find_chrome(root: Path, folders: set[Path], config,
                known: dict[Path, InputFile] | None = None) -> dict[str, dict[str, int]]:
    """{folder relative to root: {chrome line: articles it is in}} for the given folders (a line
    as the first article wrote it; `normalize_for_compare` of it is what segments are matched on)."""
    minimum = config.run.chrome_min_docs
    found: dict[str, dict[str, int]] = {}
    if not minimum:
        return found
    for folder in sorted(folders):
        seen: dict[str, str] = {}
        articles = folder_articles(folder, root, config, seen, known)
        counts = Counter(key for keys in articles for key in keys)
        need = max(minimum, -(-len(articles) // CHROME_SHARE))
        sentences = len(articles) >= SENTENCE_FOLDER
        chrome = {seen[key]: n for key, n in counts.items()
                  if n >= need and any(ch.isalpha() for ch in key) and (sentences or not sentence_like(key))}
        if chrome:
            rel = folder.relative_to(root).as_posix() if folder != root else "."
            found[rel] = dict(sorted(chrome.items(), key=lambda item: (-item[1], item[0])))
    return found


def folder_of(rel: str) -> str:
    parent = Path(rel).parent.as_posix()
    return parent if parent not in ("", ".") else "."


def chrome_lines(chrome: Mapping[str, Iterable[str]], rel: str) -> tuple[str, ...]:
    """The site chrome lines of input `rel`'s folder (`find_chrome`'s, or lines by folder)."""
    return tuple(chrome.get(folder_of(rel)) or ())
