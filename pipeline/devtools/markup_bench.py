"""What in-place documents keep: `python -m pipeline.devtools.markup_bench [--docs 50] [--out DIR] [--mode M]`.

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

`--mode align` measures tag placement by the engine's word alignment (`documents.inline`):
- controlled: an engine that translates word for word and reverses the word order, whose
  alignment is known (word i -> word n-1-i), with its alignment and without it (tags by word
  position): the share of the HTML pages' elements that wrap exactly the translation of what
  they wrapped. This proves the placement code, apart from any model's quality;
- the tiny Marian model with its cross-attention alignment and with the proportional guess:
  its weights are random, so its attention says nothing about the words; what is measured is
  that the markup stays whole, how many sentences are flagged `markup-moved` each way, how
  many elements land elsewhere, and what the attention pass costs for the tagged sentences.

`--mode xliff` is the moved-codes stress run: export the word-for-word run as XLIFF 2.1 and
1.2, move every unit's codes (each span around the whole sentence, points at its end), import,
apply, and count the units taken, refused and the well-formed outputs.

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
PUNCTUATION = "\"'.,;:!?()«»“”‘’"
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


def reorder(text: str, src: str = "en", tgt: str = "hy") -> str:
    """Word for word (`reverse_words`) with the word order reversed, as a verb-final target
    reorders a clause: tags by word position land on the wrong words."""
    return " ".join(reversed(reverse_words(text).split()))


def reorder_links(text: str, out: str) -> list[tuple[int, int]]:
    """The alignment of `reorder`, what a perfect attention would give."""
    n = len(text.split())
    return [(i, n - 1 - i) for i in range(n)]


def placed_on_reordered(inputs: Path, out: Path) -> dict:
    """The HTML pages' elements (by their data-k) that wrap exactly the `reorder` translation of what
    they wrapped: the same words, punctuation at their edges aside (`<b>southwest China</b>,`
    comes back as `<b>anihC, tsewhtuos</b>`: the comma is on a word inside the element now)."""

    def words(text: str | None) -> list[str] | None:
        return None if text is None else [word.strip(PUNCTUATION) for word in text.split()]

    exact = total = 0
    for page in sorted(inputs.glob("*.html")):
        found = {(k, t): inner for k, t, inner in elements(out / page.name)}
        for k, t, inner in elements(page):
            total += 1
            exact += words(found.get((k, t))) == words(" ".join(reversed(reverse_words(inner).split())))
    return {"elements": total, "placed_exactly": exact, "share": round(exact / total, 4) if total else None}


def _summary(inputs: Path, out: Path) -> dict:
    report = measure(inputs, out, False)
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    report["aligned_sentences"] = sum(1 for row in rows if row.get("align"))
    return {key: report[key] for key in ("documents", "well_formed", "tags", "tags_kept", "links", "links_kept",
                                          "sentences", "aligned_sentences", "moved_sentences")}


class WithoutAlignment:
    """An engine with its `align` option taken away: the proportional placement, for comparison."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def translate(self, texts, **options):
        options.pop("align", None)
        return self.inner.translate(texts, **options)


def alignment(inputs: Path, work: Path) -> dict:
    """Tag placement by alignment against by position / in proportion (see the module's doc)."""
    from pipeline.batch.runner import run
    from pipeline.config import Config, ModelConfig, with_overrides
    from pipeline.devtools import tinymodel
    from pipeline.engines import load_engine
    from pipeline.engines.testing import FunctionEngine

    report: dict = {}
    config = with_overrides(Config(), model__id="reorder", run__tgt="hy", run__progress="off", cache__memory=False)
    for name, aligner in (("aligned", reorder_links), ("word_position", None)):
        engine = FunctionEngine(reorder, pairs=[("en", "hy")], aligner=aligner)
        run(inputs, work / f"out-reorder-{name}", config, engine=engine, review=False)
        report[f"controlled_{name}"] = {**placed_on_reordered(inputs, work / f"out-reorder-{name}"),
                                        **_summary(inputs, work / f"out-reorder-{name}")}
    tinymodel.quiet_transformers()
    model = tinymodel.build_marian(work / "tiny-en-hy", "en", "hy")
    engine = load_engine(ModelConfig(id=str(model), max_length=12), "hy")
    config = with_overrides(Config(), model__id=str(model), run__tgt="hy", run__progress="off", cache__memory=False,
                            model__max_length=12)
    timing = {}
    for name, wrapped in (("attention", engine), ("proportional", WithoutAlignment(engine))):
        started = time.perf_counter()
        run(inputs, work / f"out-tiny-{name}", config, engine=wrapped, review=False)
        timing[name] = round(time.perf_counter() - started, 3)
        report[f"tiny_{name}"] = _summary(inputs, work / f"out-tiny-{name}")
    differ = total = 0
    for page in sorted(inputs.glob("*.html")):
        a = {(k, t): inner for k, t, inner in elements(work / "out-tiny-attention" / page.name)}
        b = {(k, t): inner for k, t, inner in elements(work / "out-tiny-proportional" / page.name)}
        total += len(a)
        differ += sum(1 for key, inner in a.items() if b.get(key) != inner)
    report["tiny_elements_placed_differently"] = {"elements": total, "differ": differ}
    rows = [json.loads(line) for line in (work / "out-tiny-attention" / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    tagged = [row["source"] for row in rows if row.get("align")]
    plain = [row["source"] for row in rows if row["kind"] == "text" and not row.get("align") and row["src_lang"] == "en"]
    seconds = {}
    for name, texts, align in (("tagged_without_attention", tagged, None), ("tagged_with_attention", tagged, [True] * len(tagged)),
                               ("plain", plain, None)):
        best = None
        for _ in range(3):
            started = time.perf_counter()
            engine.translate(texts, src="en", tgt="hy", align=align)
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        seconds[name] = round(best or 0.0, 4)
    report["tiny_engine_seconds"] = {**seconds, "tagged_sentences": len(tagged), "plain_sentences": len(plain),
                                     "attention_extra_pct_on_tagged": round(
                                         100 * (seconds["tagged_with_attention"] / seconds["tagged_without_attention"] - 1), 1)
                                     if seconds["tagged_without_attention"] else None,
                                     "run_s": timing}
    return report


def moved_codes(inputs: Path, work: Path, version: str) -> dict:
    """The XLIFF moved-codes stress run: every unit's codes moved in a CAT tool, imported, applied."""
    from pipeline.batch.runner import run
    from pipeline.config import Config, with_overrides
    from pipeline.engines.testing import FunctionEngine
    from pipeline.review.apply import apply_edits
    from pipeline.review.server import render_page
    from pipeline.review.session import ReviewSession, inline_tags
    from pipeline.review.xliff import export_xliff, import_xliff

    out = work / f"out-xliff-{version}"
    config = with_overrides(Config(), model__id="word-for-word", run__tgt="hy", run__progress="off", cache__memory=False)
    seconds = {}
    started = time.perf_counter()
    run(inputs, out, config, engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]), review=False)
    seconds["run"] = time.perf_counter() - started
    session = ReviewSession(out, memory=False)
    started = time.perf_counter()
    render_page(session, "x")
    seconds["review_page"] = time.perf_counter() - started
    by_doc: dict[str, list] = {}
    for view in session.views():
        if view["editable"]:
            by_doc.setdefault(view["doc"], []).append(view)
    started = time.perf_counter()
    coded = inline_tags(session, by_doc)
    seconds["inline_tags"] = time.perf_counter() - started
    session.close()
    path = work / f"run-{version}.xlf"
    started = time.perf_counter()
    export_xliff(out, path, version=version)
    seconds["export"] = time.perf_counter() - started
    same = import_xliff(out, path)
    unit = "unit" if version == "2.1" else "trans-unit"
    moved = [0]

    def move(match: re.Match) -> str:
        whole = match.group(0)
        target = re.search(r"(<target[^>]*>)(.*?)(</target>)", whole, re.DOTALL)
        if target is None:
            return whole
        body = target.group(2)
        if version == "2.1":
            opens = re.findall(r"<pc [^>]*>", body)
            points = re.findall(r"<ph [^>]*/>", body)
            closes = ["</pc>"] * len(opens)
            plain = re.sub(r"<pc [^>]*>|</pc>|<ph [^>]*/>", "", body)
        else:
            opens = re.findall(r'<bpt id="\d+">.*?</bpt>', body)
            points = re.findall(r'<ph id="\d+">.*?</ph>', body)
            by_id = {re.search(r'id="(\d+)"', c).group(1): c for c in re.findall(r'<ept id="\d+">.*?</ept>', body)}  # type: ignore[union-attr]
            closes = [by_id[re.search(r'id="(\d+)"', o).group(1)] for o in reversed(opens)]  # type: ignore[union-attr]
            plain = re.sub(r'<bpt id="\d+">.*?</bpt>|<ept id="\d+">.*?</ept>|<ph id="\d+">.*?</ph>', "", body)
        new = "".join(opens) + plain + "".join(closes) + "".join(points)
        if (not opens and not points) or new == body:
            return whole
        moved[0] += 1
        return whole.replace(target.group(0), target.group(1) + new + target.group(3))

    path.write_text(re.sub(rf"<{unit} .*?</{unit}>", move, path.read_text(encoding="utf-8"), flags=re.DOTALL), encoding="utf-8")
    started = time.perf_counter()
    imported = import_xliff(out, path)
    seconds["import"] = time.perf_counter() - started
    started = time.perf_counter()
    applied = apply_edits(out)
    seconds["apply"] = time.perf_counter() - started
    files = [out / p.name for p in inputs.iterdir()]
    return {"coded_sentences": len(coded), "unchanged_import": {"edited": same.edited, "unchanged": same.unchanged,
                                                                 "not_applied": len(same.not_applied)},
            "units_moved": moved[0], "taken": imported.edited, "not_applied": len(imported.not_applied),
            "why": imported.not_applied[:3], "applied_files": len(applied.files),
            "well_formed": sum(well_formed(p) for p in files), "files": len(files),
            "seconds": {name: round(value, 3) for name, value in seconds.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--out", type=Path, help="write the report here as JSON (default: print it)")
    parser.add_argument("--keep", type=Path, help="keep the documents and outputs in this folder")
    parser.add_argument("--mode", choices=("documents", "align", "xliff"), default="documents",
                        help="documents: what in-place documents keep (default); align: tag placement by the "
                             "engine's alignment; xliff: the moved-codes stress run")
    args = parser.parse_args(argv)
    if not NTREX.exists():
        parser.error(f"NTREX is not at {NTREX}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="markup-bench-"))
    inputs = work / "in"
    kinds = build(inputs, args.docs)
    report: dict = {"documents": kinds}
    if args.mode == "align":
        report.update(alignment(inputs, work))
    elif args.mode == "xliff":
        report.update({f"xliff_{version}": moved_codes(inputs, work, version) for version in ("2.1", "1.2")})
    else:
        report.update(documents_report(inputs, work))
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def documents_report(inputs: Path, work: Path) -> dict:
    """Word for word and on the tiny model: what the documents keep; the cost of in-place HTML."""
    from pipeline.batch.runner import run
    from pipeline.config import Config, with_overrides
    from pipeline.devtools import tinymodel
    from pipeline.engines.testing import FunctionEngine

    report: dict = {}
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
    return report


if __name__ == "__main__":
    raise SystemExit(main())
