// d01_xp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d01_xp_ws {
	Layer L {
		Type: DSCONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 1, C: 32, R: 3, S: 3, Y: 114, X: 114 }
		Dataflow {
			TemporalMap(1,1) C;
			TemporalMap(Sz(R),1) Y;
			SpatialMap(Sz(S),1) X;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
