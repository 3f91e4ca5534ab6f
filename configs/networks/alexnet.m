// AlexNet: the five convolution layers, 227x227x3 input, batch 1.
// Source: A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet Classification with Deep
// Convolutional Neural Networks", NIPS 2012, Section 3.5 / Figure 2 (channel counts
// 96-256-384-384-256, kernels 11/5/3/3/3, conv1 stride 4), with the 227x227 input and the
// paddings of the reference Caffe model (conv2 pad 2, conv3-5 pad 1) that make the sizes chain
// (55 -> pool 27 -> 27 -> pool 13 -> 13 -> 13 -> 13), as torchvision's alexnet pads too.
// Written UNGROUPED: the original splits conv2, conv4 and conv5 into two groups (one per GPU);
// our layers have no groups, so those three layers here have every input channel feeding every
// output channel (twice the MACs of the grouped original; torchvision's single-GPU variant is
// ungrouped too, with other channel counts).
// Padding: `Padding { Y: p, X: p }` (metronome's extension to MAESTRO's format) with Y, X the
// unpadded input size. Overlapping max-pool 3x3/2 after conv1, conv2 (and conv5).
// conv1: 96 * 3 * 11 * 11 * 55 * 55 = 105,415,200 MACs; all five: 1,076,634,144 MACs.

Network alexnet {
  // 227x227x3 -> 55x55x96
  Layer conv1 {
    Type: CONV
    Stride { X: 4, Y: 4 }
    Dimensions { N: 1, K: 96, C: 3, R: 11, S: 11, Y: 227, X: 227 }
  }
  // max-pool 3x3/2: 55 -> 27

  // 27x27x96 -> 27x27x256
  Layer conv2 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 2, X: 2 }
    Dimensions { N: 1, K: 256, C: 96, R: 5, S: 5, Y: 27, X: 27 }
  }
  // max-pool 3x3/2: 27 -> 13

  // 13x13x256 -> 13x13x384
  Layer conv3 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 384, C: 256, R: 3, S: 3, Y: 13, X: 13 }
  }
  // 13x13x384 -> 13x13x384
  Layer conv4 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 384, C: 384, R: 3, S: 3, Y: 13, X: 13 }
  }
  // 13x13x384 -> 13x13x256
  Layer conv5 {
    Type: CONV
    Stride { X: 1, Y: 1 }
    Padding { Y: 1, X: 1 }
    Dimensions { N: 1, K: 256, C: 384, R: 3, S: 3, Y: 13, X: 13 }
  }
  // max-pool 3x3/2: 13 -> 6, then the fully-connected layers (not listed)
}
