// Two SpatialMaps at one level couple K and C: (4096 + 1)^2 cells, more than the exact coverage
// analysis takes.
Network cov {
  Layer big { Type: CONV Dimensions { N: 1, K: 4096, C: 4096, R: 1, S: 1, Y: 1, X: 1 }
    Dataflow { SpatialMap(1,1) K; SpatialMap(1,1) C; } }
}
