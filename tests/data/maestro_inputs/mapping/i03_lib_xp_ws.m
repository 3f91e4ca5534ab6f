// i03_lib_xp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network i03_lib_xp_ws {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 16, X: 16 }
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
