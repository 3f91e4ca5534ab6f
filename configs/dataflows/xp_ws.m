// xp_ws: ShiDianNao-like X-parallel dataflow: output columns (X') across all PEs in one level,
// weights stationary while the array walks down the output rows (MAESTRO's "X-P").
// Each PE computes one output pixel's whole R x S window for one (k, c) pair per step; the
// filter (k, c) is broadcast to every PE and stays while Y' advances; neighbouring PEs share
// overlapping input columns. Layers with more output columns than PEs fold X'.
// Written with X'/Y' maps instead of MAESTRO's `SpatialMap(Sz(S),1) X` /
// `TemporalMap(Sz(R),1) Y`: identical on stride-1 layers, and no empty units or steps on
// strided layers.
// DSCONV (K = 1): one channel at a time, X' across the PEs.
// serves: CONV DSCONV -- GEMM has X = X' = 1: an X'-parallel array would keep one PE busy
Dataflow {
  TemporalMap(1,1) K;
  TemporalMap(1,1) C;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  TemporalMap(1,1) Y';
  SpatialMap(1,1) X';
}
