// yxp_os: output-stationary dataflow with a 2-D tile of output pixels across the PEs
// (MAESTRO's "YX-P", as in ShiDianNao's output-stationary array).
// Levels: top = floor(PEs / 8) clusters (32 at 256 PEs, 8 at 64 PEs), one output row (Y')
// each; inside a cluster, 8 PEs take one output column each of an 8-column tile of X'.
// Every PE keeps its output pixel (k, y', x') while C, and the R x S window of each step,
// accumulate into it: no partial sums leave a PE until the output is final.
// Output rows/cols are mapped directly (Y'/X' maps), so any filter size and stride tiles
// without gaps or duplicates; the last X' tile of a row is clipped.
// DSCONV (K = 1): one channel at a time.
// GEMM is left out: its output plane is N x 1 (X' = 1), so 7 of the 8 PEs of every cluster
// would idle (valid, but 8x the steps of the other GEMM dataflows: ~114 M steps for one BERT
// encoder layer on 256 PEs).
// serves: CONV DSCONV -- GEMM has X' = 1: 7 of the 8 PEs of each cluster would idle
Dataflow {
  TemporalMap(1,1) K;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  SpatialMap(1,1) Y';
  TemporalMap(8,8) X';
  TemporalMap(1,1) C;
  Cluster(8, P);
  SpatialMap(1,1) X';
}
