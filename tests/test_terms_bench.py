"""`python -m pipeline.devtools.terms_bench` runs end to end (a tiny model, two NTREX documents)."""

import pytest

from pipeline.devtools import terms_bench


@pytest.mark.slow
def test_terms_bench_on_two_ntrex_documents(shared_dir, capsys):
    pytest.importorskip("ctranslate2")
    assert terms_bench.main(["--tiny", "--docs", "2", "--ntrex", str(shared_dir / "data" / "ntrex")]) == 0
    out = capsys.readouterr().out
    assert "ct2 constrained throughput:" in out and "ct2 constrained by wall time" in out
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines() if "tokens/s" in line}
    assert "term success 5/5" in lines["ct2 constrained"] and "term success 5/5" in lines["hf constrained"]
