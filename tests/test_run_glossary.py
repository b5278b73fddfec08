"""The desk glossary inside a run: refused before the model loads, hits recorded and verified."""

import dataclasses
import json
from pathlib import Path

import pytest

from pipeline.batch.runner import run
from pipeline.cli import main
from pipeline.config import Config, with_overrides

REPO = Path(__file__).resolve().parents[1]
DESK = REPO / "glossaries" / "desk.tsv"


def rows(out):
    return [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def articles(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Lavrov told Mirzoyan that the CSTO is ready.\n\n"
        "Լավրովը Աստանայում հանդիպեց Միրզոյանին։\n\n"
        "Kazakhstan - Lavrov and his counterpart Ararat Mirzoian meet in Astana.\n",
        encoding="utf-8",
    )
    return folder


def test_glossary_that_fails_lint_is_refused_before_the_model(articles, tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\ttype\ten\thy\tnote\nx\tpeople\tX\tՔ\t\nx\tperson\tY\tՅ\t\n", encoding="utf-8")
    code = main(["run", str(articles), "-o", str(tmp_path / "out"), "--tgt", "hy",
                 "--model", str(tmp_path / "no-such-model"), "--glossary", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}:2:" in err and f"{bad}:3:" in err  # every problem, with file and line
    assert "no-such-model" not in err  # the model was never looked at
    assert not (tmp_path / "out").exists()


def test_check_mode_records_and_verifies_hits(tiny_models, articles, tmp_path):
    out = tmp_path / "out"
    config = with_overrides(Config(), model__id=str(tiny_models["en-hy"]), model__max_length=8, run__tgt="hy",
                            run__progress="off", glossary__path=str(DESK), glossary__mode="check")
    result = run(articles, out, config)
    table = rows(out)
    first = table[0]
    assert [(t["concept"], t["source"], t["target"]) for t in first["terms"]] == [
        ("sergei-lavrov", "Lavrov", "Լավրով"), ("ararat-mirzoyan", "Mirzoyan", "Միրզոյան"), ("csto", "CSTO", "ՀԱՊԿ"),
    ]
    assert all(t["honoured"] is False for t in first["terms"])  # a random model does not write them
    assert "term-missed" in first["flags"]
    # Armenian already in the target language: passes through, no hits to honour
    assert table[1]["src_lang"] == "hy" and table[1]["target"] == table[1]["source"] and table[1]["terms"] == []
    # the variant spelling is flagged in the source
    assert "glossary-variant" in table[2]["flags"]
    manifest = result.manifest
    assert manifest["glossary"]["mode"] == "check" and manifest["glossary"]["digest"]
    assert manifest["glossary"]["concepts"]["csto"]["type"] == "org"
    terms = manifest["scores"]["corpus"]["terms"]
    assert terms["missed"] == sum(len(r["terms"]) for r in table) and terms["rate"] == 0.0
    assert manifest["scores"]["docs"]["a.txt"]["terms"]["missed"] == terms["missed"]


def test_passthrough_variant_is_flagged_in_an_english_target(tiny_models, articles, tmp_path):
    out = tmp_path / "out"
    config = with_overrides(Config(), model__id=str(tiny_models["hy-en"]), model__max_length=8, run__tgt="en",
                            run__progress="off", glossary__path=str(DESK), glossary__mode="check")
    run(articles, out, config)
    table = rows(out)
    mirzoian = next(r for r in table if "Mirzoian" in r["source"])
    assert mirzoian["target"] == mirzoian["source"] and "glossary-variant" in mirzoian["flags"]
    armenian = next(r for r in table if r["src_lang"] == "hy")
    assert {t["concept"] for t in armenian["terms"]} == {"sergei-lavrov", "astana", "ararat-mirzoyan"}
    assert next(t for t in armenian["terms"] if t["concept"] == "ararat-mirzoyan")["target"] == "Mirzoyan"


def test_per_type_off_drops_those_hits(tiny_models, articles, tmp_path):
    out = tmp_path / "out"
    config = with_overrides(Config(), model__id=str(tiny_models["en-hy"]), model__max_length=8, run__tgt="hy",
                            run__progress="off", glossary__path=str(DESK), glossary__mode="check", glossary__person="off")
    run(articles, out, config)
    assert [t["concept"] for t in rows(out)[0]["terms"]] == ["csto"]


def constrained_config(model, tgt, **extra):
    return with_overrides(Config(), model__id=str(model), model__max_length=40, run__tgt=tgt, run__progress="off",
                          glossary__path=str(DESK), glossary__mode="constrain", cache__memory=False, **extra)


@pytest.mark.slow
@pytest.mark.parametrize("model, tgt", [("en-hy", "hy"), ("hy-en", "en"), ("m2m100", "hy"), ("m2m100", "en")])
def test_constrain_mode_puts_every_term_in_the_output(tiny_models, articles, tmp_path, model, tgt):
    out = tmp_path / "out"
    result = run(articles, out, constrained_config(tiny_models[model], tgt))
    table = rows(out)
    hits = [t for r in table for t in r["terms"]]
    assert hits, "the fixture must have glossary hits in this direction"
    assert all(t["honoured"] for t in hits), [(r["target"], r["terms"]) for r in table if r["terms"]]
    assert all("terms-constrained" in r["flags"] for r in table if r["terms"])
    assert result.manifest["glossary"]["mode"] == "constrain" and result.manifest["glossary"]["repair"] is None
    assert result.manifest["scores"]["corpus"]["terms"]["rate"] == 100.0


@pytest.mark.slow
def test_a_term_twice_is_met_twice_and_inflected_forms_count(tiny_models, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Lavrov said Lavrov would go to Baku and Moscow.\n", encoding="utf-8")
    out = tmp_path / "out"
    run(folder, out, constrained_config(tiny_models["en-hy"], "hy"))
    (row,) = rows(out)
    assert [t["target"] for t in row["terms"]] == ["Լավրով", "Լավրով", "Բաքու", "Մոսկվա"]
    assert all(t["honoured"] for t in row["terms"])
    from pipeline.glossary import Matcher, load

    found = [m.concept for m in Matcher(load(DESK), "hy").find(row["target"])]
    assert found.count("sergei-lavrov") >= 2


@pytest.mark.slow
@pytest.mark.parametrize("model, tgt", [("en-hy", "hy"), ("hy-en", "en"), ("m2m100", "hy")])
def test_ct2_forces_the_terms_its_n_best_lists_miss(ct2_models, articles, tmp_path, model, tgt):
    """ct2 keeps the hf engine's guarantee: segments whose terms no hypothesis holds are translated
    again by the constrained search on the HF folder the model was converted from."""
    out = tmp_path / "out"
    result = run(articles, out, constrained_config(ct2_models[model], tgt, model__engine="ct2",
                                                   model__quantization="float32"))
    table = rows(out)
    hits = [t for r in table for t in r["terms"]]
    assert hits and all(t["honoured"] for t in hits), [(r["target"], r["terms"]) for r in table if r["terms"]]
    assert all("terms-constrained" in r["flags"] and "terms-unmet" not in r["flags"] for r in table if r["terms"])
    info = result.manifest["glossary"]
    assert info["mode"] == "constrain" and info["repair"] is None and "constrained beam search" in info["method"]
    assert result.manifest["model"]["constrains"] is True and result.manifest["model"]["constrained_search"]
    assert result.manifest["scores"]["corpus"]["terms"]["rate"] == 100.0


def test_ct2_without_its_source_folder_reranks_and_checks(ct2_models, articles, tmp_path, caplog):
    import shutil

    moved = tmp_path / "ct2-elsewhere"
    shutil.copytree(ct2_models["en-hy"], moved)
    marker = json.loads((moved / "targman-ct2.json").read_text())
    marker["source_folder"] = str(tmp_path / "not-copied-here")
    (moved / "targman-ct2.json").write_text(json.dumps(marker))
    out = tmp_path / "out"
    with caplog.at_level("INFO", logger="targman"):
        result = run(articles, out, constrained_config(moved, "hy", model__engine="ct2"))
    logged = [record.getMessage() for record in caplog.records]
    assert any("not-copied-here" in line and "[engine.ct2] source" in line for line in logged)
    assert any("cannot constrain" in line and "n-best" in line for line in logged)
    info = result.manifest["glossary"]
    assert info["mode"] == "check" and info["requested_mode"] == "constrain" and info["repair"].startswith("n-best")
    assert result.manifest["model"]["constrains"] is False
    assert all(t["honoured"] is not None for r in rows(out) for t in r["terms"])  # every hit verified


def test_ct2_source_can_be_named_in_the_config(ct2_models, tiny_models, tmp_path):
    import shutil

    from pipeline.engines.registry import describe_engine

    moved = tmp_path / "ct2-elsewhere"
    shutil.copytree(ct2_models["en-hy"], moved)
    (moved / "targman-ct2.json").unlink()  # converted by someone else: no marker
    config = constrained_config(moved, "hy", model__engine="ct2").model
    assert describe_engine(config, "hy").constrains is False
    named = describe_engine(dataclasses.replace(config, source=str(tiny_models["en-hy"])), "hy")
    assert named.constrains is True and named.info["constrained_search"] == str(tiny_models["en-hy"])


@pytest.mark.parametrize(
    "text, forms, count, expected",
    [
        ("Միրզոյանին ասաց", ("Միրզոյան", "Միրզոյանին"), 1, True),
        ("Միրզոյանին ասաց", ("Միրզոյան", "Միրզոյանին"), 2, False),  # one word, counted once
        ("Լավրով և Լավրովը", ("Լավրով", "Լավրովը"), 2, True),
        ("nothing here", ("Լավրով",), 1, False),
    ],
)
def test_ct2_rerank_term_counting(text, forms, count, expected):
    from pipeline.engines.ct2 import has_terms
    from pipeline.glossary.constraints import TermConstraint

    assert has_terms(text, [TermConstraint("x", forms, count)]) is expected


def test_constraint_goes_to_the_piece_of_a_split_sentence_that_has_its_source():
    from pipeline.engines.tokenizer import for_piece
    from pipeline.glossary.constraints import TermConstraint

    lavrov = TermConstraint("sergei-lavrov", ("Լավրով",), 2, ("Lavrov",))
    baku = TermConstraint("baku", ("Բաքու",), 1, ("Baku",))
    assert for_piece([lavrov, baku], "Lavrov met Lavrov", 2) == [TermConstraint("sergei-lavrov", ("Լավրով",), 2, ("Lavrov",))]
    assert for_piece([lavrov, baku], "Lavrov went to Baku", 2) == [
        TermConstraint("sergei-lavrov", ("Լավրով",), 1, ("Lavrov",)), baku,
    ]
    assert for_piece([lavrov, "ban"], "nothing", 2) == ["ban"]
    assert for_piece([lavrov], "anything", 1) == [lavrov]


def test_a_term_the_tokenizer_cannot_spell_is_reported_unmet(engines):
    from pipeline.glossary.constraints import TermConstraint

    engine = engines["en-hy"]
    unspellable = "Ֆֆֆ"  # letters the tiny SentencePiece model never saw: only <unk> spells them
    assert engine.tokenizer.unk_token_id in engine.tokenizer(text_target=unspellable, add_special_tokens=False)["input_ids"]
    (result,) = engine.translate(["Trump spoke."], src="en", tgt="hy",
                                 constraints=[[TermConstraint("x", (unspellable,), 1, ("Trump",))]], banned=[[]])
    assert result.unmet



def test_short_form_inside_the_full_name_is_asked_for_once_more():
    """`Lavrov` can be met inside `Սերգեյ Լավրով`, where the check sees only the full name:
    with both forms in the source, the short one is needed once per full name as well."""
    from pipeline.config import GlossaryConfig
    from pipeline.glossary import annotate, load
    from pipeline.glossary.constraints import constraints_for
    from pipeline.segment import Segment

    desk = load(DESK)
    (segment,) = annotate([Segment("a.txt", 0, 0, "Sergei Lavrov spoke, and Lavrov left.", src_lang="en")], desk, "hy")
    wanted = {c.forms[0]: c.count for c in constraints_for(segment, desk, "hy", GlossaryConfig())}
    assert wanted == {"Սերգեյ Լավրով": 1, "Լավրով": 2}


def ev_engine():
    """Writes Armenian as an NFKC SentencePiece model does: `եւ` for every `և`."""
    from pipeline.engines.testing import FunctionEngine

    return FunctionEngine(lambda text, src, tgt: "Ալիեւը եւ Փաշինյանը հանդիպեցին Երեւանում։ Եւ Եվրոպան",
                          name="ev", pairs=[("en", "hy")])


@pytest.mark.parametrize("spelling, written", [
    ("reformed", "Ալիևը և Փաշինյանը հանդիպեցին Երևանում։ Եվ Եվրոպան"),
    ("classical", "Ալիեւը եւ Փաշինյանը հանդիպեցին Երեւանում։ Եւ Եվրոպան"),
    ("keep", "Ալիեւը եւ Փաշինյանը հանդիպեցին Երեւանում։ Եւ Եվրոպան"),
    (None, "Ալիևը և Փաշինյանը հանդիպեցին Երևանում։ Եվ Եվրոպան"),  # the default: reformed
])
def test_translated_armenian_is_written_in_the_desk_spelling(tmp_path, spelling, written):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Aliyev and Pashinian met in Yerevan.\n", encoding="utf-8")
    config = with_overrides(Config(), run__tgt="hy", run__progress="off", cache__memory=False,
                            glossary__path=str(DESK), glossary__mode="check", output__armenian_spelling=spelling)
    run(folder, tmp_path / "out", config, engine=ev_engine())
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == written + "\n"
    [row] = rows(tmp_path / "out")
    assert [(t["concept"], t["honoured"]) for t in row["terms"]] == [
        ("ilham-aliyev", True), ("nikol-pashinian", True), ("yerevan", True)]


def test_a_term_the_split_cuts_in_two_goes_to_the_piece_where_it_starts():
    from pipeline.engines.tokenizer import for_piece, place_cut_terms
    from pipeline.glossary.constraints import TermConstraint

    post = TermConstraint("washington-post", ("Վաշինգտոն Փոստ",), 1, ("Washington Post",))
    baku = TermConstraint("baku", ("Բաքու",), 1, ("Baku",))
    parts = ["Baku said, and The Washington", "Post wrote it."]
    options = [{"constraints": for_piece([post, baku], piece, 2)} for piece in parts]
    assert options == [{"constraints": [baku]}, {"constraints": []}]  # cut: in no piece
    place_cut_terms([post, baku], parts, options)
    assert options == [{"constraints": [baku, post]}, {"constraints": []}]
