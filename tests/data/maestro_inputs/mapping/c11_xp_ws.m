// c11_xp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c11_xp_ws {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 40, C: 36, R: 3, S: 3, Y: 27, X: 27 }
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
