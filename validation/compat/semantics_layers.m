// Layers of tests/data/maestro_inputs (MAESTRO 4eb08d1's reference inputs, docs/maestro-compat.md
// section 6) small enough for the simulator: the layer shapes of the reference rows i03, c07,
// c10, c11, c12, d03 and d06, without their Dataflow blocks (the study uses library dataflows).
// Used by validation/compat/semantics_vs_sim.py together with configs/networks/small.m.
Network maestro_small {
  // i03: issue 6 row 4
  Layer i03 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 16, X: 16 }
  }
  // c07: 7x7 stride 4 (the largest MAC over-count of the reference table)
  Layer c07 {
    Type: CONV
    Stride { X: 4, Y: 4 }
    Dimensions { K: 24, C: 20, R: 7, S: 7, Y: 43, X: 43 }
  }
  // c10: 1x1, C < 64
  Layer c10 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { K: 48, C: 24, R: 1, S: 1, Y: 20, X: 20 }
  }
  // c11: 3x3 stride 4 (stride > kernel)
  Layer c11 {
    Type: CONV
    Stride { X: 4, Y: 4 }
    Dimensions { K: 40, C: 36, R: 3, S: 3, Y: 27, X: 27 }
  }
  // c12: 1x1 stride 4
  Layer c12 {
    Type: CONV
    Stride { X: 4, Y: 4 }
    Dimensions { K: 16, C: 16, R: 1, S: 1, Y: 32, X: 32 }
  }
  // d03: depth-wise 5x5
  Layer d03 {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Dimensions { K: 1, C: 64, R: 5, S: 5, Y: 20, X: 20 }
  }
  // d06: depth-wise 3x3 stride 4
  Layer d06 {
    Type: DSCONV
    Stride { X: 4, Y: 4 }
    Dimensions { K: 1, C: 40, R: 3, S: 3, Y: 30, X: 30 }
  }
}
