Network bad {
Layer L1 {
  Type:
  Stride { X: 1, Y: 1 }
  Dimensions { K: 4, C: 4, R: 3, S: 3, Y: 6, X: 6 }
  Dataflow {
    SpatialMap(1,1) K;
    TemporalMap(4,4) C;
    TemporalMap(Sz(R),Sz(R)) R;
    TemporalMap(Sz(S),Sz(S)) S;
    TemporalMap(Sz(R),1) Y;
    TemporalMap(Sz(S),1) X;
    Cluster(64, P);
    SpatialMap(1,1) C;
  }
}
}
