"""The timing half of the Python references: one warm-up call, then RUNS timed calls; prints `median_s=<float>`
for the C++ benchmark (bench/reference_run.h) to read."""
import statistics
import time


def print_median_seconds(run, runs):
    run()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(f"median_s={statistics.median(times):.4f}")
