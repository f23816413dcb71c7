"""Benchmark readers, BKS look-ups, the integer bridge to Problem, and a tiny end-to-end bench run."""

from __future__ import annotations

import csv
import math
import os
import resource
from pathlib import Path

import numpy as np
import pytest

from bench.solver import BksTable, read_lilim, read_solomon, to_problem, true_distance
from bench.solver.build import SCALE
from bench.solver.instances import InstanceFormatError
from bench.solver.run import instance_paths, run_literature, summarize, write_report
from routing.problem import JobKind
from routing.solution import Route, Solution, Step, StepKind, Summary

SHARED = Path(os.environ.get("AJIB_SHARED_DIR", Path(__file__).resolve().parents[3].parent / "shared"))
BENCH = SHARED / "benchmarks"
needs_shared = pytest.mark.skipif(not BENCH.is_dir(), reason=f"shared benchmark dir {BENCH} absent")


@needs_shared
def test_solomon_reader_counts():
    """A Solomon file has 100 customers plus the depot, 25 vehicles of capacity 200."""
    inst = read_solomon(BENCH / "solomon" / "C101.txt")
    assert (inst.name, inst.customers, inst.fleet, inst.capacity) == ("C101", 100, 25, 200)
    assert (inst.x[0], inst.y[0], inst.due[0]) == (40, 50, 1236)
    assert (inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (10, 912, 967, 90)
    assert inst.demand.sum() == 1810


@needs_shared
def test_homberger_reader_handles_crlf():
    """Gehring & Homberger files (CRLF line ends, lower-case names) read like Solomon's: 200 customers."""
    inst = read_solomon(BENCH / "homberger" / "200" / "c1_2_1.txt")
    assert (inst.name, inst.customers, inst.fleet, inst.capacity) == ("c1_2_1", 200, 50, 200)


@needs_shared
def test_lilim_reader_pairs():
    """A Li & Lim 100 file has 106 nodes in 53 pickup/delivery pairs; each pair's demands cancel."""
    inst = read_lilim(BENCH / "lilim" / "100" / "lc101.txt")
    assert (inst.customers, inst.fleet, inst.capacity) == (106, 25, 200)
    pairs = inst.pairs()
    assert len(pairs) == 53
    for p, d in pairs:
        assert inst.demand[p] == -inst.demand[d] > 0
        assert inst.pickup_of[d] == p and inst.delivery_of[p] == d


@needs_shared
def test_lilim200_set_reads_every_file_with_its_best_known_plan():
    """``--set lilim200``: the 60 Li & Lim 200-customer files, each a set of pairs with SINTEF's BKS beside it
    (upper-case file names, lower-case keys)."""
    paths = instance_paths(BENCH, "lilim200")
    assert len(paths) == 60
    bks = BksTable(BENCH)
    for path in paths[:: len(paths) // 6]:
        inst = read_lilim(path)
        assert inst.fleet > 0 and len(inst.pairs()) >= 100
        ref = bks.reference(inst.name)
        assert ref is not None and ref.source == "sintef", inst.name


def test_reader_errors_name_file_and_line(tmp_path):
    """A malformed instance file raises InstanceFormatError naming the file and line."""
    bad = tmp_path / "x.txt"
    bad.write_text("3 200 1\n0 1 2 0 0 100 0 0 0\n1 1 2 10 0 100 5 0\n")
    with pytest.raises(InstanceFormatError, match=r"x.txt:3: expected 9 columns"):
        read_lilim(bad)
    bad.write_text("X\nVEHICLE\nNUMBER CAPACITY\n 2 10\nCUSTOMER\nhead\n 0 0 0 0 0 100 0\n 2 1 1 1 0 10 0\n")
    with pytest.raises(InstanceFormatError, match="node ids are not"):
        read_solomon(bad)


@needs_shared
def test_bks_sources():
    """SINTEF is preferred for Li & Lim/Homberger; Solomon comes from vroom's JSON with distance-only keys."""
    bks = BksTable(BENCH)
    r101, r101_dist = bks.hierarchical("R101"), bks.distance_only("R101")
    assert (r101.vehicles, r101.distance, r101.source) == (19, 1645.79, "vroom")
    assert (r101_dist.vehicles, r101_dist.distance, r101_dist.convention) == (20, 1642.88, "distance")
    assert bks.reference("R101") == r101_dist
    lc103 = bks.hierarchical("lc103")
    assert (lc103.vehicles, lc103.distance, lc103.source) == (9, 1035.3499, "sintef")
    assert bks.distance_only("lc103") is None and bks.reference("lc103") == lc103


@needs_shared
def test_a_distance_only_bks_below_a_proven_optimum_gives_way_to_the_bound():
    """vroom's R109 and RC103 distance-only entries lie below the proven optima of the same instances on
    truncated (shorter) distances, so no plan reaches them; the bound is the reference there, and every other
    Solomon entry is the table's own."""
    bks = BksTable(BENCH)
    r109, rc103 = bks.distance_only("R109"), bks.distance_only("rc103")
    assert (r109.vehicles, r109.distance, r109.source, r109.convention) == (13, 1146.9, "proven bound", "distance")
    assert (rc103.vehicles, rc103.distance, rc103.source) == (11, 1258.0, "proven bound")
    assert bks.reference("R109") == r109
    others = [p.stem for p in (BENCH / "solomon").glob("*.txt") if p.stem.upper() not in {"R109", "RC103"}]
    assert len(others) == 54
    assert all(bks.distance_only(name).source == "vroom" for name in others)


@needs_shared
def test_problem_is_scaled_and_durations_round_up():
    """The integer Problem scales by 1000; distances round, durations round up (integer-feasible => feasible)."""
    inst = read_solomon(BENCH / "solomon" / "R101.txt")
    p = to_problem(inst)
    assert len(p.jobs) == 100 and len(p.vehicles) == 25
    job = p.jobs[0]
    assert job.kind is JobKind.DELIVERY and job.pickup is None and job.amount == (10,)
    assert job.delivery.time_windows[0].start == round(inst.ready[1] * SCALE)
    m = p.matrices["euclid"]
    exact = math.hypot(inst.x[0] - inst.x[1], inst.y[0] - inst.y[1]) * SCALE
    assert m.durations[0, 1] == math.ceil(exact) and m.distances[0, 1] == round(exact)
    assert np.all(m.durations >= m.distances - 1)
    lilim = to_problem(read_lilim(BENCH / "lilim" / "100" / "lc101.txt"))
    assert len(lilim.jobs) == 53 and all(j.kind is JobKind.SHIPMENT for j in lilim.jobs)


@needs_shared
def test_true_distance_uses_double_precision():
    """The reported distance is recomputed from the route sequence with unrounded Euclidean legs."""
    inst = read_solomon(BENCH / "solomon" / "C101.txt")
    steps = tuple(Step(k, loc, 0, 0, 0, (0,)) for k, loc in ((StepKind.START, 0), (StepKind.JOB, 1), (StepKind.END, 0)))
    route = Route("0", steps, 0, 0, 0, 0, 0)
    solution = Solution((route,), (), Summary(0, 1, 0, 0, 0, 0, 0, 0.0))
    assert true_distance(inst, solution) == pytest.approx(2 * math.hypot(5, 18), abs=1e-12)


@needs_shared
def test_tiny_bench_writes_markdown_and_csv(tmp_path):
    """One Solomon instance, ours only, 1 s: the bench verifies the answer and writes both reports."""
    rows = run_literature(BENCH, ["solomon"], ["ajib"], 1.0, pattern="c101")
    assert len(rows) == 1
    row = rows[0]
    assert row.instance == "C101" and row.solver == "ajib"
    assert row.feasible is True and row.unassigned == 0 and row.gap_pct is not None and row.gap_pct > -0.01
    assert row.bks_kind == "distance-only (vroom)" and row.hier_vehicles == 10
    md, csv_path = write_report(tmp_path, "tiny", rows, command="ajib bench --instances c101", time_limit=1.0)
    text = md.read_text()
    assert "## Summary" in text and "| solomon | ajib | 1 | 1 | 1 |" in text and "C101" in text
    assert "cores:" in text and "ajib bench --instances c101" in text
    with csv_path.open() as fh:
        records = list(csv.DictReader(fh))
    assert records[0]["instance"] == "C101" and records[0]["feasible"] == "True"


@needs_shared
def test_threads_option_reaches_our_solver_and_the_report(tmp_path):
    """``threads=2`` gives our solver its second worker (a forked process that uses CPU); one holds it to one
    core, where it forks none (with a core to spare it would run a second search beside the first).

    The second worker is a child process, so the CPU it burnt shows up in the children's rusage
    only when it ran; the report header says what each solver was allowed.
    """

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = children_cpu()
    one = run_literature(BENCH, ["solomon"], ["ajib"], 0.5, pattern="c101", threads=1)
    after_one = children_cpu()
    rows = run_literature(BENCH, ["solomon"], ["ajib"], 0.5, pattern="c101", threads=2)
    after_two = children_cpu()
    assert [r.feasible for r in one + rows] == [True, True]
    assert after_one - before == 0.0
    assert after_two - after_one > 0.05
    md, _ = write_report(tmp_path, "t2", rows, command="ajib bench --threads 2", time_limit=0.5, threads=2)
    assert "2 threads for ours (workers) and VROOM, PyVRP has one" in md.read_text()
    md1, _ = write_report(tmp_path, "t1", rows, command="ajib bench", time_limit=0.5)
    assert "one thread each" in md1.read_text()


def test_summary_compares_solvers_on_common_instances():
    """Mean gap (common) averages only over instances every solver solved."""
    from bench.solver.run import BenchRow

    def row(inst, solver, gap):
        return BenchRow("s", inst, solver, 1, 1.0, gap, 1, 1.0, "x", 1, 1.0, 1.0, 0.0, gap is not None, 0, 0, "")

    rows = [row("a", "ajib", 1.0), row("b", "ajib", 3.0), row("a", "vroom", 2.0), row("b", "vroom", None)]
    by = {s["solver"]: s for s in summarize(rows)}
    assert by["ajib"]["mean gap %"] == 2.0 and by["ajib"]["mean gap % (common)"] == 1.0
    assert by["vroom"]["solved"] == 1 and by["vroom"]["mean gap % (common)"] == 2.0


@needs_shared
@pytest.mark.parametrize("solver", ["vroom", "pyvrp"])
@pytest.mark.parametrize(("reader", "path"), [(read_solomon, "solomon/C101.txt"), (read_lilim, "lilim/100/lc101.txt")])
def test_peer_answers_convert_and_verify(solver, reader, path):
    """VROOM's and PyVRP's answers, converted to our Solution, pass the verifier and serve every job."""
    from bench.solver.peers import SOLVERS, SolverUnavailable
    from routing.verify import verify

    inst = reader(BENCH / path)
    problem = to_problem(inst)
    try:
        run = SOLVERS[solver](problem, 0.5, 1)
    except SolverUnavailable as exc:
        pytest.skip(str(exc))
    assert verify(problem, run.solution) == []
    assert not run.solution.unassigned
    # Not below the optimum (a conversion that loses an arc would be) and nowhere near a garbled order's length;
    # how close to it the peer gets in 0.5 s depends on the machine's load, which this test does not measure.
    assert 828.94 - 0.01 <= true_distance(inst, run.solution) <= 1.25 * 828.94


def test_a_report_says_other_work_shared_the_machine_only_when_the_load_exceeds_the_solvers_own_use():
    """Our engine runs two processes: a load of 1.9 while it used 1.8 CPU-s per wall second is the bench itself,
    a load of 3.0 is somebody else's work as well (every report used to call the machine shared)."""
    from bench.solver.run import load_line

    quiet = load_line([1.8, 1.9, 2.0], [(54.0, 30.0), (53.0, 30.0), (55.0, 30.0)])
    assert quiet.startswith("- no other work to speak of") and "median 1.90" in quiet and "own use 1.80" in quiet
    busy = load_line([2.9, 3.0, 3.1], [(54.0, 30.0), (53.0, 30.0)])
    assert busy.startswith("- other work shared the machine") and "not quiet-machine figures" in busy
    assert load_line([], []) == "- machine load: not recorded"
