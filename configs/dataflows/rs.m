// rs: Eyeriss-like row-stationary dataflow (Chen et al., ISCA 2016), as MAESTRO's front end
// writes it.
// Levels: top = floor(PEs / R) PE sets (clusters of Sz(R) PEs), one output row (Y') each;
// inside a set, PE u holds filter row r = u and input row y'*stride + u, and computes the
// 1-D convolution of that row pair (all S taps) for a 16-channel K tile: the filter row stays
// in the PE (row-stationary) while X' advances, and the R PEs of a set add their partial
// output rows (reduction across R).
// Validity on strided and R = 1 layers: the Y' map is applied with the full R chunk, so each
// set's input rows are exactly [y'*stride, y'*stride + R) and its R PEs cover them one row each
// (no empty steps on strided layers); with R = 1 a set is a single PE and Y' spreads over all
// PEs (GEMM: N across the PEs). DSCONV (K = 1): the K tile holds the single dummy channel.
// serves: CONV DSCONV GEMM
Dataflow {
  SpatialMap(1,1) Y';
  TemporalMap(1,1) X';
  TemporalMap(1,1) C;
  TemporalMap(16,16) K;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  Cluster(Sz(R), P);
  SpatialMap(1,1) Y;
  SpatialMap(1,1) R;
  TemporalMap(Sz(S),Sz(S)) S;
}
