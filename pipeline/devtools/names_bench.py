"""What `pipeline.names` achieves and costs: `python -m pipeline.devtools.names_bench`.

Prints, in one run:
  find hy / find en  recall and precision of `names find` on the annotated sentences
                     (tests/data/names/armenian.txt, english.txt: `[text|lemma|en|type]`, used
                     while writing the rules; heldout.txt, written after them; heldout2.txt,
                     written before round two changed them), by exact span, and for people and
                     places alone;
  lemma+spelling     of the Armenian names found at the right place, the share whose lemma and
                     English spelling are both the annotated ones, and the share of records that
                     are not names;
  romanize           exact-match rate of the news style on tests/data/names/romanization.tsv and
                     on the held-out romanization2.tsv (and per `# section:` of it);
  find speed         characters per CPU second of `names find` on the NTREX Armenian side;
  ntrex spellings    of the people and places found in NTREX's Armenian side, the share whose `en`
                     is written as in the English source line (an independent check of spellings);
  consistency cost   a run of `--articles` generated Armenian articles with a FunctionEngine
                     that drifts between spellings, with [names] consistency = "fix" (and one
                     with "off"): the CPU seconds of the names stage as a share of the run's.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import tempfile
import time
from pathlib import Path

NTREX = Path(__file__).resolve().parents[3] / "shared" / "data" / "ntrex"
DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "names"
_MARK = re.compile(r"\[([^\[\]|]+)\|([^\[\]|]+)\|([^\[\]|]+)\|([^\[\]|]+)\]")


def read_annotated(path: Path) -> list[tuple[str, list[dict]]]:
    """(plain line, its gold names with start/end/text/lemma/en/type) for each line of an annotated file."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        plain, gold, last = "", [], 0
        for m in _MARK.finditer(raw):
            plain += raw[last:m.start()]
            start = len(plain)
            plain += m.group(1)
            gold.append({"start": start, "end": len(plain), "text": m.group(1), "lemma": m.group(2),
                         "en": m.group(3), "type": m.group(4)})
            last = m.end()
        plain += raw[last:]
        out.append((plain, gold))
    return out


def score_find(path: Path, lang: str, glossary=None) -> dict:
    from pipeline.names.find import find_names

    data = read_annotated(path)
    found = find_names([plain for plain, _ in data], lang, glossary)
    by_line: dict[int, list] = {}
    for name in found:
        by_line.setdefault(name.line, []).append(name)
    tp = fp = fn = tp_pp = gold_pp = found_pp = right = 0
    not_names = 0
    for number, (plain, gold) in enumerate(data, 1):
        spans = {(g["start"], g["end"]): g for g in gold}
        mine = {(n.start, n.end): n for n in by_line.get(number, [])}
        for span, name in mine.items():
            g = spans.get(span)
            if g is None:
                fp += 1
                if not any(s < span[1] and span[0] < e for s, e in spans):
                    not_names += 1
            else:
                tp += 1
                if name.lemma == g["lemma"] and name.en == g["en"]:
                    right += 1
        fn += sum(1 for span in spans if span not in mine)
        gold_pp += sum(1 for g in gold if g["type"] in ("person", "place"))
        tp_pp += sum(1 for span, g in spans.items() if span in mine and g["type"] in ("person", "place"))
        found_pp += sum(1 for span, n in mine.items() if span not in spans or spans[span]["type"] in ("person", "place"))
    records = tp + fp
    return {
        "gold": tp + fn, "found": records,
        "recall": tp / (tp + fn) if tp + fn else 0.0, "precision": tp / records if records else 0.0,
        "recall_people_places": tp_pp / gold_pp if gold_pp else 0.0,
        "precision_people_places": tp_pp / found_pp if found_pp else 0.0,
        "lemma_and_spelling": right / tp if tp else 0.0,
        "not_names": not_names / records if records else 0.0,
        "misses": [g["text"] for plain, gold in data for g in gold
                   if (g["start"], g["end"]) not in {(n.start, n.end) for n in by_line.get(data.index((plain, gold)) + 1, [])}],
    }


def score_romanize(path: Path) -> dict:
    """Exact matches of the news style; a `# section: NAME` line starts a section scored apart."""
    from pipeline.names.romanize import romanize

    rows, section = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# section:"):
            section = line.partition(":")[2].strip()
        if line.strip() and not line.startswith("#"):
            hy, en = line.split("\t")
            rows.append((section, hy, en))
    wrong = [(hy, en, romanize(hy)) for _, hy, en in rows if romanize(hy) != en]
    sections = {}
    for name in dict.fromkeys(s for s, _, _ in rows):
        mine = [(hy, en) for s, hy, en in rows if s == name]
        sections[name] = (sum(1 for hy, en in mine if romanize(hy) == en), len(mine))
    return {"names": len(rows), "exact": (len(rows) - len(wrong)) / len(rows), "wrong": wrong,
            "sections": sections if len(sections) > 1 else {}}


def find_speed(ntrex: Path, repeat: int = 1) -> dict | None:
    from pipeline.names.find import NameFinder

    path = ntrex / "newstest2019-ref.hye.txt"
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    chars = sum(len(line) for line in lines)
    started = time.process_time()
    count = 0
    for _ in range(repeat):
        count = len(NameFinder().find(lines, "hy"))
    seconds = time.process_time() - started
    return {"lines": len(lines), "chars": chars * repeat, "names": count, "cpu_s": seconds,
            "chars_per_cpu_s": chars * repeat / seconds if seconds else 0.0}


def ntrex_spellings(ntrex: Path) -> dict | None:
    """An independent check of the spellings: NTREX's Armenian side is a translation of English
    news, so a person or place `names find` finds in an Armenian line should be spelled, in its
    `en`, as the English source line spells it. Counted per record of a name the glossary does
    not give (a proxy: a translator may also have dropped or reworded a name)."""
    from pipeline.names.find import NameFinder

    hy_path, en_path = ntrex / "newstest2019-ref.hye.txt", ntrex / "newstest2019-src.eng.txt"
    if not (hy_path.exists() and en_path.exists()):
        return None
    hy = hy_path.read_text(encoding="utf-8").splitlines()
    en = en_path.read_text(encoding="utf-8").splitlines()
    names = [n for n in NameFinder().find(hy, "hy") if n.type in ("person", "place") and n.en]
    right = [n for n in names if re.search(rf"(?<![\w-]){re.escape(n.en)}(?![\w-])", en[n.line - 1])]
    return {"records": len(names), "in_source": len(right), "share": len(right) / len(names) if names else 0.0}


_DRIFT = {"Փաշինյան": ("Pashinian", "Pashinyan"), "Միրզոյան": ("Mirzoian", "Mirzoyan"),
          "Երևան": ("Erevan", "Yerevan"), "Խաչատրյան": ("Khachatrian", "Khachatryan"),
          "Ծառուկյան": ("Tsaroukian", "Tsarukyan"), "Ոսկանյան": ("Oskanian", "Voskanyan")}


def drifting_engine():
    """A FunctionEngine whose names drift between spellings from one sentence to the next."""
    from pipeline.engines.testing import FunctionEngine

    turn = itertools.count()

    def translate(text: str, src: str, tgt: str) -> str:
        words = []
        for word in text.replace("։", " .").split():
            for lemma, spellings in _DRIFT.items():
                if word.startswith(lemma):
                    words.append(spellings[next(turn) % len(spellings)])
                    break
            else:
                words.append("word" if word != "." else ".")
        return " ".join(words)

    return FunctionEngine(translate)


ARTICLE = ("Վարչապետ Նիկոլ Փաշինյանը այսօր հանդիպեց Արարատ Միրզոյանին Երևանում։ "
           "Հանդիպմանը ներկա էր նաև Գագիկ Ծառուկյանը։ Խաչատրյանի խոսքով՝ Գյումրիում ամեն ինչ լավ է, ասաց Ոսկանյանը։\n\n"
           "Կառավարությունը որոշեց շարունակել բանակցությունները։ Փաշինյանի խոսքով՝ Միրզոյանը կմեկնի Մոսկվա։\n")


def consistency_cost(articles: int) -> dict:
    """A run with consistency off and one with fix, and the CPU seconds spent inside the names
    stage (`NameBook.apply`) as a share of the fix run's CPU seconds: on a shared machine the
    CPU share is the number to quote; the wall times are printed beside it."""
    from pipeline.batch.runner import run
    from pipeline.config import Config, with_overrides
    from pipeline.names.consistency import NameBook

    stage = [0.0]
    original = NameBook.apply

    def timed(self, segments, tgt):
        started = time.process_time()
        try:
            return original(self, segments, tgt)
        finally:
            stage[0] += time.process_time() - started

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for i in range(articles):
            (folder / f"{i:05d}.txt").write_text(ARTICLE, encoding="utf-8")
        wall, cpu, spellings = {}, {}, {}
        NameBook.apply = timed
        try:
            for mode in ("off", "fix"):
                config = with_overrides(Config(), model__id="function-engine", run__tgt="en", run__progress="off",
                                        cache__memory=False, names__consistency=mode)
                started, started_cpu = time.perf_counter(), time.process_time()
                result = run(folder, Path(tmp) / f"out-{mode}", config, engine=drifting_engine(), review=False)
                wall[mode], cpu[mode] = time.perf_counter() - started, time.process_time() - started_cpu
                if mode == "fix":
                    spellings = {row["lemma"]: row["chosen"] for row in result.manifest.get("names", [])}
        finally:
            NameBook.apply = original
        return {"articles": articles, "run_off_s": wall["off"], "run_fix_s": wall["fix"], "cpu_off_s": cpu["off"],
                "cpu_fix_s": cpu["fix"], "stage_cpu_s": stage[0], "stage_percent": 100 * stage[0] / cpu["fix"],
                "chosen": spellings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.devtools.names_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ntrex", type=Path, default=NTREX, help="the NTREX folder (default ../shared/data/ntrex)")
    parser.add_argument("--articles", type=int, default=1000, help="articles in the consistency-cost run (0: skip)")
    args = parser.parse_args(argv)
    for lang, name in (("hy", "armenian.txt"), ("en", "english.txt"), ("hy", "heldout.txt"), ("hy", "heldout2.txt")):
        s = score_find(DATA / name, lang)
        print(f"find {lang} ({name}): {s['gold']} names annotated, {s['found']} found; recall {s['recall']:.3f}, "
              f"precision {s['precision']:.3f}; people+places recall {s['recall_people_places']:.3f}, "
              f"precision {s['precision_people_places']:.3f}")
        if lang == "hy":
            print(f"  lemma+spelling right on {s['lemma_and_spelling']:.3f} of those found; "
                  f"records not names {s['not_names']:.3f}")
        print(f"  missed: {', '.join(s['misses']) or '-'}")
    for name in ("romanization.tsv", "romanization2.tsv"):
        r = score_romanize(DATA / name)
        parts = "".join(f"; {section} {right}/{total}" for section, (right, total) in r["sections"].items())
        print(f"romanize news ({name}): {r['exact']:.3f} exact of {r['names']} names{parts}; wrong: "
              + (", ".join(f"{hy}->{got} (news: {en})" for hy, en, got in r["wrong"]) or "-"))
    speed = find_speed(args.ntrex)
    if speed is None:
        print(f"find speed: skipped ({args.ntrex} not there)")
    else:
        print(f"find speed: {speed['chars']} characters, {speed['names']} names, {speed['cpu_s']:.2f} CPU s: "
              f"{speed['chars_per_cpu_s']:,.0f} characters per CPU second")
    check = ntrex_spellings(args.ntrex)
    if check is not None:
        print(f"ntrex spellings: {check['in_source']} of {check['records']} person/place records found in Armenian "
              f"are spelled as the English source line spells them: {check['share']:.3f}")
    if args.articles:
        c = consistency_cost(args.articles)
        print(f"consistency: {c['articles']} articles; the names stage {c['stage_cpu_s']:.2f} CPU s of the fix run's "
              f"{c['cpu_fix_s']:.2f} CPU s: {c['stage_percent']:.1f}% (wall: {c['run_off_s']:.2f} s off, "
              f"{c['run_fix_s']:.2f} s fix; CPU: {c['cpu_off_s']:.2f} s off); chosen {c['chosen']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
