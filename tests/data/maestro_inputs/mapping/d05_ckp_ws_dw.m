// d05_ckp_ws_dw: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d05_ckp_ws_dw {
	Layer L {
		Type: DSCONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 1, C: 256, R: 1, S: 1, Y: 56, X: 56 }
		Dataflow {
			SpatialMap(1,1) C;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
			TemporalMap(1,1) Y';
			TemporalMap(1,1) X';
		}
	}
}
