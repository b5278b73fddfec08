"""Armenian test tables, written from the grammar (declension classes, vowel reduction,
irregular nouns, possessive articles, derivations), not tuned on annotated corpora.

`CONCEPTS`: id -> (type, Armenian term, `hy_forms` cell). `POSITIVE`: (concept, form in
running text, side), side `both` when the constrained search must also be offered the
form, `source` when only matching must accept it (colloquial forms, `-ներ` after a reduced
stem, a name with a possessive). `NEGATIVE`: (concept, word, why): a word
that must not be taken for the concept. `score()` gives recall and precision of the matcher
over them (tests/test_armenian_tables.py prints it with `-s`).
"""

from __future__ import annotations

CONCEPTS = {
    # names, regular consonant stems
    "mirzoyan": ("person", "Միրզոյան", ""),
    "armenia": ("place", "Հայաստան", ""),
    "azerbaijan": ("place", "Ադրբեջան", ""),
    "lavrov": ("person", "Լավրով", ""),
    "aliyev": ("person", "Ալիև", ""),
    "yerevan": ("place", "Երևան", ""),
    "trump": ("person", "Թրամփ", ""),
    "putin": ("person", "Պուտին", ""),
    "azat": ("person", "Ազատ", ""),
    "anush": ("person", "Անուշ", ""),
    "iran": ("place", "Իրան", ""),
    "harutyun": ("person", "Հարություն", ""),
    # vowel reduction
    "council": ("term", "խորհուրդ", ""),
    "security-council": ("org", "Հավաքական անվտանգության խորհուրդ", ""),
    "people": ("term", "ժողովուրդ", ""),
    "heart": ("term", "սիրտ", ""),
    "thought": ("term", "միտք", ""),
    "sargis": ("person", "Սարգիս", ""),
    "mkrtich": ("person", "Մկրտիչ", ""),
    "davit": ("person", "Դավիթ", ""),
    "book": ("term", "գիրք", ""),
    "textbook": ("term", "դասագիրք", ""),
    "lake": ("term", "լիճ", ""),
    "country": ("term", "երկիր", ""),
    "house": ("term", "տուն", ""),
    "assembly": ("org", "Ազգային ժողով", ""),
    "spring-water": ("term", "աղբյուր", ""),
    # -ում and -ություն
    "meeting": ("term", "հանդիպում", ""),
    "governance": ("term", "կառավարում", ""),
    "decision": ("term", "որոշում", ""),
    "development": ("term", "զարգացում", ""),
    "election": ("term", "ընտրություն", ""),
    "government": ("term", "կառավարություն", ""),
    "un": ("org", "Միավորված ազգերի կազմակերպություն", ""),
    # vowel-final stems
    "gyumri": ("place", "Գյումրի", ""),
    "lori": ("place", "Լոռի", ""),
    "tbilisi": ("place", "Թբիլիսի", ""),
    "soul": ("term", "հոգի", ""),
    "citizen": ("term", "քաղաքացի", ""),
    "baku": ("place", "Բաքու", ""),
    "cat": ("term", "կատու", ""),
    "moscow": ("place", "Մոսկվա", ""),
    "astana": ("place", "Աստանա", ""),
    "germany": ("place", "Գերմանիա", ""),
    "tokyo": ("place", "Տոկիո", ""),
    "boy": ("term", "տղա", ""),
    "sevan": ("place", "Սևան", ""),
    # -ոջ, -ան, -ց declensions and irregular plurals
    "woman": ("term", "կին", ""),
    "person": ("term", "մարդ", ""),
    "individual": ("term", "անձ", ""),
    "sister": ("term", "քույր", ""),
    "friend": ("term", "ընկեր", ""),
    "father": ("term", "հայր", ""),
    "mother": ("term", "մայր", ""),
    "brother": ("term", "եղբայր", ""),
    "god": ("term", "Աստված", ""),
    "love": ("term", "սեր", ""),
    "summer": ("term", "ամառ", ""),
    "year": ("term", "տարի", ""),
    "month": ("term", "ամիս", ""),
    "day": ("term", "օր", ""),
    "girl": ("term", "աղջիկ", ""),
    "name": ("term", "անուն", ""),
    "door": ("term", "դուռ", ""),
    # stated by the glossary author (hy_forms)
    "child": ("term", "մանուկ", "մանուկ: մանկան"),
    "horse": ("term", "ձի", "ձի: ձիու"),
    "sea": ("place", "Սև ծով", "ծով: ծովու"),
    # acronyms
    "csto": ("org", "ՀԱՊԿ", ""),
    "eu": ("org", "ԵՄ", ""),
    "ngo": ("org", "ՀԿ", ""),
    "nato": ("org", "ՆԱՏՕ", ""),
    "bbc": ("org", "BBC", ""),
}

_BOTH = "both"
_SRC = "source"


def _rows(concept: str, side: str, forms: str) -> list[tuple[str, str, str]]:
    return [(concept, form.replace("_", " "), side) for form in forms.split()]  # `_`: a space


POSITIVE: list[tuple[str, str, str]] = [
    # article, cases, plural x case on consonant stems
    *_rows("mirzoyan", _BOTH, "Միրզոյան Միրզոյանը Միրզոյանն Միրզոյանի Միրզոյանին Միրզոյանից Միրզոյանով "
           "Միրզոյանները Միրզոյանների Միրզոյաններին Միրզոյաններից"),
    *_rows("armenia", _BOTH, "Հայաստանում Հայաստանից Հայաստանի Հայաստանին Հայաստանը Հայաստանն Հայաստանով"),
    *_rows("armenia", _SRC, "Հայաստանս Հայաստանումս"),  # a name is not offered with a possessive
    *_rows("azerbaijan", _BOTH, "Ադրբեջանին Ադրբեջանի Ադրբեջանից Ադրբեջանում"),
    *_rows("lavrov", _BOTH, "Լավրովը Լավրովի Լավրովին Լավրովից Լավրովով"),
    *_rows("aliyev", _BOTH, "Ալիևը Ալիևի Ալիեւին Ալիևից Ալիևով ԱԼԻԵՎԻ"),
    *_rows("yerevan", _BOTH, "Երևանում Երևանից Երեւանի Երևանը Երեւանն"),
    *_rows("yerevan", _SRC, "Երևանս"),
    *_rows("trump", _BOTH, "Թրամփը Թրամփին Թրամփի"),
    *_rows("putin", _BOTH, "Պուտինը Պուտինի Պուտինին Պուտինից Պուտինով"),
    *_rows("azat", _BOTH, "Ազատը Ազատի Ազատին"),
    *_rows("anush", _BOTH, "Անուշը Անուշի Անուշին"),
    *_rows("iran", _BOTH, "Իրանի Իրանում Իրանից Իրանը"),
    *_rows("harutyun", _BOTH, "Հարությունը Հարությունի Հարությունին Հարությունից"),
    # vowel reduction before a vowel ending; none before the article or -ներ
    *_rows("council", _BOTH, "խորհուրդը խորհուրդն խորհրդի խորհրդին խորհրդից խորհրդով խորհրդում "
           "խորհուրդներ խորհուրդների խորհուրդներում խորհրդիս խորհուրդս"),
    *_rows("security-council", _BOTH, "Հավաքական_անվտանգության_խորհրդի Հավաքական_անվտանգության_խորհրդում "
           "Հավաքական_անվտանգության_խորհուրդը Հավաքական_անվտանգության_խորհրդին"),
    *_rows("people", _BOTH, "ժողովրդի ժողովրդին ժողովրդից ժողովրդով ժողովուրդը ժողովուրդներ ժողովրդիս "
           "ժողովուրդս ժողովուրդների"),
    *_rows("heart", _BOTH, "սրտի սրտում սրտեր սրտերը սրտից սիրտը սիրտս սրտումս սրտով"),
    *_rows("thought", _BOTH, "մտքի մտքեր մտքերը մտքով մտքից միտքը մտքերի մտքերում"),
    *_rows("sargis", _BOTH, "Սարգսի Սարգսին Սարգսից Սարգիսը"),
    *_rows("mkrtich", _BOTH, "Մկրտչի Մկրտչին Մկրտիչը"),
    *_rows("davit", _BOTH, "Դավթի Դավթին Դավիթը"),
    *_rows("book", _BOTH, "գրքի գրքեր գրքերից գրքում գիրքը գրքերով գրքերին"),
    *_rows("textbook", _BOTH, "դասագրքի դասագրքեր դասագրքերում դասագիրքը"),
    *_rows("lake", _BOTH, "լճի լճում լճեր լիճը լճից"),
    *_rows("country", _BOTH, "երկրի երկրում երկրից երկիրը երկրիս երկիրս"),
    *_rows("country", _BOTH, "երկրներ երկրների երկրներում երկրներից"),  # built in for the target side
    *_rows("house", _BOTH, "տնից տներ տներում տան տանը տունը տանս"),
    *_rows("assembly", _BOTH, "Ազգային_ժողովի Ազգային_ժողովում Ազգային_ժողովը Ազգային_ժողովին"),
    *_rows("spring-water", _BOTH, "աղբյուրի աղբյուրից աղբյուրներ"),
    # -ում nouns: the an-declension
    *_rows("meeting", _BOTH, "հանդիպման հանդիպմանը հանդիպմանն հանդիպմամբ հանդիպումը հանդիպումից "
           "հանդիպումներ հանդիպումների հանդիպումներում"),
    *_rows("meeting", _SRC, "հանդիպումին հանդիպումով"),
    *_rows("governance", _BOTH, "կառավարման կառավարմամբ կառավարումը"),
    *_rows("decision", _BOTH, "որոշման որոշմամբ որոշումը որոշումներ որոշումների որոշմանը որոշումից"),
    *_rows("development", _BOTH, "զարգացման զարգացմանը զարգացումը"),
    *_rows("election", _BOTH, "ընտրության ընտրությունները ընտրություններում ընտրությունների ընտրությամբ "
           "ընտրությանը ընտրությունից"),
    *_rows("government", _BOTH, "կառավարության կառավարությունը կառավարությանը կառավարությունից"),
    *_rows("un", _BOTH, "Միավորված_ազգերի_կազմակերպության Միավորված_ազգերի_կազմակերպությունը"),
    # vowel-final stems
    *_rows("gyumri", _BOTH, "Գյումրիում Գյումրու Գյումրիից Գյումրին Գյումրիի"),
    *_rows("lori", _BOTH, "Լոռու Լոռիում Լոռին Լոռուց"),
    *_rows("tbilisi", _BOTH, "Թբիլիսիում Թբիլիսիի Թբիլիսիից"),
    *_rows("soul", _BOTH, "հոգու հոգուց հոգով հոգին հոգիս հոգուն հոգիներ"),
    *_rows("citizen", _BOTH, "քաղաքացու քաղաքացուն քաղաքացին քաղաքացիներ քաղաքացիների քաղաքացիներին"),
    *_rows("baku", _BOTH, "Բաքվում Բաքվի Բաքվից Բաքուն Բաքվին Բաքվով"),
    *_rows("cat", _BOTH, "կատվի կատուն կատուներ կատվից"),
    *_rows("moscow", _BOTH, "Մոսկվայում Մոսկվայի Մոսկվան Մոսկվայից Մոսկվային Մոսկվայով"),
    *_rows("astana", _BOTH, "Աստանայում Աստանայից Աստանան"),
    *_rows("germany", _BOTH, "Գերմանիայի Գերմանիային Գերմանիայում Գերմանիան"),
    *_rows("tokyo", _BOTH, "Տոկիոյում Տոկիոյի Տոկիոն"),
    *_rows("boy", _BOTH, "տղայի տղան տղաներ տղաս տղայից տղաներին"),
    *_rows("sevan", _BOTH, "Սևանի Սևանում Սևանը Սևանա"),
    # irregular nouns (built-in list)
    *_rows("woman", _BOTH, "կինը կնոջ կնոջից կնոջով կանայք կանանց կանանցից կինս կնոջս"),
    *_rows("person", _BOTH, "մարդը մարդու մարդուն մարդուց մարդիկ մարդկանց մարդկանցից մարդկանցով"),
    *_rows("individual", _BOTH, "անձը անձի անձինք անձանց անձանցից"),
    *_rows("sister", _BOTH, "քրոջ քրոջից քույրը քույրեր"),
    *_rows("friend", _BOTH, "ընկերոջ ընկերոջից ընկերներ ընկերներս ընկերներիս ընկերներիցս ընկերը"),
    *_rows("father", _BOTH, "հոր հորից հայրը հայրս հորս"),
    *_rows("mother", _BOTH, "մոր մորից մայրը մայրս մորս մորը"),
    *_rows("brother", _BOTH, "եղբոր եղբորից եղբայրը եղբայրներ"),
    *_rows("god", _BOTH, "Աստծո Աստծուն Աստծուց Աստծով Աստված"),
    *_rows("love", _BOTH, "սիրո սիրով սերը"),
    *_rows("summer", _BOTH, "ամռան ամռանը ամառը"),
    *_rows("year", _BOTH, "տարվա տարին տարիներ տարիների տարում"),
    *_rows("month", _BOTH, "ամսվա ամսի ամիսը ամիսներ"),
    *_rows("day", _BOTH, "օրվա օրը օրեր օրերս օրերին"),
    *_rows("girl", _BOTH, "աղջկա աղջկան աղջիկը աղջիկներ"),
    *_rows("name", _BOTH, "անվան անվամբ անունը անուններ"),
    *_rows("door", _BOTH, "դռան դռներ դռները դուռը"),
    # stated in hy_forms
    *_rows("child", _BOTH, "մանկան մանկանը մանուկը մանուկներ"),
    *_rows("horse", _BOTH, "ձիու ձիուն ձին ձիեր"),
    *_rows("sea", _BOTH, "Սև_ծովու Սև_ծովում Սև_ծովի"),
    # acronyms with a hyphen
    *_rows("csto", _BOTH, "ՀԱՊԿ-ը ՀԱՊԿ-ի ՀԱՊԿ-ին ՀԱՊԿ-ում ՀԱՊԿ֊ից"),
    *_rows("eu", _BOTH, "ԵՄ-ը ԵՄ-ում ԵՄ-ի"),
    *_rows("ngo", _BOTH, "ՀԿ-ներ ՀԿ-ների ՀԿ-ները ՀԿ-ներին"),
    *_rows("nato", _BOTH, "ՆԱՏՕ-ն ՆԱՏՕ-ի ՆԱՏՕ-ին"),
    *_rows("bbc", _BOTH, "BBC-ն BBC-ի"),
]

NEGATIVE: list[tuple[str, str, str]] = [
    # derivations are other words
    ("armenia", "Հայաստանյան", "adjective"),
    ("armenia", "հայաստանյան", "adjective"),
    ("armenia", "Հայաստանցի", "inhabitant"),
    ("putin", "Պուտինյան", "adjective"),
    ("yerevan", "Երևանցի", "inhabitant"),
    ("yerevan", "երևանյան", "adjective"),
    ("baku", "բաքվեցի", "inhabitant"),
    ("csto", "ՀԱՊԿ-ական", "adjective"),
    ("csto", "ՀԱՊԿի", "no hyphen"),
    ("council", "խորհրդային", "Soviet (adjective on the reduced stem)"),
    ("council", "խորհրդական", "adviser"),
    ("council", "խորհրդարան", "parliament"),
    ("council", "խորհրդարանի", "of parliament"),
    ("council", "խորհրդակցություն", "consultation"),
    ("people", "ժողովրդական", "popular"),
    ("people", "ժողովրդավարություն", "democracy"),
    ("assembly", "Ազգային ժողովրդական", "other word"),
    ("heart", "սրտանց", "heartily"),
    ("heart", "սրտացավ", "caring"),
    ("sargis", "Սարգսյան", "surname"),
    ("mkrtich", "Մկրտչյան", "surname"),
    ("davit", "Դավթյան", "surname"),
    ("book", "գրքույկ", "booklet"),
    ("house", "տանել", "to carry"),
    ("house", "տանում", "carries"),
    ("house", "տնային", "domestic"),
    ("woman", "կինո", "cinema"),
    ("woman", "կինոյի", "of the cinema"),
    ("woman", "կնիք", "seal"),
    ("woman", "կանացի", "feminine"),
    ("person", "մարդկային", "human (adjective)"),
    ("person", "մարդկություն", "humanity"),
    ("person", "մարդասեր", "philanthropist"),
    ("individual", "անձնական", "personal"),
    ("individual", "անձնագիր", "passport"),
    ("father", "հորեղբայր", "uncle"),
    ("mother", "մորաքույր", "aunt"),
    ("love", "սիրել", "to love"),
    ("day", "օրենք", "law"),
    ("day", "օրինակ", "example"),
    ("month", "ամսաթիվ", "date"),
    ("year", "տարեկան", "annual"),
    ("year", "տարածք", "territory"),
    ("meeting", "հանդիպել", "to meet"),
    ("decision", "որոշել", "to decide"),
    ("decision", "որոշակի", "certain"),
    ("governance", "կառավարություն", "government, another concept"),
    ("governance", "կառավարել", "to govern"),
    ("government", "կառավարում", "governance, another concept"),
    ("election", "ընտրել", "to elect"),
    ("gyumri", "Գյումրեցի", "inhabitant"),
    ("sevan", "Սևանավանք", "a monastery"),
    ("moscow", "մոսկովյան", "adjective"),
    ("boy", "տղամարդ", "man"),
    ("summer", "ամառային", "summer (adjective)"),
    ("name", "անվանել", "to name"),
    ("name", "անվանում", "naming"),
    # a name is not the common word it is spelled like
    ("azat", "ազատ", "free"),
    ("azat", "ազատի", "of the free"),
    ("azat", "ազատություն", "freedom"),
    ("azat", "Ազատություն", "the radio station"),
    ("anush", "անուշ", "sweet"),
    ("harutyun", "հարություն", "resurrection"),
    ("harutyun", "Հարության", "of resurrection (sentence start)"),
    ("iran", "իրանի", "of the torso"),
]


def glossary_text() -> str:
    """The concepts as a native TSV glossary (English cells are the ids)."""
    lines = ["id\ttype\ten\thy\thy_forms\toptions\tnote"]
    for concept, (ctype, term, forms) in CONCEPTS.items():
        english = concept.replace("-", " ").title() if ctype != "term" else concept.replace("-", " ")
        if term.isascii():
            lines.append(f"{concept}\t{ctype}\t{term}\t\t{forms}\tdnt\t")
        else:
            lines.append(f"{concept}\t{ctype}\t{english}\t{term}\t{forms}\t\t")
    return "\n".join(lines) + "\n"


FRAME = "Ըստ լրատվամիջոցների՝ երեկ {} մասին էլ խոսվեց։"


def score(glossary) -> dict:
    """Recall on POSITIVE and precision over POSITIVE + NEGATIVE, for the source matcher."""
    from pipeline.glossary import Matcher

    matcher = Matcher(glossary, "hy")
    found_ok, missed, false = 0, [], []
    for concept, form, _ in POSITIVE:
        text = FRAME.format(form)
        hits = matcher.find(text)
        if any(h.concept == concept and h.surface == form for h in hits):
            found_ok += 1
        else:
            missed.append((concept, form, [(h.concept, h.surface) for h in hits]))
        false += [(concept, form, h.concept, h.surface) for h in hits
                  if not (h.concept == concept and h.surface == form)]
    for concept, word, why in NEGATIVE:
        text = FRAME.format(word)
        false += [(concept, word, h.concept, h.surface) for h in matcher.find(text) if h.concept == concept]
    matched = found_ok + len(false)
    return {
        "positives": len(POSITIVE), "negatives": len(NEGATIVE), "found": found_ok,
        "recall": found_ok / len(POSITIVE), "precision": found_ok / matched if matched else 1.0,
        "missed": missed, "false": false,
    }
