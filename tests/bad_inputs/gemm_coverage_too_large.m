// The same coupling on a GEMM layer: the message names the GEMM's own dimensions (M, K).
Network cov {
  Layer mm { Type: GEMM Dimensions { M: 4096, N: 2, K: 4096 }
    Dataflow { SpatialMap(1,1) M; SpatialMap(1,1) K; } }
}
