"""Names the glossary does not know yet: find, romanize, one spelling per run, suggest, merge, editors.

The annotated sentences in tests/data/names/ were written for these tests: armenian.txt and
english.txt were used while the rules were written, heldout.txt only after (it is the
independent check of the issue's recall and precision targets); heldout2.txt and
romanization2.tsv were written and committed before the second round's rules (known people,
foreign given names, the uninflected given name) changed."""

from __future__ import annotations

import io
import itertools
import json
import sys
from pathlib import Path

import pytest

from pipeline.runfolder.edits import Edit, EditLog
from pipeline.batch.runner import run
from pipeline.cli import main
from pipeline.config import Config, with_overrides
from pipeline.devtools.names_bench import DATA, score_find, score_romanize
from pipeline.engines.testing import FunctionEngine
from pipeline.errors import ConfigError
from pipeline.glossary import load
from pipeline.glossary.edit import lint_file
from pipeline.names.consistency import NameBook
from pipeline.names.find import find_names
from pipeline.names.romanize import fold, romanize, same_name, to_armenian
from pipeline.segment import Segment

ROOT = Path(__file__).resolve().parents[1]
DESK = ROOT / "glossaries" / "desk.tsv"


# -- romanize -------------------------------------------------------------------------------------
@pytest.mark.parametrize("armenian, news", [
    ("Փաշինյան", "Pashinyan"), ("Երևան", "Yerevan"), ("Ոսկանյան", "Voskanyan"), ("Ծառուկյան", "Tsarukyan"),
    ("Ժիրայր", "Zhirayr"), ("Ղազարյան", "Ghazaryan"), ("Հովհաննիսյան", "Hovhannisyan"), ("Դանիելյան", "Danielyan"),
    ("Ալիև", "Aliyev"), ("Էջմիածին", "Etchmiadzin"), ("ՓԱՇԻՆՅԱՆ", "PASHINYAN"), ("Խոր Վիրապ", "Khor Virap"),
    ("Տեր-Պետրոսյան", "Ter-Petrosyan"), ("Եղեգնաձոր", "Yeghegnadzor"),
])
def test_news_style(armenian, news):
    assert romanize(armenian) == news


@pytest.mark.parametrize("style, expected", [
    ("bgn", "Ts'arruk'yan"), ("ala-lc", "Tsʻaṛukʻyan"), ("iso9985", "C'aṙowk'yan"), ("news", "Tsarukyan"),
])
def test_other_styles(style, expected):
    assert romanize("Ցառուքյան", style) == expected


def test_surname_ending_ian_only_for_surnames():
    assert romanize("Փաշինյան", surname_ending="ian") == "Pashinian"
    assert romanize("Սիսիան", surname_ending="ian") == "Sisian"
    assert romanize("Երևան", surname_ending="ian") == "Yerevan"


@pytest.mark.parametrize("a, b, same", [
    ("Pashinian", "Pashinyan", True), ("Mirzoian", "Mirzoyan", True), ("Erevan", "Yerevan", True),
    ("Khachatrian", "Khachatryan", True), ("Tsaroukian", "Tsarukyan", True), ("Trump", "Tramp", False),
    ("Armen", "Armenia", False), ("Փաշինյան", "Pashinian", True),
])
def test_same_name(a, b, same):
    assert same_name(a, b) is same
    assert (fold(a) == fold(b)) is same


@pytest.mark.parametrize("english, armenian", [
    ("Pashinyan", "Փաշինյան"), ("Pashinian", "Փաշինյան"), ("Zhirayr", "Ժիրայր"), ("Yerevan", "Երևան"),
    ("Petrosyan", "Պետրոսյան"), ("Hovhannisyan", "Հովհաննիսյան"), ("Etchmiadzin", "Էջմիածին"),
    ("Batman", None),  # t: տ or թ
])
def test_back_to_armenian(english, armenian):
    assert to_armenian(english) == armenian


def test_romanization_list():
    """The news style against the spellings English-language news gives. A surname or given
    name alone that one famous bearer spells his own way (`Սարգսյան`: Sargsyan, or Armen
    Sarkissian; `Սերժ`: Serzh Sargsyan, or Serj Tankian) keeps the desk's romanization: only the
    full name tells them apart."""
    result = score_romanize(DATA / "romanization.tsv")
    assert result["exact"] >= 0.97, result["wrong"]
    assert {hy for hy, _, _ in result["wrong"]} <= {"Սարգսյան", "Սերժ", "Թանկյան"}
    held_out = score_romanize(DATA / "romanization2.tsv")
    assert held_out["exact"] >= 0.97, held_out["wrong"]
    assert held_out["sections"]["ordinary"][0] == held_out["sections"]["ordinary"][1]


@pytest.mark.parametrize("armenian, news", [
    ("Սերժ Թանկյան", "Serj Tankian"), ("Սերժ Սարգսյան", "Serzh Sargsyan"), ("Սերժ", "Serzh"),
    ("ԱՐՄԵՆ ՍԱՐԳՍՅԱՆ", "ARMEN SARKISSIAN"), ("Շառլ", "Charles"), ("Շառլ Ազնավուր", "Charles Aznavour"),
    ("Լոս Անջելես", "Los Angeles"), ("Ուրսուլա ֆոն դեր Լայեն", "Ursula von der Leyen"),
    ("նախագահ Էմանուել Մակրոն", "nakhagah Emmanuel Macron"),
])
def test_known_people_and_foreign_names(armenian, news):
    """The lexicon's people are whole names: the words of a known full name take its spelling."""
    assert romanize(armenian) == news


def test_back_to_armenian_from_a_known_persons_spelling():
    assert to_armenian("Tankian") == "Թանկյան" and to_armenian("Charles") == "Շառլ"
    assert to_armenian("Ivan") != "Հովհաննես"  # Ivan Aivazovsky's Armenian given name is not Ivan's


# -- find -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, text, lemma, en, ctype", [
    ("Երեկ հանդիպեցին Փաշինյանին։", "Փաշինյանին", "Փաշինյան", "Pashinyan", "person"),
    ("Նիստը եղավ Երևանում։", "Երևանում", "Երևան", "Yerevan", "place"),
    ("Երեկ Բաքվում հայտարարեցին։", "Բաքվում", "Բաքու", "Baku", "place"),
    ("Երեկ Մոսկվայում հայտարարեցին։", "Մոսկվայում", "Մոսկվա", "Moscow", "place"),
    ("Երեկ Գյումրին տուժեց։", "Գյումրին", "Գյումրի", "Gyumri", "place"),
    ("Երեկ Լոռու մարզում։", "Լոռու", "Լոռի", "Lori", "place"),
    ("Երեկ Սարգսի հետ էինք։", "Սարգսի", "Սարգիս", "Sargis", "person"),
    ("ՀՈՎՀԱՆՆԻՍՅԱՆԻՆ ՆՇԱՆԱԿԵԼ ԵՆ", "ՀՈՎՀԱՆՆԻՍՅԱՆԻՆ", "Հովհաննիսյան", "Hovhannisyan", "person"),
    ("Քոչարյանը հանդիպեց Տեր-Պետրոսյանի հետ։", "Տեր-Պետրոսյանի", "Տեր-Պետրոսյան", "Ter-Petrosyan", "person"),
    ("Ակցիային էր Ս. Դիլանյանը։", "Դիլանյանը", "Դիլանյան", "Dilanyan", "person"),
    ("Ժիրայր Սեֆիլյանը ազատ է։", "Ժիրայր", "Ժիրայր", "Zhirayr", "person"),
    # a full name declines its last word only: not Մարտ + ին
    ("Խոսեց Մարտին Վարդազարյանը։", "Մարտին", "Մարտին", "Martin", "person"),
    ("Երեկ Դավիթ Նալբանդյանը հաղթեց։", "Նալբանդյանը", "Նալբանդյան", "Nalbandian", "person"),
    ("Երեկ Դավիթ Նալբանդյանը հաղթեց։", "Դավիթ", "Դավիթ", "David", "person"),
    ("ՇԱՌԼ ԱԶՆԱՎՈՒՐԻ ԵՐԳԵՐԸ", "ԱԶՆԱՎՈՒՐԻ", "Ազնավուր", "Aznavour", "person"),
    ("Ապրում է Օնտարիոյում։", "Օնտարիոյում", "Օնտարիո", "Ontario", "place"),  # the glide of a vowel stem
    ("Հանդիպեց Գիորգի Մելիաշվիլու հետ։", "Գիորգի", "Գիորգի", "Giorgi", "person"),
    ("Հանդիպեց Գիորգի Մելիաշվիլու հետ։", "Մելիաշվիլու", "Մելիաշվիլի", "Meliashvili", "person"),
    ("ԵՐԵԿ ՍՏՐԱՍԲՈՒՐԳՈՒՄ", "ՍՏՐԱՍԲՈՒՐԳՈՒՄ", "Ստրասբուրգ", "Strasbourg", "place"),
])
def test_armenian_name(line, text, lemma, en, ctype):
    names = {n.text: n for n in find_names([line], "hy")}
    assert text in names, names
    name = names[text]
    assert (name.lemma, name.en, name.type, name.hy) == (lemma, en, ctype, lemma)
    assert line[name.start:name.end] == text


@pytest.mark.parametrize("line", [
    "Կառավարությունը որոշեց։",  # a capitalised common word starting a sentence
    "Կառավարության նիստում որոշեցին։",  # -ության is not a surname ending
    "ԿԱՌԱՎԱՐՈՒԹՅՈՒՆԸ ՈՐՈՇԵՑ",  # a headline in capitals
    "Կաթողիկոս Գարեգին Բ-ն պատարագ մատուցեց։",  # the numeral letter (Գարեգին is found)
    "Աֆրիկյան երկրները համաձայնեցին։",  # the adjective of a known place, not a surname in -յան
    "Օդանավակայանը բաց է։",  # a station (-կայան)
    "Այսօր Հայոց ցեղասպանության զոհերի հիշատակի օրն է։",  # of Armenians: a people, not a name
])
def test_armenian_not_names(line):
    texts = {n.text for n in find_names([line], "hy")}
    assert not texts & {"Կառավարությունը", "Կառավարության", "ԿԱՌԱՎԱՐՈՒԹՅՈՒՆԸ", "Բ-ն", "Աֆրիկյան",
                        "Օդանավակայանը", "Հայոց"}


def test_what_the_input_writes_elsewhere_decides_but_a_declined_form_is_no_lemma():
    lines = ["Երեկ Սինգապուրի նախագահը խոսեց։", "Նա ապրում է Սինգապուրում։",
             "Արևմտյան երկրները լռեցին։", "Այդ արևմտյան երկիրը լռեց։"]
    assert [(n.text, n.lemma) for n in find_names(lines, "hy")] == [
        ("Սինգապուրի", "Սինգապուր"), ("Սինգապուրում", "Սինգապուր")]  # Արևմտյան: western, written small too


def test_a_surname_alone_follows_the_known_person_named_in_the_input():
    """Armen Sarkissian, named in full, is Sarkissian later; another Sargsyan elsewhere is not."""
    spelled = [(n.text, n.en) for n in find_names(
        ["Ելույթ ունեցավ Արմեն Սարգսյանը։", "Սարգսյանի խոսքով՝ ամեն ինչ լավ է։"], "hy") if n.type == "person"]
    assert spelled == [("Արմեն", "Armen"), ("Սարգսյանը", "Sarkissian"), ("Սարգսյանի", "Sarkissian")]
    alone = find_names(["Ելույթ ունեցավ Սերժ Սարգսյանը։", "Սարգսյանի խոսքով՝ ամեն ինչ լավ է։"], "hy")
    assert [n.en for n in alone] == ["Serzh", "Sargsyan", "Sargsyan"]


def test_capitalised_elsewhere_in_the_input_is_a_name():
    lines = ["Սեդրակը եկավ։", "Երեկ տեսա Սեդրակին։"]
    assert [n.lemma for n in find_names(lines, "hy")] == ["Սեդրակ", "Սեդրակ"]
    assert find_names(lines[:1], "hy") == []


def test_glossary_names_come_with_their_concept():
    names = find_names(["Վարչապետ Նիկոլ Փաշինյանը ժամանեց։"], "hy", load(DESK))
    assert [(n.text, n.concept, n.en) for n in names] == [("Նիկոլ Փաշինյանը", "nikol-pashinian", "Nikol Pashinian")]


@pytest.mark.parametrize("line, names", [
    ("Prime Minister Nikol Pashinyan met the French ambassador on Monday.", ["Nikol Pashinyan"]),
    ("The Bank of England said so.", ["Bank of England"]),
    ("In Pashinyan's words, all is well.", ["Pashinyan"]),
    ("Officials said S. Dilanyan was detained.", ["S. Dilanyan"]),
])
def test_english_names(line, names):
    assert [n.text for n in find_names([line], "en")] == names


def test_english_sentence_start_needs_the_text_to_capitalise_it_elsewhere():
    assert [n.text for n in find_names(["Yesterday it rained."], "en")] == []
    assert [n.lemma for n in find_names(["Mirzoyan spoke.", "Later Mirzoyan left."], "en")] == ["Mirzoyan", "Mirzoyan"]


@pytest.mark.parametrize("name, lang, recall, precision", [
    ("armenian.txt", "hy", 0.95, 0.95), ("english.txt", "en", 0.95, 0.95), ("heldout.txt", "hy", 0.9, 0.9),
    ("heldout2.txt", "hy", 0.9, 0.9),
])
def test_annotated_sentences(name, lang, recall, precision):
    score = score_find(DATA / name, lang)
    assert score["recall_people_places"] >= recall and score["precision_people_places"] >= precision, score
    if lang == "hy":
        assert score["lemma_and_spelling"] >= 0.95 and score["not_names"] <= 0.03, score


# -- consistency ------------------------------------------------------------------------------------
DRIFT = {"Փաշինյան": ("Pashinian", "Pashinyan"), "Միրզոյան": ("Mirzoian", "Mirzoyan"), "Երևան": ("Erevan", "Yerevan"),
         "Ծառուկյան": ("Tsaroukian", "Tsarukyan"), "Խաչատրյան": ("Khachatrian", "Khachatryan"), "Թրամփ": ("Trump",)}
HY_DRIFT = {"Pashinyan": ("Պաշինյան", "Փաշինյան"), "Mirzoyan": ("Միռզոյան", "Միրզոյան"), "Trump": ("Թրամպ",)}


def drifting(table):
    turn = itertools.count()

    def translate(text, src, tgt):
        words = []
        for word in text.replace("։", " .").split():
            for lemma, spellings in table.items():
                if word.startswith(lemma):
                    ending = word[len(lemma):].strip(".,")
                    words.append(spellings[next(turn) % len(spellings)] + (ending if tgt == "hy" else ""))
                    break
            else:
                words.append(".")
        return " ".join(words)

    return FunctionEngine(translate)


def config(tgt="en", **names):
    return with_overrides(Config(), model__id="function-engine", run__tgt=tgt, run__progress="off",
                          cache__memory=False, **{f"names__{k}": v for k, v in names.items()})


HY_ARTICLES = {
    "a.txt": "Փաշինյանը հանդիպեց Միրզոյանին Երևանում։ Երեկ Թրամփը զանգեց Փաշինյանին։\n",
    "b.txt": "Երևանում Միրզոյանը խոսեց Թրամփի մասին։ Հետո Ծառուկյանը Խաչատրյանի հետ էր։\n",
    "c.txt": "Երեկ Ծառուկյանը և Խաչատրյանը Երևանում էին։ Փաշինյանը և Միրզոյանը՝ նույնպես։\n",
}


def write_articles(folder: Path, articles: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def targets(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]


def spellings_in(out: Path, words) -> dict[str, set[str]]:
    text = " ".join(row["target"] for row in targets(out))
    return {word: {w.strip(".,") for w in text.split() if fold(w.strip(".,")) == fold(word)} for word in words}


def test_a_drifting_engine_comes_out_with_one_spelling_per_name(tmp_path):
    src = write_articles(tmp_path / "in", HY_ARTICLES)
    result = run(src, tmp_path / "out", config(), engine=drifting(DRIFT), review=False)
    seen = spellings_in(tmp_path / "out", ["Pashinyan", "Mirzoyan", "Yerevan", "Tsarukyan", "Khachatryan"])
    assert seen == {"Pashinyan": {"Pashinyan"}, "Mirzoyan": {"Mirzoyan"}, "Yerevan": {"Yerevan"},
                    "Tsarukyan": {"Tsarukyan"}, "Khachatryan": {"Khachatryan"}}
    names = {row["lemma"]: row for row in result.manifest["names"]}
    assert names["Փաշինյան"]["chosen"] == "Pashinyan" and names["Փաշինյան"]["why"] == "house"
    assert set(names["Փաշինյան"]["seen"]) == {"Pashinian", "Pashinyan"}
    assert names["Թրամփ"]["chosen"] == "Trump" and names["Թրամփ"]["why"] == "engine"
    notes = [n for row in targets(tmp_path / "out") for n in row.get("notes", {}).get("name-normalised", [])]
    assert "Pashinian → Pashinyan (Փաշինյան)" in notes
    assert all("name-normalised" in row["flags"] for row in targets(tmp_path / "out") if "Pashinian" in
               " ".join(row.get("notes", {}).get("name-normalised", [])))


def test_house_style_ian(tmp_path):
    src = write_articles(tmp_path / "in", HY_ARTICLES)
    run(src, tmp_path / "out", config(surname_ending="ian"), engine=drifting(DRIFT), review=False)
    seen = spellings_in(tmp_path / "out", ["Pashinyan", "Mirzoyan"])
    assert seen == {"Pashinyan": {"Pashinian"}, "Mirzoyan": {"Mirzoian"}}


def test_flag_mode_only_flags_and_off_changes_nothing(tmp_path):
    src = write_articles(tmp_path / "in", HY_ARTICLES)
    run(src, tmp_path / "flag", config(consistency="flag"), engine=drifting(DRIFT), review=False)
    rows = targets(tmp_path / "flag")
    assert any("name-inconsistent" in row["flags"] for row in rows)
    assert not any("name-normalised" in row["flags"] for row in rows)
    assert "Pashinian" in " ".join(row["target"] for row in rows)
    result = run(src, tmp_path / "off", config(consistency="off"), engine=drifting(DRIFT), review=False)
    assert "names" not in result.manifest
    assert not any(f.startswith("name-") for row in targets(tmp_path / "off") for f in row["flags"])


def test_into_armenian_one_spelling_per_english_name(tmp_path):
    src = write_articles(tmp_path / "in", {
        "a.txt": "Pashinyan met Mirzoyan. Later Pashinyan called Trump.\n",
        "b.txt": "Mirzoyan said Pashinyan agreed. Then Mirzoyan left.\n",
    })
    result = run(src, tmp_path / "out", config("hy"), engine=drifting(HY_DRIFT), review=False)
    text = " ".join(row["target"] for row in targets(tmp_path / "out"))
    assert "Պաշինյան" not in text and "Միռզոյան" not in text
    assert "Փաշինյան" in text and "Միրզոյան" in text
    names = {row["lemma"]: row for row in result.manifest["names"]}
    assert names["Pashinyan"]["chosen"] == "Փաշինյան" and names["Trump"]["chosen"] == "Թրամպ"


def test_memory_hits_are_normalised_too(tmp_path, private_cache):
    src = write_articles(tmp_path / "in", HY_ARTICLES)
    with_memory = with_overrides(config(), cache__memory=True, cache__dir=str(tmp_path / "cache"))
    run(src, tmp_path / "first", with_memory, engine=drifting(DRIFT), review=False)
    engine = drifting(DRIFT)
    run(src, tmp_path / "second", with_memory, engine=engine, review=False)
    assert engine.calls == []  # every segment came from the memory
    seen = spellings_in(tmp_path / "second", ["Pashinyan", "Mirzoyan"])
    assert seen == {"Pashinyan": {"Pashinyan"}, "Mirzoyan": {"Mirzoyan"}}


def test_a_resumed_run_keeps_the_names_it_chose(tmp_path):
    """The names chosen before an interruption are kept (`.targman/names.json`), though the
    engine of the resumed run spells them otherwise."""
    src = write_articles(tmp_path / "in", HY_ARTICLES)
    out = tmp_path / "out"
    engine = drifting(DRIFT)  # Թրամփ: Trump

    def stop(call, texts):
        if call == 2:
            raise KeyboardInterrupt

    engine.before_call = stop
    tight = with_overrides(config(), run__window=1)  # a window a file
    with pytest.raises(KeyboardInterrupt):
        run(src, out, tight, engine=engine, review=False)
    state = json.loads((out / ".targman" / "names.json").read_text(encoding="utf-8"))
    assert {e["lemma"]: e["chosen"] for e in state["entries"]}["Թրամփ"] == "Trump"
    result = run(src, out, tight, engine=drifting({**DRIFT, "Թրամփ": ("Tramp",)}), review=False)
    names = {row["lemma"]: row for row in result.manifest["names"]}
    assert names["Թրամփ"]["chosen"] == "Trump" and names["Թրամփ"]["seen"] == {"Trump": 1, "Tramp": 1}
    text = " ".join(row["target"] for row in targets(out))
    assert "Tramp" not in text and text.count("Trump") == 2


def test_a_known_persons_own_spelling_is_the_house_one():
    """The engine's `Tankyan` for Serj Tankian is the same name transliterated otherwise: his own `Tankian`."""
    book = NameBook()
    segments = [Segment(doc="a", para=i, index=i, source=source, src_lang="hy", target=target) for i, (source, target) in
                enumerate([("Երեկ Սերժ Թանկյանը երգեց։", "Yesterday Serj Tankyan sang."),
                           ("Թանկյանի համերգը լավ էր։", "Tankian's concert was good.")])]
    book.apply(segments, "en")
    assert [s.target for s in segments] == ["Yesterday Serj Tankian sang.", "Tankian's concert was good."]
    assert {row["lemma"]: (row["chosen"], row["why"]) for row in book.report()}["Թանկյան"] == ("Tankian", "house")


def test_editors_text_is_never_changed_and_its_spelling_wins():
    book = NameBook()
    edited = Segment(doc="a", para=0, index=0, source="Երեկ Փաշինյանը խոսեց։", src_lang="hy",
                     target="Yesterday Pashinian spoke.", origin="human")
    machine = Segment(doc="a", para=1, index=1, source="Երեկ Փաշինյանը լռեց։", src_lang="hy",
                      target="Yesterday Pashinyan was silent.")
    book.apply([edited, machine], "en")
    assert edited.target == "Yesterday Pashinian spoke." and not edited.flags
    assert machine.target == "Yesterday Pashinian was silent."
    assert book.report()[0]["why"] == "editor"


def test_an_editors_post_edit_teaches_the_next_run_and_the_suggestion(tmp_path):
    src = write_articles(tmp_path / "in", {"a.txt": "Երեկ Ծառուկյանը խոսեց։\n"})
    out = tmp_path / "out"
    run(src, out, config(), engine=drifting(DRIFT), review=False)
    row = targets(out)[0]
    assert "Tsarukyan" in row["target"]
    EditLog(out).append([Edit(doc=row["doc"], index=row["index"], src_lang="hy", tgt="en", context="",
                              source=row["source"], before=row["target"],
                              after=row["target"].replace("Tsarukyan", "Tsarukian"), via="review")])
    write_articles(tmp_path / "in", {"b.txt": "Երեկ Ծառուկյանին տեսանք։\n"})
    result = run(src, out, config(), engine=drifting(DRIFT), review=False)
    names = {r["lemma"]: r for r in result.manifest["names"]}
    assert names["Ծառուկյան"]["chosen"] == "Tsarukian" and names["Ծառուկյան"]["why"] == "editor"
    assert "Tsarukian" in next(r["target"] for r in targets(out) if r["doc"] == "b.txt")
    suggested = tmp_path / "new.tsv"
    assert main(["names", "suggest", str(out), "-o", str(suggested)]) == 0
    assert "Tsarukian\tԾառուկյան" in suggested.read_text(encoding="utf-8")


# -- suggest and merge ----------------------------------------------------------------------------
def test_suggest_lists_new_names_and_passes_lint_and_merge_adds_them(tmp_path, capsys):
    src = write_articles(tmp_path / "in", HY_ARTICLES)
    out = tmp_path / "out"
    run(src, out, config(), engine=drifting(DRIFT), review=False)
    new = tmp_path / "new.tsv"
    assert main(["names", "suggest", str(out), "-o", str(new)]) == 0
    assert lint_file(new) == []
    rows = [line.split("\t") for line in new.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert rows[0] == ["id", "type", "en", "hy", "note"]
    by_en = {row[2]: row for row in rows[1:]}
    assert by_en["Pashinyan"][1:4] == ["person", "Pashinyan", "Փաշինյան"]
    assert by_en["Yerevan"][1] == "place"
    assert "3x in a.txt, c.txt" in by_en["Pashinyan"][4]
    counts = [int(row[4].split("x in")[0].rsplit(" ", 1)[1]) for row in rows[1:]]
    assert counts == sorted(counts, reverse=True)

    desk = tmp_path / "desk.tsv"
    desk.write_text(DESK.read_text(encoding="utf-8"), encoding="utf-8")
    capsys.readouterr()
    assert main(["glossary", "merge", str(desk), str(new)]) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "nikol-pashinian" in err  # the desk has Pashinyan already
    merged = load(desk)
    assert "tsarukyan" in merged.concepts and merged.concepts["tsarukyan"].type == "person"
    assert lint_file(desk) == []
    assert main(["glossary", "fmt", "--check", str(desk)]) == 0
    before = desk.read_bytes()
    assert main(["glossary", "merge", str(desk), str(new)]) == 0  # again: everything is there already
    assert desk.read_bytes() == before


def test_merge_reads_tbx(tmp_path):
    tbx = tmp_path / "new.tbx"
    new = tmp_path / "new.tsv"
    new.write_text("id\ttype\ten\thy\tnote\nsaryan\tperson\tSaryan\tՍարյան\t\n", encoding="utf-8")
    assert main(["glossary", "convert", str(new), str(tbx)]) == 0
    desk = tmp_path / "desk.tsv"
    desk.write_text(DESK.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["glossary", "merge", str(desk), str(tbx)]) == 0
    assert load(desk).concepts["saryan"].preferred("hy").text == "Սարյան"


# -- the command line -----------------------------------------------------------------------------
def test_cli_find_and_romanize(tmp_path, capsys, monkeypatch):
    text = tmp_path / "in.txt"
    text.write_text("Երեկ հանդիպեցին Փաշինյանին։\nՆիստը Երևանում էր։\n", encoding="utf-8")
    assert main(["names", "find", str(text)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["line"], r["text"], r["lemma"], r["en"], r["type"]) for r in rows] == [
        (1, "Փաշինյանին", "Փաշինյան", "Pashinyan", "person"), (2, "Երևանում", "Երևան", "Yerevan", "place")]
    assert set(rows[0]) == {"line", "start", "end", "text", "lemma", "en", "hy", "type", "concept"}

    monkeypatch.setattr(sys, "stdin", io.StringIO("Փաշինյան\nԵրևան\n"))
    assert main(["names", "romanize", "--surname-ending", "ian"]) == 0
    assert capsys.readouterr().out == "Pashinian\nYerevan\n"
    assert main(["names", "romanize", "--tgt", "hy", "Pashinyan", "Batman"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "Փաշինյան\n\n" and "ambiguous" in captured.err


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("Երևան\n".encode() + b"\xff\xfe\n")
    assert main(["names", "find", str(bad)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.txt:2" in err and "UTF-8" in err
    assert main(["names", "suggest", str(tmp_path)]) != 0
    assert "run.json" in capsys.readouterr().err


def test_names_config_is_checked(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[names]\nconsistency = "always"\n', encoding="utf-8")
    from pipeline.config import load as load_config

    with pytest.raises(ConfigError, match="consistency"):
        load_config(path)
    path.write_text('[names]\nspelling = "yan"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="valid keys: consistency, surname_ending"):
        load_config(path)


@pytest.mark.parametrize("command", ["run", "translate"])
def test_names_option_on_run_and_translate(command, tmp_path):
    from pipeline.cli import build_parser
    from pipeline.cli.run import build_config

    extra = [str(tmp_path), "-o", str(tmp_path / "out")] if command == "run" else []
    args = build_parser(command).parse_args([command, *extra, "--tgt", "en", "--names", "flag"])
    assert build_config(args).names.consistency == "flag"
    args = build_parser(command).parse_args([command, *extra, "--tgt", "en"])
    assert build_config(args).names.consistency == "fix"


def test_a_word_found_by_edit_distance_only_is_not_rewritten_into_another_name():
    """`Armenia` is close to `Armen` but another word: counted where the engine left Armen out,
    never rewritten, and `Armen` is never rewritten to `Armenia`."""
    book = NameBook()
    one = Segment(doc="a", para=0, index=0, source="Երեկ Արմենը խոսեց։", src_lang="hy", target="Armenia spoke yesterday.")
    two = Segment(doc="a", para=1, index=1, source="Երեկ Արմենը լռեց։", src_lang="hy", target="Armenia was silent.")
    three = Segment(doc="a", para=2, index=2, source="Երեկ Արմենը եկավ։", src_lang="hy", target="Armen came.")
    book.apply([one, two, three], "en")
    assert [s.target for s in (one, two, three)] == ["Armenia spoke yesterday.", "Armenia was silent.", "Armen came."]


def test_a_spelling_accepted_in_the_panel_is_the_next_runs(tmp_path):
    from pipeline.names.suggest import panel_event

    src = write_articles(tmp_path / "in", {"a.txt": "Երեկ Ծառուկյանը խոսեց։\n"})
    out = tmp_path / "out"
    run(src, out, config(), engine=drifting(DRIFT), review=False)
    panel_event(out, "Ծառուկյան", "en", "accept", "Tsarukian")
    write_articles(tmp_path / "in", {"b.txt": "Երեկ Ծառուկյանին տեսանք։\n"})
    result = run(src, out, config(), engine=drifting(DRIFT), review=False)
    names = {r["lemma"]: r for r in result.manifest["names"]}
    assert (names["Ծառուկյան"]["chosen"], names["Ծառուկյան"]["why"]) == ("Tsarukian", "editor")
