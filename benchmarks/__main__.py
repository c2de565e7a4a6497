"""`python -m benchmarks [speed] [simulation] [persona] [--quick]`: run, print, save JSON.

With no part named, everything runs (about 2 minutes on 2 cores). Results are printed
and written to `benchmarks/results/<part>.json` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn

from benchmarks.persona import evaluate_personas
from benchmarks.simulation import SimConfig, simulate
from benchmarks.speed import run_normaliser, run_ranking
from matching.learning import evaluation_dict
from matching.taxonomy import load_taxonomy

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("speed", "simulation", "persona")


def _save(name: str, data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"  -> {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    cells = [[title for _, title in columns]]
    for row in rows:
        cells.append([str(row[key]) for key, _ in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _speed(quick: bool) -> dict[str, Any]:
    taxonomy = load_taxonomy()
    volunteers = 20_000 if quick else 100_000
    print(f"speed: ranking {volunteers:,} volunteers (building the pool takes a while)...")
    ranking = run_ranking(taxonomy, volunteers)
    for key, value in ranking.items():
        print(f"  {key:32} {value}")
    phrases = run_normaliser(taxonomy, 2_000 if quick else 10_000)
    print("speed: normalising free-text skill phrases")
    for key, value in phrases.items():
        print(f"  {key:32} {value}")
    return {"ranking": ranking, "normaliser": phrases}


SIM_SEEDS = (0, 1, 2)
_MEANS = (
    "invitations",
    "acceptance_rate",
    "missions_filled",
    "came",
    "invitations_per_filled_slot",
    "gini",
    "share_invited",
)


def _simulation(quick: bool) -> dict[str, Any]:
    taxonomy = load_taxonomy()
    configs = [
        SimConfig(volunteers=600, days=14, seed=s) if quick else SimConfig(seed=s)
        for s in SIM_SEEDS
    ]
    config = configs[0]
    print(
        f"simulation: {config.volunteers} volunteers, {config.days} days, "
        f"{config.missions_per_day} missions a day, up to {config.invitations_per_place} "
        f"invitations per place ({config.max_invitations} max); mean of seeds {SIM_SEEDS}"
    )
    per_seed: dict[str, list[dict[str, Any]]] = {}
    learning: list[dict[str, Any]] = []
    for cfg in configs:
        results, training = simulate(taxonomy, cfg)
        for result in results:
            per_seed.setdefault(result.policy, []).append(result.as_dict())
        if training is not None:
            learning.append({"seed": cfg.seed, **evaluation_dict(training.evaluation)})
    rows = []
    for policy, runs in per_seed.items():
        row: dict[str, Any] = {"policy": policy, "seeds": len(runs)}
        for key in _MEANS:
            row[key] = round(sum(r[key] for r in runs) / len(runs), 3)
        row["filled"] = f"{row['missions_filled']:.1f}/{runs[0]['missions']}"
        row["per_seed_filled"] = [r["missions_filled"] for r in runs]
        rows.append(row)
    print(
        _table(
            rows,
            [
                ("policy", "policy"),
                ("invitations", "invitations"),
                ("acceptance_rate", "accepted/invitation"),
                ("filled", "missions filled"),
                ("came", "came"),
                ("invitations_per_filled_slot", "invitations/filled place"),
                ("gini", "Gini of invitations"),
                ("share_invited", "share asked"),
                ("per_seed_filled", "filled per seed"),
            ],
        )
    )
    print("learning (held-out outcomes of each warm-up month):")
    columns = ["seed", "examples", "test", "learned_auc", "weighted_auc"]
    columns += ["learned_log_loss", "weighted_log_loss", "auc_gain_p5", "reason"]
    shown = [
        {k: round(v, 3) if isinstance(v, float) else v for k, v in e.items()} for e in learning
    ]
    print(_table(shown, [(c, c) for c in columns]))
    return {"config": _config(config), "seeds": SIM_SEEDS, "policies": rows, "learning": learning}


def _config(config: SimConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


def _persona(quick: bool) -> dict[str, Any]:
    taxonomy = load_taxonomy()
    out: dict[str, Any] = {}
    reports = evaluate_personas(taxonomy, radii=(None, 50.0))
    if reports is None:
        print("persona: ../shared/data/api-engagement-eval.json not found, skipped")
        return {"skipped": True}
    for radius, report in reports.items():
        label = "no radius" if radius is None else f"{radius:g} km radius"
        print(f"persona ({label}):")
        for key, value in report.as_dict().items():
            print(f"  {key:28} {value}")
        out[label] = report.as_dict()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the named parts (default: all)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("parts", nargs="*", help=f"any of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    parts = args.parts or list(PARTS)
    machine = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    print(f"machine: {machine}")
    runners = {"speed": _speed, "simulation": _simulation, "persona": _persona}
    for part in parts:
        started = time.perf_counter()
        data = runners[part](args.quick)
        data["machine"] = machine
        data["quick"] = args.quick
        data["seconds"] = round(time.perf_counter() - started, 1)
        print(f"  ({part}: {data['seconds']} s)")
        _save(part + ("-quick" if args.quick else ""), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
