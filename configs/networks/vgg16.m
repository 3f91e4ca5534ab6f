// VGG-16 (configuration D): the 13 convolution layers, 224x224x3 input, batch 1.
// Source: K. Simonyan and A. Zisserman, "Very Deep Convolutional Networks for Large-Scale
// Image Recognition", ICLR 2015, Table 1 (column D): every conv is 3x3, stride 1, padding 1
// ("same"), 2x2 max-pooling with stride 2 after conv1_2, conv2_2, conv3_3, conv4_3, conv5_3.
// The fully-connected layers are not listed.
// Y and X are the unpadded input sizes; `Padding { Y: 1, X: 1 }` (metronome's extension to
// MAESTRO's format) zero-pads them to Y + 2, X + 2, so every conv keeps its spatial size.
// MACs: 15,346,630,656 in total (checked in tests/unit/dataflow_library_test.cpp).

Network vgg16 {
  // 224x224x3 -> 224x224x64
  Layer conv1_1 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 64, C: 3, R: 3, S: 3, Y: 224, X: 224 }
  }
  // 224x224x64 -> 224x224x64
  Layer conv1_2 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 64, C: 64, R: 3, S: 3, Y: 224, X: 224 }
  }
  // max-pool 2x2/2: 224 -> 112

  // 112x112x64 -> 112x112x128
  Layer conv2_1 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 128, C: 64, R: 3, S: 3, Y: 112, X: 112 }
  }
  // 112x112x128 -> 112x112x128
  Layer conv2_2 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 128, C: 128, R: 3, S: 3, Y: 112, X: 112 }
  }
  // max-pool 2x2/2: 112 -> 56

  // 56x56x128 -> 56x56x256
  Layer conv3_1 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 128, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 56x56x256 -> 56x56x256
  Layer conv3_2 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 56, X: 56 }
  }
  // 56x56x256 -> 56x56x256
  Layer conv3_3 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 256, R: 3, S: 3, Y: 56, X: 56 }
  }
  // max-pool 2x2/2: 56 -> 28

  // 28x28x256 -> 28x28x512
  Layer conv4_1 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 256, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 28x28x512 -> 28x28x512
  Layer conv4_2 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 28, X: 28 }
  }
  // 28x28x512 -> 28x28x512
  Layer conv4_3 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 28, X: 28 }
  }
  // max-pool 2x2/2: 28 -> 14

  // 14x14x512 -> 14x14x512
  Layer conv5_1 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x512 -> 14x14x512
  Layer conv5_2 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 14, X: 14 }
  }
  // 14x14x512 -> 14x14x512
  Layer conv5_3 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 512, C: 512, R: 3, S: 3, Y: 14, X: 14 }
  }
  // max-pool 2x2/2: 14 -> 7
}
