// c04_rs: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c04_rs {
	Layer L {
		Type: CONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 128, C: 64, R: 3, S: 3, Y: 58, X: 58 }
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
