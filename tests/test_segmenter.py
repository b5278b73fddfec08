import pytest

from pipeline.documents.script import detect_language, latin_words_in, split_script_runs
from pipeline.documents.segmenter import segment_paragraphs, split_sentences


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hello there. How are you?", ["Hello there.", "How are you?"]),
        ("Mr. Smith went to Washington. He left.", ["Mr. Smith went to Washington.", "He left."]),
        ("The U.S. and the EU agreed. Then they left.", ["The U.S. and the EU agreed.", "Then they left."]),
        ("He said: yes. It rained.", ["He said: yes.", "It rained."]),
        ("“Mass media are full of rumors.” He smiled.", ["“Mass media are full of rumors.”", "He smiled."]),
        ("J. Smith arrived. Good!", ["J. Smith arrived.", "Good!"]),
        ("It cost 2.5 million. Yes.", ["It cost 2.5 million.", "Yes."]),
        # Armenian full stop, and the ASCII colon scraped text uses instead
        ("Լավրովը հանդիպեց Միրզոյանին։ Նա ասաց։", ["Լավրովը հանդիպեց Միրզոյանին։", "Նա ասաց։"]),
        ("Լավրովը հանդիպեց Միրզոյանին: Նա ասաց:", ["Լավրովը հանդիպեց Միրզոյանին:", "Նա ասաց:"]),
        # ՞ inside a word ends nothing; « » quotes
        ("Ինչո՞ւ է նա այստեղ։ Հայտնի չէ։", ["Ինչո՞ւ է նա այստեղ։", "Հայտնի չէ։"]),
        ("Նա ասաց՝ «Ոչ»: Հետո մեկնեց:", ["Նա ասաց՝ «Ոչ»:", "Հետո մեկնեց:"]),
        # an initial is not a sentence end
        ("Ս. Լավրովը ժամանեց Երևան։", ["Ս. Լավրովը ժամանեց Երևան։"]),
        ("2022 թ. սեպտեմբերին նա եկավ։ Այո։", ["2022 թ. սեպտեմբերին նա եկավ։", "Այո։"]),
        # a Latin acronym stays inside its Armenian sentence
        ("ՆԱՏՕ-ն և MWPs անդամները հավաքվեցին։ Ավարտ։", ["ՆԱՏՕ-ն և MWPs անդամները հավաքվեցին։", "Ավարտ։"]),
        # mixed paragraph: each sentence its own language
        ("Armenia agreed. Հայաստանը համաձայնեց։", ["Armenia agreed.", "Հայաստանը համաձայնեց։"]),
        ("no end", ["no end"]),
    ],
)
def test_split_sentences(text, expected):
    pieces = split_sentences(text)
    assert [s for s, _ in pieces] == expected
    assert "".join(s + sep for s, sep in pieces) == text


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Hello world", "en"),
        ("Բարև աշխարհ", "hy"),
        ("ՆԱՏՕ-ն և MWPs անդամները հավաքվեցին", "hy"),
        ("The ՀԱՊԿ met", "en"),
        # Latin names with Armenian case endings, and addresses, leave a sentence Armenian (issue 24)
        ("Ըստ Reuters-ի, Washington Post-ը հայտնել է, որ Joe Biden-ը այցելելու է։", "hy"),
        ("Մանրամասները՝ https://www.example.com/news/armenia-russia-talks-in-moscow կայքում։", "hy"),
        ("Washington Post, New York Times և Reuters գործակալությունը", "hy"),
        ("The word Բարև means hello.", "en"),
        ("Prime Minister Pashinyan met Joe Biden in Washington.", "en"),
        ("Привет мир", "ru"),
        ("2022, 14:30 — 15%", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("sentence, pieces", [
    ("Լավրովը հանդիպեց Միրզոյանին The talks went on for hours",
     ["Լավրովը հանդիպեց Միրզոյանին", "The talks went on for hours"]),
    ("The talks went on for hours Լավրովը հանդիպեց Միրզոյանին։",
     ["The talks went on for hours", "Լավրովը հանդիպեց Միրզոյանին։"]),
    # names, acronyms, inflected names and addresses stay in their sentence
    ("Ըստ Reuters-ի, Washington Post-ը հայտնել է, որ Joe Biden-ը այցելելու է։", None),
    ("ՆԱՏՕ-ն և MWPs անդամները հավաքվեցին", None),
    ("Նա գրել է https://example.com/a-b-c կայքում New York Times-ի մասին", None),
    ("Լավրովը ասաց OK", None),  # one English word is not a stretch
    ("The Armenian word Բարև means hello", None),  # one Armenian word is not one either
])
def test_script_runs_split_a_sentence_only_between_stretches(sentence, pieces):
    got = split_script_runs(sentence)
    assert "".join(p + sep for p, sep in got) == sentence
    assert [p for p, _ in got] == (pieces or [sentence])


def test_the_issue_mixed_sentences_are_translated_and_no_armenian_passes_unflagged():
    from pipeline.engines.testing import FunctionEngine
    from pipeline.translation.translator import Translator

    engine = FunctionEngine()
    with Translator.from_config(engine=engine, tgt="en", cache=False) as translator:
        reuters, lavrov, quoted = translator.translate([
            "Ըստ Reuters-ի, Washington Post-ը հայտնել է, որ Joe Biden-ը այցելելու է։",
            "Լավրովը հանդիպեց Միրզոյանին The talks went on for hours",
            "The word Բարև means hello.",
        ])
    assert reuters.text.startswith("[hy>en] Ըստ Reuters-ի") and reuters.src_lang == "hy"
    assert lavrov.text == "[hy>en] Լավրովը հանդիպեց Միրզոյանին The talks went on for hours"
    assert [s.src_lang for s in lavrov.segments] == ["hy", "en"]
    assert quoted.text == "The word Բարև means hello." and "untranslated-words" in quoted.flags
    assert quoted.segments[0].notes["untranslated-words"] == ["Բարև"]


def test_latin_words_in_armenian():
    assert latin_words_in("ՆԱՏՕ-ն և MWPs անդամները, Twp-ն ու COVID-19-ը") == ["MWPs", "Twp", "COVID-19"]


def test_segments_rebuild_paragraphs_and_kinds():
    paragraphs = [
        ("Մատչելիության հղումներ", "\n\n"),
        ("# CSTO Ready. Really!", "\n"),
        ("Caption printed twice.", "\n"),
        ("Caption  printed twice.", "\n\n"),
        ("Լավրովը խոսեց։ Նա ասաց։", ""),
    ]
    segments = list(segment_paragraphs("a.txt", paragraphs, boilerplate=["Մատչելիության հղումներ"]))
    assert [s.kind for s in segments] == ["boilerplate", "text", "text", "text", "duplicate", "text", "text"]
    assert [s.src_lang for s in segments] == ["hy", "en", "en", "en", "en", "hy", "hy"]
    assert [s.index for s in segments] == list(range(7))
    assert [s.para for s in segments] == [0, 1, 1, 2, 3, 4, 4]
    assert segments[1].pre == "# " and segments[1].source == "CSTO Ready."
    rebuilt = "".join(s.pre + s.source + s.sep + s.para_sep for s in segments)
    assert rebuilt == "".join(text + sep for text, sep in paragraphs)


# Armenian abbreviations that end in a period inside a sentence, and sentences that really
# end in one. Each text is written with `|` where a sentence ends (and the space after it).
ARMENIAN_BOUNDARIES = [
    # abbreviated first names, also in capitals
    "Հր. Դինքի սպանության գործով դատը շարունակվում է։| Նիստը հետաձգվեց։",
    "Էդ. Նալբանդյանը հանդիպեց Ս. Լավրովին։",
    "Գր. Նարեկացու անվան փողոցում։",
    "Վլ. Պուտինը և Ալ. Լուկաշենկոն խոսեցին։| Այլ մանրամասներ չկան։",
    "ՀՐ. ԴԻՆՔ, ԷԴ. ՆԱԼԲԱՆԴՅԱՆ։",
    "Վերջում ելույթ ունեցավ Ստ. Շահումյանը։",
    "Ռ. Քոչարյանը և Լ. Տեր-Պետրոսյանը մասնակցեցին։",
    # dates and eras
    "1915-1923 թթ. Օսմանյան կայսրությունում իրականացվեց Հայոց ցեղասպանությունը։",
    "XIX-XX դդ. Հայաստանում նոր դպրոցներ բացվեցին։",
    "Տիգրան Մեծը թագավորել է մ.թ.ա. 95-55 թվականներին։",
    "Ք.ա. I դարում։",
    "2022 թ. Սեպտեմբերի 13-ին սկսվեց հարձակումը։",
    "5-րդ դ. Մեսրոպ Մաշտոցը ստեղծեց այբուբենը։",
    # titles, addresses, references
    "Զեկույցով հանդես եկավ պրոֆ. Սարգսյանը։",
    "Ելույթ ունեցավ ակադ. Ամբարցումյանը։",
    "Գրասենյակը գտնվում է Աբովյան փող. 5 հասցեում։",
    "Միջոցառումը Մաշտոցի պող. Մատենադարանի մոտ էր։",
    "Ուղերձ հղեց պրն. Սիմոնյանը։",
    "Այս մասին (տե՛ս. Գլուխ 3) խոսվել է։",
    "Բյուջեն 5 մլրդ. ԱՄՆ դոլար է։",
    "ՊՐՈՖ. ՍԱՐԳՍՅԱՆԻ ԴԱՍԸ։",
    # a sentence that ends in an abbreviation still ends
    "Նա ծնվել է 1915 թ.։| Հետո տեղափոխվել է Մոսկվա։",
    "Պատերազմը տևեց 1941-1945 թթ.:| Հաղթանակը եկավ։",
    "Ցեղասպանությունը տեղի ունեցավ XX դ.։| Այն ճանաչված է։",
    "Դասախոսը պրոֆ.։| Նա ասաց։",
    # the period as the Armenian colon (միջակետ) before a quote, a dash or a clause
    "Աղբյուրը հայտնում է. -Թրուլին Հոլիի գլխավոր առաջնահերթությունն էր:",
    "Նա ավելացրեց. «Վարչապետերը պահում են իրենց աշխատանքը»:",
    "Հարձակում Միդսոմեր Նորթոնում. Մահափորձ կատարած չորս անձ է ձերբակալվել:",
    "Սա վերջն է. Սկսվում է նորը։",
    "Բերնարդ Վան. Մեծարվել է հոգևորականը։",
    "Դեփթֆորդում ավտովթար է տեղի ունեցել. Հեծանվորդ է մահացել",  # a headline: no full stop at all
    # ordinary sentences are still split
    "Լավրովը հանդիպեց Միրզոյանին։| Նա ասաց։",
    "Նա ասաց՝ այո։| Հետո մեկնեց։",
    # a paragraph that uses the period as its full stop (no ։ at all)
    "Այո.| Նա եկավ.",
    "Սա վերջն է.| Սկսվում է նորը.",
    "Հր. Դինքը եկավ.| Պրոֆ. Սարգսյանը չեկավ.",
    "Mr. Smith went to Washington.| He left.",
    "Armenia agreed.| Հայաստանը համաձայնեց։",
]


def _expected(marked: str) -> tuple[str, set[int]]:
    text, ends = "", set()
    for piece in marked.split("|"):
        text += piece
        ends.add(len(text))
    return text, ends - {len(text)}


def _found(text: str) -> set[int]:
    ends, at = set(), 0
    for sentence, sep in split_sentences(text)[:-1]:
        at += len(sentence) + len(sep)
        ends.add(at)
    return ends


def _gold(text: str, ends: set[int]) -> set[int]:
    # a boundary is counted where the next sentence starts (after the separating space)
    return {e + len(text[e:]) - len(text[e:].lstrip()) for e in ends}


@pytest.mark.parametrize("marked", ARMENIAN_BOUNDARIES)
def test_armenian_abbreviations_and_sentence_ends(marked):
    text, ends = _expected(marked)
    assert _found(text) == _gold(text, ends)
    pieces = split_sentences(text)
    assert "".join(s + sep for s, sep in pieces) == text


def test_boundary_scores_on_the_abbreviation_table():
    tp = fp = fn = 0
    for marked in ARMENIAN_BOUNDARIES:
        text, ends = _expected(marked)
        gold, found = _gold(text, ends), _found(text)
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall)
    print(f"\nsentence boundaries on {len(ARMENIAN_BOUNDARIES)} texts: {tp} found, {fp} false, {fn} missed; "
          f"precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
    assert (fp, fn) == (0, 0)
