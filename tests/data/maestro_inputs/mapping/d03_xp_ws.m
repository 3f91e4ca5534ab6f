// d03_xp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d03_xp_ws {
	Layer L {
		Type: DSCONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 1, C: 64, R: 5, S: 5, Y: 20, X: 20 }
		Dataflow {
			TemporalMap(1,1) C;
			TemporalMap(Sz(R),1) Y;
			SpatialMap(Sz(S),1) X;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
