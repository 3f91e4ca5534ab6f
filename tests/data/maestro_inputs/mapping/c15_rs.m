// c15_rs: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c15_rs {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 128, C: 256, R: 1, S: 1, Y: 64, X: 1 }
		Dataflow {
			SpatialMap(1,1) Y';
			TemporalMap(1,1) X';
			TemporalMap(1,1) C;
			TemporalMap(16,16) K;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
			Cluster(Sz(R),P);
			SpatialMap(1,1) Y;
			SpatialMap(1,1) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
