// Registry micro-benchmark: placeholder until the registry core lands.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
