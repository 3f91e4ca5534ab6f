// c04_rs_resnet50: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c04_rs_resnet50 {
	Layer L {
		Type: CONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 128, C: 64, R: 3, S: 3, Y: 58, X: 58 }
		Dataflow {
			TemporalMap(2,2) K;
			TemporalMap(4,4) C;
			TemporalMap(Sz(R),Sz(R)) R;
			SpatialMap(Sz(R),1) Y;
			TemporalMap(Sz(S),1) X;
			Cluster(3,P);
			SpatialMap(1,1) X;
			SpatialMap(1,1) S;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
