// c12_xp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c12_xp_ws {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 16, C: 16, R: 1, S: 1, Y: 32, X: 32 }
		Dataflow {
			TemporalMap(1,1) K;
			TemporalMap(1,1) C;
			TemporalMap(Sz(R),1) Y;
			SpatialMap(Sz(S),1) X;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
