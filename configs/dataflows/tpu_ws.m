// tpu_ws: systolic weight-stationary dataflow (TPU-like, Jouppi et al., ISCA 2017).
// Levels: top = floor(PEs / 16) columns (16 at 256 PEs: a 16 x 16 array; 4 at 64 PEs), one
// output channel (K) each per fold; inside a column, 16 PEs (rows) take one input channel each
// of a 16-channel C tile. Each PE holds ONE weight w[k][c][r][s] while the output pixels
// stream past it (Y', X' innermost, one MAC per PE per step); inputs move along the rows,
// partial sums down the columns (reduction across C).
// The filter taps (R, S) are walked one at a time; each output pixel (y', x') then needs the
// single input row y'*stride + r and column x'*stride + s, which the Y'/X' maps select, so
// strided layers have no empty steps and each (r, s, y', x') is visited exactly once.
// DSCONV (K = 1): valid, but only the first column (16 PEs) works. GEMM (R = S = X = 1):
// M across columns, K (the reduction) across rows, N streams: the classic TPU mapping.
// serves: CONV DSCONV GEMM
Dataflow {
  SpatialMap(1,1) K;
  TemporalMap(16,16) C;
  TemporalMap(1,1) R;
  TemporalMap(1,1) S;
  TemporalMap(1,1) Y';
  TemporalMap(1,1) X';
  Cluster(16, P);
  SpatialMap(1,1) C;
}
