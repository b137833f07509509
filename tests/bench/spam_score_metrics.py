#!/usr/bin/env python3
"""Accuracy of one scorer: reads "label score" lines (label spam or ham)
and prints the catch rate and false positives at a threshold, and the
best catch rate with zero false positives."""
import sys


def main():
    name, threshold = sys.argv[1], float(sys.argv[2])
    spam, ham = [], []
    for line in open(sys.argv[3]):
        label, score = line.split()[:2]
        (spam if label == "spam" else ham).append(float(score))
    caught = sum(s >= threshold for s in spam)
    fp = sum(h >= threshold for h in ham)
    worst_ham = max(ham) if ham else float("-inf")
    best = sum(s > worst_ham for s in spam)
    print(f"{name:<22} spam {len(spam):5d}  ham {len(ham):5d}  "
          f"caught {100.0 * caught / max(len(spam), 1):5.1f}%  "
          f"FP {fp} ({100.0 * fp / max(len(ham), 1):.2f}%)  "
          f"best@0FP {100.0 * best / max(len(spam), 1):5.1f}% "
          f"(above {worst_ham:g})")


if __name__ == "__main__":
    main()
