// ResNet-50: every convolution layer, in network order (53 layers), 224x224x3 input, batch 1.
// Source: K. He, X. Zhang, S. Ren and J. Sun, "Deep Residual Learning for Image Recognition",
// CVPR 2016, Table 1 (50-layer column), with the strides of torchvision's resnet50
// (torchvision/models/resnet.py, "ResNet v1.5"): in the first block of stages 3-5 the 3x3 conv
// (branch2b) has stride 2 and the 1x1 projection shortcut (branch1) has stride 2. (The original
// Caffe model puts the stride in branch2a instead; there branch2a of res3a/res4a/res5a runs at
// the output resolution, 231,211,008 MACs fewer: 3,855,925,248 instead of the 4,087,136,256
// of the layers below.)
// Names follow the Caffe model: res<stage><block>_branch2a/2b/2c (1x1 reduce, 3x3, 1x1
// expand) and res<stage>a_branch1 (projection shortcut), listed after the block's branch2c as
// torchvision runs them. The fully-connected layer is not listed.
// Y and X are unpadded input sizes; `Padding { Y: p, X: p }` (metronome's extension to
// MAESTRO's format) zero-pads them: p = 3 for conv1 (7x7), p = 1 for every 3x3 conv.
// Pooling: 3x3/2 max-pool (padding 1) after conv1: 112 -> 56.
// MACs: 4,087,136,256 in total.

Network resnet50 {
  // 224x224x3 -> 112x112x64
  Layer conv1 {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 3, X: 3 }
    Dimensions { N: 1, K: 64, C: 3, R: 7, S: 7, Y: 224, X: 224 }
  }
  // max-pool 3x3/2, padding 1: 112 -> 56

  // ---- stage res2: 3 bottleneck blocks, width 64, 256 output channels ----
  // 56x56x64 -> 56x56x64
  Layer res2a_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 64, C: 64, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x64 -> 56x56x64
  Layer res2a_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 64, C: 64, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 56x56x64 -> 56x56x256
  Layer res2a_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 64, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x64 -> 56x56x256; projection shortcut
  Layer res2a_branch1 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 64, R: 1, S: 1, Y: 56, X: 56 }
  }

  // 56x56x256 -> 56x56x64
  Layer res2b_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 64, C: 256, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x64 -> 56x56x64
  Layer res2b_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 64, C: 64, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 56x56x64 -> 56x56x256
  Layer res2b_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 64, R: 1, S: 1, Y: 56, X: 56 }
  }

  // 56x56x256 -> 56x56x64
  Layer res2c_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 64, C: 256, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x64 -> 56x56x64
  Layer res2c_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 64, C: 64, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 56x56x64 -> 56x56x256
  Layer res2c_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 64, R: 1, S: 1, Y: 56, X: 56 }
  }

  // ---- stage res3: 4 bottleneck blocks, width 128, 512 output channels ----
  // 56x56x256 -> 56x56x128
  Layer res3a_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 128, C: 256, R: 1, S: 1, Y: 56, X: 56 }
  }
  // 56x56x128 -> 28x28x128
  Layer res3a_branch2b {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 128, C: 128, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 28x28x128 -> 28x28x512
  Layer res3a_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 512, C: 128, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 56x56x256 -> 28x28x512; projection shortcut
  Layer res3a_branch1 {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Dimensions { N: 1, K: 512, C: 256, R: 1, S: 1, Y: 56, X: 56 }
  }

  // 28x28x512 -> 28x28x128
  Layer res3b_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 128, C: 512, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x128 -> 28x28x128
  Layer res3b_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 128, C: 128, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 28x28x128 -> 28x28x512
  Layer res3b_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 512, C: 128, R: 1, S: 1, Y: 28, X: 28 }
  }

  // 28x28x512 -> 28x28x128
  Layer res3c_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 128, C: 512, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x128 -> 28x28x128
  Layer res3c_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 128, C: 128, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 28x28x128 -> 28x28x512
  Layer res3c_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 512, C: 128, R: 1, S: 1, Y: 28, X: 28 }
  }

  // 28x28x512 -> 28x28x128
  Layer res3d_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 128, C: 512, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x128 -> 28x28x128
  Layer res3d_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 128, C: 128, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 28x28x128 -> 28x28x512
  Layer res3d_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 512, C: 128, R: 1, S: 1, Y: 28, X: 28 }
  }

  // ---- stage res4: 6 bottleneck blocks, width 256, 1024 output channels ----
  // 28x28x512 -> 28x28x256
  Layer res4a_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 512, R: 1, S: 1, Y: 28, X: 28 }
  }
  // 28x28x256 -> 14x14x256
  Layer res4a_branch2b {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 14x14x256 -> 14x14x1024
  Layer res4a_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 1024, C: 256, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 28x28x512 -> 14x14x1024; projection shortcut
  Layer res4a_branch1 {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Dimensions { N: 1, K: 1024, C: 512, R: 1, S: 1, Y: 28, X: 28 }
  }

  // 14x14x1024 -> 14x14x256
  Layer res4b_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 1024, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x256
  Layer res4b_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x1024
  Layer res4b_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 1024, C: 256, R: 1, S: 1, Y: 14, X: 14 }
  }

  // 14x14x1024 -> 14x14x256
  Layer res4c_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 1024, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x256
  Layer res4c_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x1024
  Layer res4c_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 1024, C: 256, R: 1, S: 1, Y: 14, X: 14 }
  }

  // 14x14x1024 -> 14x14x256
  Layer res4d_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 1024, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x256
  Layer res4d_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x1024
  Layer res4d_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 1024, C: 256, R: 1, S: 1, Y: 14, X: 14 }
  }

  // 14x14x1024 -> 14x14x256
  Layer res4e_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 1024, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x256
  Layer res4e_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x1024
  Layer res4e_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 1024, C: 256, R: 1, S: 1, Y: 14, X: 14 }
  }

  // 14x14x1024 -> 14x14x256
  Layer res4f_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 256, C: 1024, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x256
  Layer res4f_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x256 -> 14x14x1024
  Layer res4f_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 1024, C: 256, R: 1, S: 1, Y: 14, X: 14 }
  }

  // ---- stage res5: 3 bottleneck blocks, width 512, 2048 output channels ----
  // 14x14x1024 -> 14x14x512
  Layer res5a_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 512, C: 1024, R: 1, S: 1, Y: 14, X: 14 }
  }
  // 14x14x512 -> 7x7x512
  Layer res5a_branch2b {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 7x7x512 -> 7x7x2048
  Layer res5a_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 2048, C: 512, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 14x14x1024 -> 7x7x2048; projection shortcut
  Layer res5a_branch1 {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Dimensions { N: 1, K: 2048, C: 1024, R: 1, S: 1, Y: 14, X: 14 }
  }

  // 7x7x2048 -> 7x7x512
  Layer res5b_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 512, C: 2048, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 7x7x512 -> 7x7x512
  Layer res5b_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 7, X: 7 }
  }
  // 7x7x512 -> 7x7x2048
  Layer res5b_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 2048, C: 512, R: 1, S: 1, Y: 7, X: 7 }
  }

  // 7x7x2048 -> 7x7x512
  Layer res5c_branch2a {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 512, C: 2048, R: 1, S: 1, Y: 7, X: 7 }
  }
  // 7x7x512 -> 7x7x512
  Layer res5c_branch2b {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 7, X: 7 }
  }
  // 7x7x512 -> 7x7x2048
  Layer res5c_branch2c {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Dimensions { N: 1, K: 2048, C: 512, R: 1, S: 1, Y: 7, X: 7 }
  }
}
