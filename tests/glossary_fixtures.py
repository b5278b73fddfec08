"""A small glossary for the glossary tests (kept apart from the shipped desk glossary)."""

from pathlib import Path

SMALL = """\
# test glossary
id\ttype\ten\ten_short\thy\thy_short\toptions\tnote
ararat-mirzoyan\tperson\tArarat Mirzoyan|Ararat Mirzoian|!Ararat Mirzoev\tMirzoyan|Mirzoian\tԱրարատ Միրզոյան\tՄիրզոյան\t\tFM
armenia\tplace\tArmenia\t\tՀայաստան\t\t\t
baku\tplace\tBaku\t\tԲաքու\t\t\t
bbc\torg\tBBC\t\t\t\tdnt\t
csto\torg\tCollective Security Treaty Organization\tCSTO\tՀավաքական անվտանգության պայմանագրի կազմակերպություն\tՀԱՊԿ\t\t
eu\torg\tEuropean Union\tEU\tԵվրոպական միություն|Եվրամիություն\tԵՄ\t\t
iran\tplace\tIran\t\tԻրան\t\t\t
europe\tplace\tEurope\t\tԵվրոպա\t\t\t
iphone\tterm\tiPhone\t\tայֆոն\t\tcase\t
moscow\tplace\tMoscow\t\tՄոսկվա\t\t\t
astana\tplace\tAstana\t\tԱստանա\t\t\t
nagorno-karabakh\tplace\tNagorno-Karabakh\tKarabakh\tԼեռնային Ղարաբաղ\tՂարաբաղ\t\t
putin\tperson\tVladimir Putin\tPutin\tՎլադիմիր Պուտին\tՊուտին\t\t
united-states\tplace\tUnited States\tU.S.|US\tՄիացյալ Նահանգներ\tԱՄՆ\t\t
yerevan\tplace\tYerevan\t\tԵրևան\t\t\t
zas\tperson\tStanislav Zas\tZas\tՍտանիսլավ Զաս\tԶաս\t\t
ceasefire\tterm\tceasefire\t\tհրադադար\t\t\t
ukraine\tplace\tUkraine|!the Ukraine\t\tՈւկրաինա\t\t\t
who\torg\tWorld Health Organization\tWHO\tԱռողջապահության համաշխարհային կազմակերպություն\tԱՀԿ\t\t
nato\torg\tNATO\t\tՆԱՏՕ\t\tnocase\t
"""

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def write(tmp_path, text=SMALL, name="g.tsv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
