// d04_xp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d04_xp_ws {
	Layer L {
		Type: DSCONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 1, C: 144, R: 7, S: 7, Y: 23, X: 23 }
		Dataflow {
			TemporalMap(1,1) C;
			TemporalMap(Sz(R),1) Y;
			SpatialMap(Sz(S),1) X;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
