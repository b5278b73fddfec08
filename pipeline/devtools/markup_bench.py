"""What in-place documents keep: `python -m pipeline.devtools.markup_bench [--docs 50] [--out DIR]`.

Builds real-looking documents from NTREX English text (../shared/data/ntrex): HTML pages
(site chrome, a script, an image, a <pre>), Markdown stories (front matter, a fenced code
block) and Word memos, with links, bold and italic on random word ranges, and runs them
en -> hy through `targman run`:

- with a word-for-word engine (each word reversed): well-formed outputs, links and inline
  tags kept, and placement accuracy: the share of inline elements that wrap exactly the
  translations of the words they wrapped;
- with the tiny Marian model (random weights: any number of words comes back): the same,
  but the placement is the proportional guess, so the count that says is `markup-moved`;
- the cost of in-place HTML against the article-only reading: the reading and writing time
  of each, as a share of the run's time on the tiny model.

Quote the shares; absolute times move with the machine's load.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NTREX = next((root / "shared" / "data" / "ntrex" for root in (REPO.parent, REPO.parent.parent)
              if (root / "shared" / "data" / "ntrex").exists()), REPO.parent / "shared" / "data" / "ntrex")
INLINE_HTML = re.compile(r'<(a|b|em) ([^>]*data-k="(\d+)"[^>]*)>(.*?)</\1>', re.S)
MD_LINK = re.compile(r"\[([^\]]*)\]\((https://example\.com/k\d+)\)")
MD_STRONG = re.compile(r"\*\*([^*]+)\*\*")
MD_EM = re.compile(r"(?<!\*)\*([^*]+)\*(?!\*)")


def documents(limit: int) -> list[list[str]]:
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = (NTREX / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    docs: dict[str, list[str]] = {}
    for doc_id, line in zip(ids, lines):
        docs.setdefault(doc_id, []).append(line)
    return [sentences[:8] for sentences in list(docs.values())[:limit]]


def reverse_words(text: str, src: str = "en", tgt: str = "hy") -> str:
    """A word-for-word "translation": each word's letters reversed, its punctuation where it was."""
    return " ".join(re.sub(r"\w+", lambda m: m.group(0)[::-1], word) for word in text.split())


def kept_tags(path: Path) -> tuple[int, list[str]]:
    """How many inline elements the document has, and its link targets (nested ones too)."""
    if path.suffix == ".html":
        text = path.read_text(encoding="utf-8")
        return len(re.findall(r'data-k="\d+"', text)), re.findall(r'href="(https://example\.com/k\d+)"', text)
    if path.suffix == ".md":
        from markdown_it import MarkdownIt

        count, links = 0, []
        for token in MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8")):
            for child in token.children or []:
                if child.type in ("link_open", "strong_open", "em_open"):
                    count += 1
                if child.type == "link_open":
                    links.append(child.attrs["href"])
        return count, links
    found = elements(path)
    return len(found), [t for k, t, _ in found if k == "a"]


def marked(sentence: str, rng: random.Random, counter: list[int]) -> list[tuple[str, str | None, int]]:
    """The sentence as pieces: (text, element or None, id); up to two elements on word ranges."""
    words = sentence.split(" ")
    pieces = []
    i = 0
    while i < len(words):
        if rng.random() < 0.15 and len(words) - i > 2:
            n = rng.randint(1, min(3, len(words) - i - 1))
            chunk = " ".join(words[i:i + n])
            bare = chunk.rstrip(".,;:!?\"'")
            counter[0] += 1
            pieces.append((bare, rng.choice(["a", "b", "em"]), counter[0]))
            if chunk[len(bare):]:
                pieces.append((chunk[len(bare):], None, 0))
            pieces.append((" ", None, 0))
            i += n
        else:
            pieces.append((words[i] + " ", None, 0))
            i += 1
    return pieces


def html_page(doc: list[str], rng: random.Random, counter: list[int]) -> str:
    body = []
    for k, sentence in enumerate(doc[1:]):
        html = "".join(_html_piece(p) for p in marked(sentence, rng, counter)).strip()
        body.append(f"<p>{html}</p>")
        if k == 1:
            body.append(f'<img src="photo{k}.jpg" alt="{doc[0][:40]}">')
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" + doc[0] + "</title>\n"
            "<script>window.dataLayer = [{page: \"<p>x</p>\"}];</script>\n</head>\n<body>\n"
            "<nav><a href=\"/\">Home</a> | <a href=\"/world\">World</a></nav>\n<article>\n<h1>" + doc[0] + "</h1>\n"
            + "\n".join(body) + "\n<pre>curl -s https://example.com/feed</pre>\n</article>\n"
            "<footer>© 2024 Example News</footer>\n</body>\n</html>\n")


def _html_piece(piece) -> str:
    text, tag, k = piece
    import html

    text = html.escape(text, quote=False)
    if tag is None:
        return text
    if tag == "a":
        return f'<a href="https://example.com/k{k}" data-k="{k}">{text}</a>'
    return f'<{tag} data-k="{k}">{text}</{tag}>'


def markdown_story(doc: list[str], rng: random.Random, counter: list[int]) -> str:
    paragraphs = []
    for sentence in doc[1:]:
        out = []
        for text, tag, k in marked(sentence, rng, counter):
            text = re.sub(r"([\\`*_\[\]<])", r"\\\1", text)
            out.append(text if tag is None else f"[{text}](https://example.com/k{k})" if tag == "a"
                       else f"**{text}**" if tag == "b" else f"*{text}*")
        paragraphs.append("".join(out).strip())
    return (f"---\ntitle: \"{doc[0][:60]}\"\nslug: story\n---\n# {doc[0]}\n\n" + "\n\n".join(paragraphs)
            + "\n\n```sh\ncurl -s https://example.com/feed\n```\n")


def word_memo(doc: list[str], rng: random.Random, counter: list[int]) -> bytes:
    import docx
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_heading(doc[0], 1)
    for sentence in doc[1:]:
        p = d.add_paragraph()
        for text, tag, k in marked(sentence, rng, counter):
            if tag == "a":
                rid = p.part.relate_to(f"https://example.com/k{k}",
                                       "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
                                       is_external=True)
                link = p._p.makeelement(qn("w:hyperlink"), {qn("r:id"): rid})
                run = p.add_run(text)
                p._p.remove(run._r)
                link.append(run._r)
                p._p.append(link)
            else:
                run = p.add_run(text)
                run.bold = True if tag == "b" else None
                run.italic = True if tag == "em" else None
    d.sections[0].footer.paragraphs[0].text = "Example News, internal"
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


def build(folder: Path, limit: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    counter = [0]
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {"html": 0, "md": 0, "docx": 0}
    for n, doc in enumerate(documents(limit)):
        kind = ("html", "md", "docx")[n % 3] if n >= 3 else ("html", "md", "docx")[n]
        kinds[kind] += 1
        if kind == "html":
            (folder / f"page{n:02d}.html").write_text(html_page(doc, rng, counter), encoding="utf-8")
        elif kind == "md":
            (folder / f"story{n:02d}.md").write_text(markdown_story(doc, rng, counter), encoding="utf-8")
        else:
            (folder / f"memo{n:02d}.docx").write_bytes(word_memo(doc, rng, counter))
    return kinds


def elements(path: Path) -> list[tuple[str, str, str]]:
    """(kind, target or id, inner text) of each inline element of a document, in order."""
    if path.suffix == ".html":
        text = path.read_text(encoding="utf-8")
        return [(m.group(1), m.group(3), re.sub(r"<[^>]+>", "", m.group(4))) for m in INLINE_HTML.finditer(text)]
    if path.suffix == ".md":
        text = path.read_text(encoding="utf-8").split("```")[0]
        out = [("a", m.group(2), m.group(1)) for m in MD_LINK.finditer(text)]
        out += [("b", "", m.group(1)) for m in MD_STRONG.finditer(text)]
        out += [("em", "", m.group(1)) for m in MD_EM.finditer(MD_STRONG.sub("", text))]
        return [(k, t, re.sub(r"\\(.)", r"\1", inner)) for k, t, inner in out]
    import docx
    from docx.oxml.ns import qn

    d = docx.Document(str(path))
    out = []
    for p in d.paragraphs:
        for link in p._p.findall(qn("w:hyperlink")):
            out.append(("a", d.part.rels[link.get(qn("r:id"))].target_ref, "".join(t.text for t in link.iter(qn("w:t")))))
        groups: list[tuple[str, str]] = []
        for r in p.runs:  # neighbouring runs of one formatting are one element
            kind = "b" if r.bold else "em" if r.italic else ""
            if kind and groups and groups[-1][0] == kind:
                groups[-1] = (kind, groups[-1][1] + r.text)
            elif kind:
                groups.append((kind, r.text))
        out += [(kind, "", text.strip()) for kind, text in groups]
    return out


def formatted_words(path: Path) -> list[tuple[str, bool, bool, bool]]:
    """Each word of a Word file with its bold, italic and whether it is in a hyperlink."""
    import docx
    from docx.oxml.ns import qn

    out = []
    for p in docx.Document(str(path)).paragraphs:
        for r in p._p.iter(qn("w:r")):
            rpr = r.find(qn("w:rPr"))
            bold = rpr is not None and rpr.find(qn("w:b")) is not None
            italic = rpr is not None and rpr.find(qn("w:i")) is not None
            link = r.getparent().tag == qn("w:hyperlink")
            text = "".join(t.text or "" for t in r.findall(qn("w:t")))
            out += [(word, bold, italic, link) for word in text.split()]
    return out


def well_formed(path: Path) -> bool:
    if path.suffix == ".html":
        from lxml import etree

        text = path.read_text(encoding="utf-8")
        body = text[text.index("<body>"):text.index("</body>") + 7]
        body = re.sub(r"<(img|br)([^>]*)>", r"<\1\2/>", body).replace("&nbsp;", " ")
        try:
            etree.fromstring(body.encode("utf-8"))
            return True
        except etree.XMLSyntaxError:
            return False
    if path.suffix == ".md":
        from markdown_it import MarkdownIt

        MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
        return path.read_text(encoding="utf-8").count("```") == 2
    import docx

    try:
        docx.Document(str(path))
        return True
    except Exception:
        return False


def measure(inputs: Path, out: Path, word_for_word: bool) -> dict:
    source_elements = {p.name: elements(p) for p in sorted(inputs.iterdir())}
    report = {"documents": 0, "well_formed": 0, "links": 0, "links_kept": 0, "tags": 0, "tags_kept": 0,
              "placed_exactly": 0, "moved_sentences": 0, "sentences": 0}
    for name, before in source_elements.items():
        report["documents"] += 1
        after = elements(out / name)
        report["well_formed"] += well_formed(out / name)
        tags_before, links_before = kept_tags(inputs / name)
        tags_after, links_after = kept_tags(out / name)
        report["links"] += len(links_before)
        report["links_kept"] += len(set(links_before) & set(links_after))
        report["tags"] += tags_before
        report["tags_kept"] += min(tags_before, tags_after)
        if word_for_word:
            suffix = out.joinpath(name).suffix
            if suffix == ".html":  # each element by its data-k: does it wrap the translation of what it wrapped?
                found = {(k, t): inner for k, t, inner in after}
                exact = sum(found.get((k, t)) == reverse_words(inner) for k, t, inner in before)
            elif suffix == ".md":  # in order
                expected = [(k, t, reverse_words(inner)) for k, t, inner in before]
                got = [(k, t, " ".join(inner.split())) for k, t, inner in after]
                exact = sum(1 for e, g in zip(sorted(expected), sorted(got)) if e == g)
            else:  # Word: every word keeps the bold, italic and link of the word it translates
                src, dst = formatted_words(inputs / name), formatted_words(out / name)
                marked = [i for i, (_, *fmt) in enumerate(src) if any(fmt)]
                exact = sum(1 for i in marked if i < len(dst) and dst[i][1:] == src[i][1:]
                            and dst[i][0] == reverse_words(src[i][0]))
                report.setdefault("word_marked_words", 0)
                report["word_marked_words"] += len(marked)
                report.setdefault("word_marked_words_exact", 0)
                report["word_marked_words_exact"] += exact
                continue
            report["placed_exactly"] += exact
            report.setdefault("placed_of", 0)
            report["placed_of"] += len(before)
    for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        report["sentences"] += 1
        report["moved_sentences"] += "markup-moved" in row["flags"]
    return report


def cost(inputs: Path, work: Path, model: Path) -> dict:
    """Reading and writing the HTML pages in place and article-only, against the run's time."""
    from pipeline.batch.jobs import segment_file
    from pipeline.batch.runner import run
    from pipeline.config import Config, HtmlConfig, with_overrides
    from pipeline.documents.reader import read_file
    from pipeline.documents.writer import render_file

    pages = work / "pages"
    pages.mkdir()
    for page in inputs.glob("*.html"):
        shutil.copy(page, pages / page.name)
    result = {}
    for mode in ("article", "document"):
        config = with_overrides(Config(), model__id=str(model), run__tgt="hy", run__progress="off", cache__memory=False,
                                html__output=mode, model__max_length=12)
        best = None
        for _ in range(3):
            started = time.perf_counter()
            for page in sorted(pages.iterdir()):
                file = read_file(pages, page, html=HtmlConfig(output=mode))
                per_article = segment_file(file, config)
                for _, segments in per_article:
                    for s in segments:
                        s.target = s.source
                render_file(file, per_article, "hy")
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        started = time.perf_counter()
        manifest = run(pages, work / f"out-{mode}", config, review=False).manifest
        total = time.perf_counter() - started
        result[mode] = {"read_write_s": round(best, 4), "run_s": round(total, 3),
                        "segments": manifest["counts"].get("segments"), "engine_s": manifest["timings"]["engine_s"]}
    doc, art = result["document"], result["article"]
    result["in_place_extra_read_write_pct_of_run"] = round(100 * (doc["read_write_s"] - art["read_write_s"]) / doc["run_s"], 2)
    result["in_place_read_write_pct_of_run"] = round(100 * doc["read_write_s"] / doc["run_s"], 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--out", type=Path, help="write the report here as JSON (default: print it)")
    parser.add_argument("--keep", type=Path, help="keep the documents and outputs in this folder")
    args = parser.parse_args(argv)
    if not NTREX.exists():
        parser.error(f"NTREX is not at {NTREX}")
    from pipeline.batch.runner import run
    from pipeline.config import Config, with_overrides
    from pipeline.devtools import tinymodel
    from pipeline.engines.testing import FunctionEngine

    work = args.keep or Path(tempfile.mkdtemp(prefix="markup-bench-"))
    inputs = work / "in"
    kinds = build(inputs, args.docs)
    report: dict = {"documents": kinds}
    config = with_overrides(Config(), model__id="word-for-word", run__tgt="hy", run__progress="off", cache__memory=False)
    run(inputs, work / "out-words", config, engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]), review=False)
    report["word_for_word"] = measure(inputs, work / "out-words", True)
    tinymodel.quiet_transformers()
    model = tinymodel.build_marian(work / "tiny-en-hy", "en", "hy")
    config = with_overrides(Config(), model__id=str(model), run__tgt="hy", run__progress="off", cache__memory=False,
                            model__max_length=12)
    run(inputs, work / "out-tiny", config, review=False)
    report["tiny_model"] = measure(inputs, work / "out-tiny", False)
    report["html_cost"] = cost(inputs, work, model)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
