// c13_lib_xp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c13_lib_xp_ws {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { N: 2, K: 64, C: 64, R: 3, S: 3, Y: 30, X: 30 }
		Dataflow {
			TemporalMap(1,1) K;
			TemporalMap(1,1) C;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
			TemporalMap(1,1) Y';
			SpatialMap(1,1) X';
		}
	}
}
