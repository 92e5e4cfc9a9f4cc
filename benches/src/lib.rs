//! Nothing here: the benchmarks are in `peers/`.
