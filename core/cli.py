"""The `ebm` command line: headless sampling and training (`ebm sample`, `ebm train`)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch


def _parse_param(text: str) -> tuple[str, float]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"value of {key!r} must be a number, got {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `ebm` with its sub-commands."""
    parser = argparse.ArgumentParser(prog="ebm", description="Energy Workbench, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="run MCMC chains on an energy and print diagnostics")
    src = s.add_mutually_exclusive_group()
    src.add_argument("--energy", default="banana", help="built-in energy name (see --list)")
    src.add_argument("--expression", help="energy formula in x, y, e.g. '(x**2-1)**2 + y**2'")
    s.add_argument("--param", action="append", type=_parse_param, default=[], metavar="NAME=VALUE",
                   help="energy parameter (repeatable)")
    s.add_argument("--bounds", type=float, nargs="+", metavar="LO HI",
                   help="view box as lo hi per dimension (expressions; default -3 3)")
    s.add_argument("--sampler", default="mala", help="langevin, mala, mh or hmc")
    s.add_argument("--step-size", type=float, default=None, help="ε (σ for mh); default per sampler")
    s.add_argument("--temperature", type=float, default=1.0)
    s.add_argument("--n-leapfrog", type=int, default=None, help="HMC leapfrog steps")
    s.add_argument("--chains", type=int, default=1000)
    s.add_argument("--steps", type=int, default=500)
    s.add_argument("--burn-in", type=int, default=None, help="steps left out of diagnostics (default: half)")
    s.add_argument("--record-every", type=int, default=1)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    s.add_argument("--compile", action="store_true",
                   help="fuse blocks of steps with torch.compile (first call compiles, ~15 s)")
    s.add_argument("--out", type=Path, default=None, help="write the trace to this .npz file")
    s.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    s.add_argument("--list", action="store_true", help="list energies and samplers, then exit")

    t = sub.add_parser("train", help="train an EBM headless into a run directory")
    what = t.add_mutually_exclusive_group()
    what.add_argument("--dataset", help="2D dataset (8gaussians, two_moons, ...) or a .csv/.npy file")
    what.add_argument("--regression", type=int, choices=(1, 2), help="toy regression problem 1 or 2")
    what.add_argument("--resume", type=Path, metavar="RUN", help="continue the run in this directory")
    what.add_argument("--gan", choices=("ebgan", "began", "magan"), help="a GAN-style EBM (see --data)")
    t.add_argument("--data", default="digits", help="GAN data: digits, a 2D dataset name, or a folder of images "
                   "(resized to --param image_size=28|32, --param channels=1|3)")
    t.add_argument("--method", default=None, help="pcd, cd, dsm (2D); ml-is, kld, nce, nce+, ml-mcmc, dsm, nce-mdn")
    t.add_argument("--sampler", default="langevin", help="negatives sampler for cd/pcd: langevin or mala")
    t.add_argument("--steps", type=int, default=None, help="total updates (2D; default 5000)")
    t.add_argument("--epochs", type=int, default=None, help="epochs (regression; default 75)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--param", action="append", type=_parse_param, default=[], metavar="NAME=VALUE",
                   help="trainer setting, e.g. lr=1e-3 (repeatable)")
    t.add_argument("--run", type=Path, default=None, help="run directory (default runs/<name>)")
    t.add_argument("--checkpoint-every", type=int, default=500)
    t.add_argument("--no-progress", action="store_true")
    from core.depth.cli import add_parser as add_depth_parser

    add_depth_parser(sub)  # `ebm depth train|predict`
    return parser


def _energy_from_args(args: argparse.Namespace):
    from core import energies

    params = dict(args.param)
    if args.expression:
        if params:
            raise ValueError("--param applies to built-in energies, not to --expression")
        bounds = None
        if args.bounds:
            if len(args.bounds) % 2:
                raise ValueError("--bounds takes pairs: LO HI per dimension")
            bounds = list(zip(args.bounds[::2], args.bounds[1::2]))
        return energies.from_expression(args.expression, dim=len(bounds) if bounds else None, bounds=bounds)
    bounds = list(zip(args.bounds[::2], args.bounds[1::2])) if args.bounds else None
    return energies.create(args.energy, bounds=bounds, **params)


def format_table(rows: list[tuple[str, str]]) -> str:
    """Two-column plain-text table."""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def cmd_sample(args: argparse.Namespace) -> int:
    """`ebm sample`: run chains, print a diagnostics table, optionally save the trace."""
    from core import device as devices
    from core import diagnostics, energies, samplers

    if args.list:
        print("energies:", ", ".join(energies.names()))
        print("samplers:", ", ".join(samplers.names()))
        return 0
    E = _energy_from_args(args)
    extra: dict[str, Any] = {}
    if args.n_leapfrog is not None:
        extra["n_leapfrog"] = args.n_leapfrog
    dev = devices.pick(None if args.device == "auto" else args.device)
    s = samplers.create(args.sampler, E, step_size=args.step_size, temperature=args.temperature,
                        device=dev, compile=args.compile, **extra)
    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    burn = args.steps // 2 if args.burn_in is None else args.burn_in
    if not 0 <= burn < args.steps:
        raise ValueError(f"--burn-in must be in [0, {args.steps - 1}], got {burn}")
    state = s.init(args.chains, seed=args.seed)
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=args.steps, unit="step", desc=f"{args.sampler} on {E.name}", file=sys.stderr)
    t0 = time.perf_counter()
    state, trace = s.run(state, args.steps, record_every=args.record_every,
                         callback=(lambda i, st: bar.update(i - bar.n)) if bar else None)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    if bar:
        bar.close()
    rec_burn = burn // max(args.record_every, 1) if args.record_every else 0
    summary = diagnostics.summary(trace, E if E.dim <= 2 else None, args.temperature, burn_in=rec_burn)
    rows = [("energy", f"{E.name} (dim {E.dim})"), ("sampler", f"{args.sampler}, step {s.step_size:g}, T {s.temperature:g}"),
            ("chains × steps", f"{args.chains} × {args.steps} (burn-in {burn})"),
            ("time", f"{elapsed:.2f} s ({args.chains * args.steps / elapsed / 1e6:.2f} M chain-steps/s)"),
            ("acceptance", f"{summary['acceptance']:.3f}"),
            ("diverged chains", str(summary["diverged_chains"])),
            ("rejected NaN/inf proposals", str(summary["divergences"]))]
    for k, name in enumerate(["x", "y", "z"][: E.dim] if E.dim <= 3 else [f"x{i}" for i in range(E.dim)]):
        if "ess" in summary:
            rows.append((f"{name}: bulk ESS / R-hat", f"{summary['ess'][k]:.0f} / {summary['rhat'][k]:.4f}"))
    if "tv" in summary:
        rows.append(("TV distance to exact", f"{summary['tv']:.4f}"))
    print(format_table(rows))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        meta = {"energy": E.name, "energy_params": E.params, "bounds": E.bounds, "sampler": args.sampler,
                "step_size": s.step_size, "temperature": s.temperature, "seed": args.seed, **extra}
        np.savez_compressed(args.out, **trace.numpy(), meta=json.dumps(meta))
        print(f"trace written to {args.out}")
    return 0


def _int_params(trainer_cls, params: dict[str, float]) -> dict[str, Any]:
    kinds = {spec.name: spec.kind for spec in trainer_cls.param_specs}
    return {k: (int(v) if kinds.get(k) is int and float(v).is_integer() else v) for k, v in params.items()}


def cmd_train(args: argparse.Namespace) -> int:
    """`ebm train`: build (or resume) a trainer, run it with a progress bar into a run directory."""
    from core import training
    from core.runs import RunDir
    from core.training.base import TRAINERS

    if args.resume is not None:
        trainer, run = training.resume(args.resume)
        config = run.read_config()
        total = args.steps or config.get("total_steps") or trainer.t
        if args.epochs is not None and hasattr(trainer, "steps_per_epoch"):
            total = args.epochs * trainer.steps_per_epoch
    elif args.gan is not None:
        cls = TRAINERS.get(args.gan)
        trainer = training.create(args.gan, data=args.data, seed=args.seed, **_int_params(cls, dict(args.param)))
        total = args.steps or 20000
        run = RunDir(args.run or Path("runs") / f"{args.gan}-{Path(args.data).name}")
    elif args.regression is not None:
        cls = TRAINERS.get("regression")
        trainer = training.create("regression", problem=args.regression, method=args.method or "nce",
                                  seed=args.seed, **_int_params(cls, dict(args.param)))
        total = (args.epochs or 75) * trainer.steps_per_epoch
        run = RunDir(args.run or Path("runs") / f"regression{args.regression}-{trainer.method}")
    else:
        from core import data

        cls = TRAINERS.get("ebm2d")
        source = args.dataset or "8gaussians"
        extra: dict[str, Any] = {}
        if Path(source).suffix.lower() in (".csv", ".npy", ".txt"):
            extra["points"] = data.load_points(source)
        trainer = training.create("ebm2d", dataset=source, method=args.method or "pcd", sampler=args.sampler,
                                  seed=args.seed, **extra, **_int_params(cls, dict(args.param)))
        total = args.steps or 5000
        run = RunDir(args.run or Path("runs") / f"{trainer.dataset}-{trainer.method}")
    if args.resume is None:
        if run.config_path.exists():
            raise ValueError(f"{run.path} already holds a run; use --resume {run.path} or another --run")
        run.write_config({"trainer": trainer.name, "params": trainer.config(), "total_steps": total})
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=trainer.t, unit="step", desc=f"{trainer.name} → {run.path}", file=sys.stderr)

    def progress(metrics: dict[str, Any]) -> None:
        if bar is not None:
            bar.update(1)
            shown = {k: f"{v:.4g}" for k, v in metrics.items()
                     if k in ("loss", "tv", "kl", "k_t", "m_global", "margin") and isinstance(v, float)}
            if shown:
                bar.set_postfix(shown, refresh=False)

    try:
        last = training.fit(trainer, total, run, checkpoint_every=args.checkpoint_every, callback=progress)
    except training.TrainingDiverged as exc:
        print(f"ebm train: {exc}", file=sys.stderr)
        return 3
    finally:
        if bar is not None:
            bar.close()
    summary = {k: v for k, v in last.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    print(format_table([("run", str(run.path)), ("steps", str(trainer.t))]
                       + [(k, f"{v:.4g}") for k, v in summary.items()]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `ebm`; returns the exit status (2 with a one-line message on bad input)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sample":
            return cmd_sample(args)
        if args.command == "train":
            return cmd_train(args)
        if args.command == "depth":
            from core.depth.cli import run as cmd_depth

            return cmd_depth(args)
    except ValueError as exc:
        print(f"ebm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
