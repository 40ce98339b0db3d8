#!/usr/bin/env python
"""Predict the depth of an image with the shipped depth EBM — the Depth panel, as a script. Without an
image it renders a synthetic test scene (with ground truth) and prints the metrics.

    python examples/predict_depth.py [IMAGE] [--out pred]    # writes pred-depth.png (16-bit mm) and pred-depth.npy
    python examples/predict_depth.py --quick                 # a small synthetic scene, T = 2
"""
import argparse

from core import depth


def main(image: str | None = None, out: str | None = None, quick: bool = False) -> dict:
    model = depth.load_default_model()
    if image is None:
        sample = depth.synthetic_sample(0, "test", (60, 80) if quick else (240, 320))
    else:
        sample = depth.load_sample(image)
    result = depth.predict(model, sample.image, steps=2 if quick else 20)
    print(f"{sample.name or image}: depth {float(result.final.min()):.2f}–{float(result.final.max()):.2f} m")
    metrics = {}
    if sample.depth is not None:
        for label, pred in (("initial", result.initial), ("refined", result.final)):
            metrics[label] = depth.metrics.compute(pred, sample.depth)
            print(f"{label:>8}: AbsRel {metrics[label]['abs_rel']:.4f}  δ1 {metrics[label]['d1']:.4f}")
    if out:
        print("wrote", depth.save_depth_png(f"{out}-depth.png", result.final),
              depth.save_depth_npy(f"{out}-depth.npy", result.final))
    return {"result": result, "metrics": metrics}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?")
    parser.add_argument("--out")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(args.image, args.out, args.quick)
