#!/usr/bin/env python3
"""Golden outputs of cleanlab 2.x for test/unit/cl.test.ts.

Nothing of cleanlab is committed. To regenerate (Debian):
  apt-get install -y python3-sklearn python3-numpy python3-pandas
  # fetch cleanlab (github:cleanlab/cleanlab) and unpack it into /tmp/cl
  # cleanlab imports termcolor and tqdm at import time; stub them if missing:
  #   /tmp/clstubs/termcolor/__init__.py: def colored(t, *a, **k): return t
  #   /tmp/clstubs/tqdm/{__init__,auto}.py: def tqdm(it=None, *a, **k): return it
  PYTHONPATH=/tmp/cl:/tmp/clstubs /usr/bin/python3 -W ignore bench/cl-reference/generate.py \
      > test/fixtures/cl/cleanlab-golden.json
Cases are seeded; pred_probs are rounded to 6 decimals so the JSON stays small (rows then sum to 1 ± 3e-6),
and cleanlab sees exactly the values the JSON holds.
"""
import json
import subprocess
import sys

import numpy as np
import cleanlab
from cleanlab import count, filter as clfilter, rank, dataset

FILTERS = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
           "predicted_neq_given", "low_normalized_margin", "low_self_confidence"]
METHODS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]


def make_case(seed, n, k, noise, *, strength=2.5, missing=None, singleton=None, float32=False,
              unnormalized=False, decimals=6, allwrong=None):
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.ones(k) * 3)
    y = rng.choice(k, size=n, p=prior)
    logits = rng.normal(size=(n, k)) + strength * np.eye(k)[y]
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    labels = y.copy()
    flip = rng.random(n) < noise
    # asymmetric noise: flip to the next class (mod k) or a random one
    labels[flip] = np.where(rng.random(flip.sum()) < 0.6, (y[flip] + 1) % k, rng.integers(0, k, flip.sum()))
    if missing is not None:
        labels[labels == missing] = (missing + 1) % k
    if singleton is not None:
        idx = np.flatnonzero(labels == singleton)
        labels[idx[1:]] = (singleton + 1) % k
    if allwrong is not None:
        # every example labelled `allwrong` really belongs to the next class
        idx = np.flatnonzero(labels == allwrong)
        lg = rng.normal(size=(idx.size, k)) + strength * np.eye(k)[(allwrong + 1) % k]
        q = np.exp(lg)
        p[idx] = q / q.sum(axis=1, keepdims=True)
    if unnormalized:
        p = p * rng.uniform(0.8, 1.0, size=(n, 1))
    p = np.round(p, decimals)
    if float32:
        p = p.astype(np.float32)
    return labels.astype(np.int64), p


def idx(mask):
    return [int(i) for i in np.flatnonzero(mask)]


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


SCORE_ROWS = 100  # scores are stored for the first rows only, rounded to 10 decimals (tests use 1e-9), to keep the JSON small


def scores_flat(a):
    return [round(float(v), 10) for v in np.asarray(a, dtype=float)[:SCORE_ROWS]]


def run(name, labels, p, extra=None):
    k = p.shape[1]
    out = {"name": name, "k": k, "float32": p.dtype == np.float32,
           "labels": [int(v) for v in labels], "predProbs": flat(p)}
    thr = count.get_confident_thresholds(labels, p)
    out["thresholds"] = flat(thr)
    out["confidentJoint"] = flat(count.compute_confident_joint(labels, p))
    cj_raw, off = count.compute_confident_joint(labels, p, calibrate=False, return_indices_of_off_diagonals=True)
    out["confidentJointUncalibrated"] = flat(cj_raw)
    out["offDiagonal"] = [int(i) for i in off]
    user_thr = np.linspace(0.3, 0.6, k)
    out["userThresholds"] = flat(user_thr)
    out["confidentJointUserThresholds"] = flat(count.compute_confident_joint(labels, p, thresholds=user_thr))
    cj = count.compute_confident_joint(labels, p)
    joint = count.estimate_joint(labels, p)
    out["joint"] = flat(joint)
    py, nm, inm = count.estimate_latent(cj, labels)
    out["latent"] = {"priorTrue": flat(py), "noiseMatrix": flat(nm), "inverseNoiseMatrix": flat(inm)}
    out["noiseRate"] = float(1.0 - joint.trace())
    df = dataset.rank_classes_by_label_quality(labels, p, joint=joint).sort_values("Class Index")
    out["labelNoise"] = flat(df["Label Noise"].to_numpy())
    out["inverseLabelNoise"] = flat(df["Inverse Label Noise"].to_numpy())
    out["numLabelIssues"] = int(count.num_label_issues(labels, p))
    out["numLabelIssuesCalibrated"] = int(count.num_label_issues(labels, p, estimation_method="off_diagonal_calibrated"))
    masks = {}
    for f in FILTERS:
        masks[f] = idx(clfilter.find_label_issues(labels, p, filter_by=f, n_jobs=1))
    out["masks"] = masks
    variants = {}
    for f in ["prune_by_noise_rate", "prune_by_class", "both"]:
        variants[f + "|frac=0.5"] = idx(clfilter.find_label_issues(labels, p, filter_by=f, frac_noise=0.5, n_jobs=1))
        variants[f + "|min=10"] = idx(clfilter.find_label_issues(labels, p, filter_by=f, min_examples_per_class=10, n_jobs=1))
    ntr = [int(v) for v in np.minimum(np.bincount(labels, minlength=k), np.arange(k) % 3 + 1)]
    variants["prune_by_class|remove"] = idx(clfilter.find_label_issues(
        labels, p, filter_by="prune_by_class", num_to_remove_per_class=ntr, n_jobs=1))
    variants["prune_by_noise_rate|remove"] = idx(clfilter.find_label_issues(
        labels, p, filter_by="prune_by_noise_rate", num_to_remove_per_class=ntr, n_jobs=1))
    variants["prune_by_noise_rate|cj=argmax-confusion"] = idx(clfilter.find_label_issues_using_argmax_confusion_matrix(labels, p))
    out["numToRemovePerClass"] = ntr
    out["variants"] = variants
    scores = {}
    for m in METHODS:
        scores[m] = scores_flat(rank.get_label_quality_scores(labels, p, method=m))
    for m in METHODS[:2]:
        scores[m + "|adjust"] = scores_flat(rank.get_label_quality_scores(labels, p, method=m, adjust_pred_probs=True))
    out["scores"] = scores
    ranked = {}
    for m in METHODS:
        ranked[m] = [int(i) for i in clfilter.find_label_issues(labels, p, return_indices_ranked_by=m, n_jobs=1)]
    out["ranked"] = ranked
    if extra:
        out.update(extra)
    return out


def main():
    cases = []
    specs = [
        ("k3-noise20", dict(seed=1, n=200, k=3, noise=0.2)),
        ("k5-noise30", dict(seed=2, n=200, k=5, noise=0.3)),
        ("k5-noise10-strong", dict(seed=3, n=200, k=5, noise=0.1, strength=4.0)),
        ("k5-missing-class", dict(seed=4, n=200, k=5, noise=0.25, missing=4)),
        ("k5-singleton-class", dict(seed=5, n=200, k=5, noise=0.2, singleton=2)),
        ("k2-noise25", dict(seed=6, n=150, k=2, noise=0.25)),
        ("k3-float32", dict(seed=7, n=200, k=3, noise=0.2, float32=True)),
        ("k5-float32-missing", dict(seed=8, n=200, k=5, noise=0.2, float32=True, missing=1)),
        ("k4-unnormalized-rows", dict(seed=9, n=200, k=4, noise=0.2, unnormalized=True)),
        ("k3-class-all-wrong", dict(seed=11, n=200, k=3, noise=0.1, allwrong=1)),
        ("k12-many-classes", dict(seed=10, n=400, k=12, noise=0.3, decimals=8)),
    ]
    for name, spec in specs:
        labels, p = make_case(**spec)
        cases.append(run(name, labels, p))
    try:
        commit = subprocess.run(["git", "-C", "/work/.mirror/cleanlab+cleanlab/repo", "rev-parse", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
    except Exception:  # pragma: no cover
        commit = ""
    meta = {"cleanlab": cleanlab.__version__, "cleanlabCommit": commit, "numpy": np.__version__,
            "python": sys.version.split()[0]}
    json.dump({"meta": meta, "cases": cases}, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
