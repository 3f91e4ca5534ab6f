// a dataflow file with a broken directive
Dataflow {
  SpatialMap(1,1) K;
  TemporalMap(4,4 C;
}
