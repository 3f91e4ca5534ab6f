Network bad {
Layer L1 {
  Type: CONV
  Stride { X: 1, Y: 1 }
  Dimensions { K: 4, C: 4, R: 3,
