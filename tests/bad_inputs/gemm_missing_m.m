Network gemm {
Layer FC1 {
  Type: GEMM
  Dimensions { K: 16, N: 8 }
  Dataflow {
    SpatialMap(1,1) M;
    TemporalMap(16,16) K;
    TemporalMap(1,1) N;
  }
}
}
