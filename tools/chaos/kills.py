"""Extraction runs killed with SIGKILL at seeded moments of each phase, a
database restart mid-load, then runs until one exits 0."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from extract import config
from extract.warehouse import pg_settings, pipelines_dir
from tools.bench.report import ROOT
from tools.stack.cli import pg_down, pg_up

PHASES = ("listing", "normalize", "load")
POLL_SECONDS = 0.005
RUN_TIMEOUT_SECONDS = 1800
# A clean finish may meet a fault past the client's retries; so many tries.
FINISH_ATTEMPTS = 8
# Tries to land one planned kill before moving to the next.
KILL_ATTEMPTS = 3


@dataclass
class Rounds:
    """What the extraction went through: runs, kills by phase, restarts."""

    runs: int = 0
    kills: dict[str, int] = field(default_factory=dict)
    db_restarts: int = 0
    failed_exits: int = 0
    finished: bool = False


def note(message: str) -> None:
    print(f"chaos: {message}", file=sys.stderr, flush=True)


def pipeline_dir(env: dict[str, str]) -> Path:
    """dlt's working folder of the `stripe` pipeline for env's database."""
    stack_dir = config.load(dict(env)).stack_dir
    return pipelines_dir(stack_dir, pg_settings(env)) / "stripe"


def _has_entries(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def phase_of(working: Path) -> str:
    """Which step a run is in, from dlt's folders: a normalized package is
    being loaded; an extracted (or half-normalized) one is being normalized;
    otherwise the API is being listed."""
    if _has_entries(working / "load" / "normalized"):
        return "load"
    if _has_entries(working / "normalize" / "extracted") or _has_entries(
        working / "load" / "new"
    ):
        return "normalize"
    return "listing"


def start_extraction(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "extract"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def listing_begun(log: Path) -> bool:
    """The run said its first line: its key was checked, listing is on."""
    return log.is_file() and log.stat().st_size > 0


def wait_for(
    process: subprocess.Popen, working: Path, target: str, delay: float, log: Path
) -> str | None:
    """Poll until the run has been in `target` for `delay` seconds (listing
    begins with the run's first line of output); the phase it is in then,
    or None when it exited first."""
    began = time.monotonic()
    reached = None
    while process.poll() is None:
        now = time.monotonic()
        phase = phase_of(working)
        if now - began > RUN_TIMEOUT_SECONDS:
            return phase
        in_target = listing_begun(log) if target == "listing" else phase == target
        if reached is None and in_target:
            reached = now
        if reached is not None and now - reached >= delay:
            return phase
        time.sleep(POLL_SECONDS)
    return None


def kill_run(env, working: Path, target: str, delay: float, log: Path) -> str | None:
    """One run killed with SIGKILL in `target`; the phase it died in, or None
    when it exited before."""
    process = start_extraction(env, log)
    phase = wait_for(process, working, target, delay, log)
    if phase is not None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return phase if process.returncode == -signal.SIGKILL else None


def finish(process: subprocess.Popen) -> int:
    """The run's exit code; killed (by pid) past RUN_TIMEOUT_SECONDS."""
    try:
        return process.wait(RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def restart_run(env, base_env, working: Path, log: Path) -> bool:
    """One run whose database server is stopped and started once it loads;
    whether the restart happened (the run's own end does not matter)."""
    process = start_extraction(env, log)
    restarted = wait_for(process, working, "load", 0, log) == "load"
    if restarted:
        settings = config.load(dict(base_env))
        pg_down(settings)
        pg_up(settings, base_env)
    finish(process)
    return restarted


def planned_kills(kills: int) -> list[str]:
    """The phases the kills aim at, spread evenly, in the order the work
    lets them land: listing kills first (each forces a full listing again),
    then normalize, then load. A run that finishes its load commits the
    listing, so the runs after a load kill have little left to normalize:
    a normalize kill aimed then finds no normalize step long enough to
    land in."""
    targets = [PHASES[n % len(PHASES)] for n in range(kills)]
    return sorted(targets, key=PHASES.index)


def kill_delay(target: str, rng: random.Random, listing_seconds: float) -> float:
    """Seconds into the phase: anywhere in a listing of about that length,
    early in the short normalize step, anywhere in the first of the load."""
    if target == "listing":
        return rng.uniform(0.2, listing_seconds)
    return rng.uniform(0, 0.02 if target == "normalize" else 0.3)


def kill_rounds(
    rounds: Rounds,
    env: dict[str, str],
    kills: int,
    seed: int,
    listing: float,
    logs: Path,
) -> None:
    """The planned kills, each tried KILL_ATTEMPTS times at most."""
    rng = random.Random(seed)
    working = pipeline_dir(env)
    for target in planned_kills(kills):
        for _ in range(KILL_ATTEMPTS):
            rounds.runs += 1
            delay = kill_delay(target, rng, listing)
            log = logs / f"extract-{rounds.runs:02d}.log"
            phase = kill_run(env, working, target, delay, log)
            if phase is not None:
                rounds.kills[phase] = rounds.kills.get(phase, 0) + 1
                note(f"run {rounds.runs} killed while in {phase} (aimed at {target})")
                break
            note(f"run {rounds.runs} ended before its kill in {target}")


def restart_rounds(
    rounds: Rounds, env: dict[str, str], base_env: dict[str, str], logs: Path
) -> None:
    """Runs until the database server was restarted during one's load."""
    working = pipeline_dir(env)
    for _ in range(KILL_ATTEMPTS):
        rounds.runs += 1
        log = logs / f"extract-{rounds.runs:02d}.log"
        if restart_run(env, base_env, working, log):
            rounds.db_restarts += 1
            note(f"run {rounds.runs}: the database server restarted mid-load")
            return


def finish_rounds(rounds: Rounds, env: dict[str, str], logs: Path) -> None:
    """Runs until one exits 0 (FINISH_ATTEMPTS at most)."""
    for _ in range(FINISH_ATTEMPTS):
        rounds.runs += 1
        process = start_extraction(env, logs / f"extract-{rounds.runs:02d}.log")
        if finish(process) == 0:
            rounds.finished = True
            return
        rounds.failed_exits += 1
        note(f"run {rounds.runs} exited non-zero; running again")
