// kcp_ws: NVDLA-like weight-stationary dataflow, output channels (K) across clusters of 64
// PEs, input channels (C) across the 64 PEs of a cluster (MAESTRO's "KC-P").
// Levels: top = floor(PEs / 64) clusters (4 at 256 PEs, 1 at 64 PEs), each takes one output
// channel per fold; inside a cluster, 64 PEs take one input channel each of a 64-channel tile.
// Each PE computes a whole R x S filter window of one (k, c) pair per step; partial sums of
// the 64 PEs of a cluster are reduced across C.
// Sliding windows: outputs are walked with Y'/X' maps (one output row/column per step, windows
// of Sz(R) x Sz(S) input rows/cols), which is the same step sequence as MAESTRO's
// `TemporalMap(Sz(R),1) Y` on stride-1 layers and skips the empty steps that map makes on
// strided layers. The last C tile of a layer with C not a multiple of 64 is clipped (PEs idle).
// DSCONV (K = 1): only the first cluster works, its PEs one channel each. GEMM (R = S = X = 1):
// Y' walks the N dimension.
// serves: CONV DSCONV GEMM
Dataflow {
  SpatialMap(1,1) K;
  TemporalMap(64,64) C;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  TemporalMap(1,1) Y';
  TemporalMap(1,1) X';
  Cluster(64, P);
  SpatialMap(1,1) C;
}
