// ckp_ws: weight-stationary dataflow with input channels (C) across clusters of 64 PEs and
// output channels (K) across the 64 PEs of a cluster (MAESTRO's "C-K-P", the transpose of
// kcp_ws).
// Levels: top = floor(PEs / 64) clusters (4 at 256 PEs, 1 at 64 PEs), each takes one input
// channel per fold; inside a cluster, 64 PEs take one output channel each of a 64-channel K
// tile. An input pixel window is multicast to the 64 PEs of a cluster; partial sums are
// reduced across the clusters (C).
// Each PE computes a whole R x S window per step; outputs are walked with Y'/X' maps (no empty
// steps on strided layers).
// DSCONV (K = 1): valid, but only the first PE of each cluster works (there is one "output
// channel" per input channel). GEMM (R = S = X = 1): Y' walks the N dimension.
// serves: CONV DSCONV GEMM
Dataflow {
  SpatialMap(1,1) C;
  TemporalMap(64,64) K;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  TemporalMap(1,1) Y';
  TemporalMap(1,1) X';
  Cluster(64, P);
  SpatialMap(1,1) K;
}
