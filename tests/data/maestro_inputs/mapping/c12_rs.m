// c12_rs: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c12_rs {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 16, C: 16, R: 1, S: 1, Y: 32, X: 32 }
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
