"""`ebm depth train` and `ebm depth predict`: the depth EBM from the command line.

    ebm depth train --run runs/depth --export assets/depth/depth-ebm.pt      # the shipped checkpoint
    torchrun --nproc_per_node=4 -m core.cli depth train --device cuda --run-dir runs/depth-ddp   # DDP, 1 GPU each
    ebm depth predict room.jpg --out room-depth.png                          # 16-bit PNG in millimetres

Under torchrun (WORLD_SIZE > 1) the process group is initialised here (NCCL on CUDA, gloo on CPU);
process 0 alone writes the run directory, the progress bar and the exported model.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.cli import _parse_param  # the `ebm` NAME=VALUE parser, shared


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the `depth` sub-command (with `train` and `predict`) to the `ebm` sub-parsers."""
    d = sub.add_parser("depth", help="depth EBM: train it, or predict the depth of an image")
    dsub = d.add_subparsers(dest="depth_command", required=True)
    t = dsub.add_parser("train", help="train the depth EBM on the synthetic scenes (DDP under torchrun)")
    t.add_argument("--device", default="cpu", help="cpu, cuda or auto (cuda → mps → cpu)")
    t.add_argument("--run", "--run-dir", dest="run", type=Path, default=None,
                   help="run directory (default runs/depth-<energy>-<method>; under torchrun write --run-dir)")
    t.add_argument("--resume", type=Path, default=None, metavar="RUN", help="continue the run in this directory")
    t.add_argument("--energy", default="both", choices=("frame", "cnn", "both"))
    t.add_argument("--method", default="ml", choices=("ml", "nce", "ml-is"),
                   help="ml: Algorithm 1 (Langevin negatives); nce / ml-is: the CNN energy with noise around the target")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--param", action="append", type=_parse_param, default=[], metavar="NAME=VALUE",
                   help="trainer setting, e.g. predictor_steps=2000 (repeatable; see core.depth.train)")
    t.add_argument("--amp", action="store_true", help="mixed precision (bfloat16 on CPU, bf16/fp16 on CUDA)")
    t.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    t.add_argument("--checkpoint-every", type=int, default=200)
    t.add_argument("--export", type=Path, default=None,
                   help="write the trained model here (default RUN/depth-model.pt); load with DepthModel.load")
    t.add_argument("--half", action="store_true", help="export the weights as float16 (half the size)")
    t.add_argument("--no-progress", action="store_true")
    p = dsub.add_parser("predict", help="predict the depth of a PNG/JPEG image")
    p.add_argument("image", type=Path)
    p.add_argument("--out", type=Path, default=None,
                   help=".png (16-bit, mm), .npy (metres) or .npz (initial, final, mean, std, steps)")
    p.add_argument("--model", type=Path, default=None, help="a depth model file (default: the shipped checkpoint)")
    p.add_argument("--energy", default=None, help="frame or cnn (default: the model's, cnn)")
    p.add_argument("--steps", type=int, default=None, help="refinement steps T (default: as trained, 20)")
    p.add_argument("--mode", default=None, choices=("langevin", "annealed", "descent"))
    p.add_argument("--samples", type=int, default=None, help="Langevin chains for the mean and the std")
    p.add_argument("--gt", type=Path, default=None, help="ground-truth depth (.png mm / .npy / .npz m): print metrics")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    return d


def run(args: argparse.Namespace) -> int:
    """Dispatch `ebm depth …`; ValueError reaches `ebm`'s main, which prints it in one line."""
    if args.depth_command == "train":
        return cmd_train(args)
    return cmd_predict(args)


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def _int_params(params: dict[str, float]) -> dict[str, Any]:
    from core.depth.train import DepthTrainer

    kinds = {spec.name: spec.kind for spec in DepthTrainer.param_specs}
    return {k: (int(v) if kinds.get(k) is int and float(v).is_integer() else v) for k, v in params.items()}


def _command_line(args: argparse.Namespace) -> str:
    """The `ebm depth train` command that reproduces this run (from the parsed arguments)."""
    parts = ["ebm depth train", f"--device {args.device}", f"--energy {args.energy}", f"--method {args.method}",
             f"--seed {args.seed}"]
    parts += [f"--param {k}={v:g}" for k, v in args.param]
    parts += ["--amp"] if args.amp else []
    parts += [f"--threads {args.threads}"] if args.threads else []
    parts += [f"--run {args.run}"] if args.run else []
    parts += [f"--resume {args.resume}"] if args.resume else []
    parts += [f"--export {args.export}"] if args.export else []
    parts += ["--half"] if args.half else []
    return " ".join(parts)


def _init_distributed(device: str) -> bool:
    """Initialise torch.distributed when launched by torchrun (WORLD_SIZE > 1); True if it did."""
    from torch import distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return False
    cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    dist.init_process_group("nccl" if cuda else "gloo")
    return True


def cmd_train(args: argparse.Namespace) -> int:
    """`ebm depth train`: phase 1 (predictor) then phase 2 (energies) into a run directory; exports the model."""
    from torch import distributed as dist

    from core import training
    from core.depth.train import DepthTrainer
    from core.runs import RunDir

    if args.threads:
        torch.set_num_threads(args.threads)
    started = _init_distributed(args.device)
    try:
        rank = dist.get_rank() if dist.is_initialized() else 0
        params = _int_params(dict(args.param))
        if args.amp:
            params["amp"] = 1
        if args.resume is not None:
            run = RunDir(args.resume, create=False)
            run_path = run.path
            config = run.read_config()
            trainer = DepthTrainer(**config.get("params", {}))
            try:
                _, state = run.load_checkpoint()
                trainer.load_state_dict(state)
                if rank == 0:
                    run.truncate_metrics(trainer.t)
            except ValueError:
                pass  # nothing saved yet: start over with the same config
        else:
            trainer = DepthTrainer(energy=args.energy, method=args.method, seed=args.seed, device=args.device,
                                   **params)
            run_path = args.run or Path("runs") / f"depth-{args.energy}-{args.method}"
            run = RunDir(run_path) if rank == 0 else None  # process 0 alone writes the run directory
            if run is not None:
                if run.config_path.exists():
                    raise ValueError(f"{run.path} already holds a run; use --resume {run.path} or another --run")
                run.write_config({"trainer": trainer.name, "params": trainer.config(),
                                  "total_steps": trainer.total_steps, "world_size": trainer.world})
        total = trainer.total_steps
        bar = None
        if rank == 0 and not args.no_progress:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=trainer.t, unit="step", file=sys.stderr,
                       desc=f"depth ({trainer.world} proc, {trainer.device.type}) → {run_path}")

        def progress(metrics: dict[str, Any]) -> None:
            if bar is not None:
                bar.update(1)
                bar.set_description_str(f"depth {trainer.phase} → {run_path}", refresh=False)
                shown = {k: f"{v:.4g}" for k, v in metrics.items()
                         if k in ("loss", "val_abs_rel", "val_abs_rel_cnn", "val_abs_rel_frame") and isinstance(v, float)}
                bar.set_postfix(shown, refresh=False)

        t0 = time.perf_counter()
        try:
            last = training.fit(trainer, total, run if rank == 0 else None, checkpoint_every=args.checkpoint_every,
                                callback=progress)
        except training.TrainingDiverged as exc:
            print(f"ebm depth train: {exc}", file=sys.stderr)
            return 3
        finally:
            if bar is not None:
                bar.close()
        elapsed = time.perf_counter() - t0
        if rank == 0:
            export = args.export or Path(run_path) / "depth-model.pt"
            model = trainer.trained_model()
            model.info["command"] = _command_line(args)
            model.save(export, half=args.half)
            summary = {k: v for k, v in last.items() if isinstance(v, float)}
            import json  # the command and settings, next to the model (assets/depth/depth-ebm.json)

            export.with_suffix(".json").write_text(json.dumps({
                "command": model.info["command"], "trainer": trainer.name, "params": trainer.config(),
                "steps": trainer.t, "processes": trainer.world, "seconds": round(elapsed, 1),
                "torch": torch.__version__, "refine": model.refine, "default_energy": model.default_energy,
                "final_metrics": summary}, indent=1, sort_keys=True) + "\n")
            print(_table([("run", str(run_path)), ("steps", str(trainer.t)), ("processes", str(trainer.world)),
                          ("time", f"{elapsed:.1f} s"), ("model", f"{export} ({export.stat().st_size / 1e6:.2f} MB)")]
                         + [(k, f"{v:.4g}") for k, v in summary.items()]))
        return 0
    finally:
        if started:
            dist.destroy_process_group()


def cmd_predict(args: argparse.Namespace) -> int:
    """`ebm depth predict IMAGE`: refine, print a summary (metrics with --gt), write --out."""
    from core import depth
    from core.depth import metrics as depth_metrics
    from core.device import pick

    image = depth.load_image(args.image)
    gt = depth.load_depth(args.gt, shape=image.shape[1:]) if args.gt is not None else None
    model = depth.DepthModel.load(args.model) if args.model is not None else depth.load_default_model()
    dev = pick(None if args.device == "auto" else args.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but CUDA is not available here; use cpu or auto")
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=None, unit="step", desc=f"refining {args.image.name}", file=sys.stderr)

    def progress(k: int, total: int, _depth: torch.Tensor) -> None:
        if bar is not None:
            bar.total = total
            bar.update(k - bar.n)

    t0 = time.perf_counter()
    result = depth.predict(model, image, steps=args.steps, energy=args.energy, mode=args.mode,
                           n_samples=args.samples, seed=args.seed, callback=progress, device=dev)
    elapsed = time.perf_counter() - t0
    if bar is not None:
        bar.close()
    final = result.final
    rows = [("image", f"{args.image} ({image.shape[1]}×{image.shape[2]})"),
            ("energy", f"{result.energy_name}, {result.settings['mode']}, T = {result.settings['steps']}, "
                       f"{result.settings['n_samples']} chains"),
            ("time", f"{elapsed:.2f} s on {dev.type}"),
            ("depth", f"{float(final.min()):.2f} – {float(final.max()):.2f} m (median {float(final.median()):.2f})"),
            ("uncertainty", f"mean std {float(result.std.mean()):.3f} m"),
            ("energy per cell", f"{result.energies[0]:.4g} → {result.energies[-1]:.4g}")]
    if gt is not None:
        for label, pred in (("initial", result.initial), ("refined", final)):
            m = depth_metrics.compute(pred, gt)
            rows.append((f"{label}: AbsRel / RMSE / δ1",
                         f"{m['abs_rel']:.4f} / {m['rmse']:.4f} / {m['d1']:.4f}"))
    print(_table(rows))
    if args.out is not None:
        out = args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".npz":
            np.savez_compressed(out, initial=result.initial.numpy(), final=final.numpy(), mean=result.mean.numpy(),
                                std=result.std.numpy(), steps=torch.stack(result.steps).numpy())
        else:
            depth.save_depth(out, final)
        print(f"depth written to {out}")
    return 0
