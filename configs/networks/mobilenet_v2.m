// MobileNetV2 (width 1.0, 224x224x3 input, batch 1): every convolution layer, in order (52).
// Source: M. Sandler, A. Howard, M. Zhu, A. Zhmoginov and L.-C. Chen, "MobileNetV2: Inverted
// Residuals and Linear Bottlenecks", CVPR 2018, Table 2 (t, c, n, s per bottleneck sequence:
// (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1)), as in
// torchvision's mobilenet_v2: the stride is in the depth-wise 3x3 conv of the first block of a
// sequence; the first block (t = 1) has no expansion conv.
// Names: bneck<sequence>_<repeat>_{expand,dw,project}; conv1 is the 3x3/2 stem, conv_last the
// final 1x1 to 1280 channels. The classifier is not listed.
// Depth-wise layers are `Type: DSCONV` with K: 1 as MAESTRO writes them (one 3x3 filter per
// channel; output channels = C). Point-wise (1x1) layers are CONV.
// Y and X are unpadded input sizes; every 3x3 conv has `Padding { Y: 1, X: 1 }` (metronome's
// extension to MAESTRO's format).
// MACs: 299,494,272 in total (35 CONV + 17 DSCONV layers).

Network mobilenet_v2 {
  // 224x224x3 -> 112x112x32
  Layer conv1 {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 32, C: 3, R: 3, S: 3, Y: 224, X: 224 }
  }

  // ---- bottleneck sequence 1: t=1, c=16, n=1, s=1 ----
  // 112x112x32 -> 112x112x32
  Layer bneck1_1_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 32, R: 3, S: 3, Y: 112, X: 112 }
  }
  // 112x112x32 -> 112x112x16
  Layer bneck1_1_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 16, C: 32, R: 1, S: 1, Y: 112, X: 112 }
  }

  // ---- bottleneck sequence 2: t=6, c=24, n=2, s=2 ----
  // 112x112x16 -> 112x112x96
  Layer bneck2_1_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 96, C: 16, R: 1, S: 1, Y: 112, X: 112 }
  }
  // 112x112x96 -> 56x56x96
  Layer bneck2_1_dw {
    Type: DSCONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 96, R: 3, S: 3, Y: 112, X: 112 }
  }
  // 56x56x96 -> 56x56x24
  Layer bneck2_1_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 24, C: 96, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x24 -> 56x56x144
  Layer bneck2_2_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 144, C: 24, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x144 -> 56x56x144
  Layer bneck2_2_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 144, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 56x56x144 -> 56x56x24
  Layer bneck2_2_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 24, C: 144, R: 1, S: 1, Y: 56, X: 56 }
  }

  // ---- bottleneck sequence 3: t=6, c=32, n=3, s=2 ----
  // 56x56x24 -> 56x56x144
  Layer bneck3_1_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 144, C: 24, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x144 -> 28x28x144
  Layer bneck3_1_dw {
    Type: DSCONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 144, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 28x28x144 -> 28x28x32
  Layer bneck3_1_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 32, C: 144, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x32 -> 28x28x192
  Layer bneck3_2_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 192, C: 32, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x192 -> 28x28x192
  Layer bneck3_2_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 192, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 28x28x192 -> 28x28x32
  Layer bneck3_2_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 32, C: 192, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x32 -> 28x28x192
  Layer bneck3_3_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 192, C: 32, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x192 -> 28x28x192
  Layer bneck3_3_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 192, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 28x28x192 -> 28x28x32
  Layer bneck3_3_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 32, C: 192, R: 1, S: 1, Y: 28, X: 28 }
  }

  // ---- bottleneck sequence 4: t=6, c=64, n=4, s=2 ----
  // 28x28x32 -> 28x28x192
  Layer bneck4_1_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 192, C: 32, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x192 -> 14x14x192
  Layer bneck4_1_dw {
    Type: DSCONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 192, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 14x14x192 -> 14x14x64
  Layer bneck4_1_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 64, C: 192, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x64 -> 14x14x384
  Layer bneck4_2_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 384, C: 64, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x384
  Layer bneck4_2_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 384, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x64
  Layer bneck4_2_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 64, C: 384, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x64 -> 14x14x384
  Layer bneck4_3_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 384, C: 64, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x384
  Layer bneck4_3_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 384, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x64
  Layer bneck4_3_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 64, C: 384, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x64 -> 14x14x384
  Layer bneck4_4_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 384, C: 64, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x384
  Layer bneck4_4_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 384, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x64
  Layer bneck4_4_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 64, C: 384, R: 1, S: 1, Y: 14, X: 14 }
  }

  // ---- bottleneck sequence 5: t=6, c=96, n=3, s=1 ----
  // 14x14x64 -> 14x14x384
  Layer bneck5_1_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 384, C: 64, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x384
  Layer bneck5_1_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 384, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x384 -> 14x14x96
  Layer bneck5_1_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 96, C: 384, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x96 -> 14x14x576
  Layer bneck5_2_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 576, C: 96, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x576 -> 14x14x576
  Layer bneck5_2_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 576, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x576 -> 14x14x96
  Layer bneck5_2_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 96, C: 576, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x96 -> 14x14x576
  Layer bneck5_3_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 576, C: 96, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x576 -> 14x14x576
  Layer bneck5_3_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 576, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x576 -> 14x14x96
  Layer bneck5_3_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 96, C: 576, R: 1, S: 1, Y: 14, X: 14 }
  }

  // ---- bottleneck sequence 6: t=6, c=160, n=3, s=2 ----
  // 14x14x96 -> 14x14x576
  Layer bneck6_1_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 576, C: 96, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x576 -> 7x7x576
  Layer bneck6_1_dw {
    Type: DSCONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 576, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 7x7x576 -> 7x7x160
  Layer bneck6_1_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 160, C: 576, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 7x7x160 -> 7x7x960
  Layer bneck6_2_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 960, C: 160, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 7x7x960 -> 7x7x960
  Layer bneck6_2_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 960, R: 3, S: 3, Y: 7, X: 7 }
  }
  // 7x7x960 -> 7x7x160
  Layer bneck6_2_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 160, C: 960, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 7x7x160 -> 7x7x960
  Layer bneck6_3_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 960, C: 160, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 7x7x960 -> 7x7x960
  Layer bneck6_3_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 960, R: 3, S: 3, Y: 7, X: 7 }
  }
  // 7x7x960 -> 7x7x160
  Layer bneck6_3_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 160, C: 960, R: 1, S: 1, Y: 7, X: 7 }
  }

  // ---- bottleneck sequence 7: t=6, c=320, n=1, s=1 ----
  // 7x7x160 -> 7x7x960
  Layer bneck7_1_expand {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 960, C: 160, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 7x7x960 -> 7x7x960
  Layer bneck7_1_dw {
    Type: DSCONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 1, C: 960, R: 3, S: 3, Y: 7, X: 7 }
  }
  // 7x7x960 -> 7x7x320
  Layer bneck7_1_project {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 320, C: 960, R: 1, S: 1, Y: 7, X: 7 }
  }

  // 7x7x320 -> 7x7x1280
  Layer conv_last {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 1280, C: 320, R: 1, S: 1, Y: 7, X: 7 }
  }
}
