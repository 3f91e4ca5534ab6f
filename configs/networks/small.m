// Small layers for fast end-to-end runs of both engines (simulator tests, the quick validation
// suite): one of each shape the engines must get right — a padded 3x3 convolution, a strided
// one, a depth-wise layer (DSCONV, K: 1 as MAESTRO writes it), a point-wise 1x1 layer and a GEMM.
// Sizes are arbitrary but deliberately not multiples of the library dataflows' tile sizes, so
// edge tiles are exercised. Not a real network.

Network small {
  // 3x3, stride 1, padding 1: 10x10x4 -> 10x10x8
  Layer conv3x3 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 8, C: 4, R: 3, S: 3, Y: 10, X: 10 }
  }
  // 3x3, stride 2, no padding: 11x11x6 -> 5x5x8
  Layer strided {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Dimensions { N: 1, K: 8, C: 6, R: 3, S: 3, Y: 11, X: 11 }
  }
  // depth-wise 3x3, padding 1: 8x8x12 -> 8x8x12
  Layer depthwise {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 12, R: 3, S: 3, Y: 8, X: 8 }
  }
  // point-wise 1x1: 6x6x20 -> 6x6x12
  Layer pointwise {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 12, C: 20, R: 1, S: 1, Y: 6, X: 6 }
  }
  // out[M][N] = A[M][K] x B[K][N] with M 12, N 7, K 18
  Layer gemm {
    Type: GEMM
    Dimensions { M: 12, N: 7, K: 18 }
  }
}
