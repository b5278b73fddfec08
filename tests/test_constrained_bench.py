"""The constraint-cost benchmark runs end to end (on a tiny model, so it is quick)."""

import pytest

from pipeline.devtools import constrained_bench


@pytest.mark.parametrize("beams,tokens", [(2, 4), (4, 6)])
def test_bench_runs_and_reports(tmp_path, capsys, beams, tokens):
    argv = ["--tiny", "--model-dir", str(tmp_path / "m"), "--sentences", "5", "--beams", str(beams),
            "--tokens", str(tokens), "--repeats", "1", "--threads", "1"]
    assert constrained_bench.main(argv) == 0
    out = capsys.readouterr().out
    for line in ("(a) ours, no constraints", "(b) ours, 1-3 constraints", "(c) generate() beam search",
                 "constrained / unconstrained:", "(a) output identical to (c): yes"):
        assert line in out
