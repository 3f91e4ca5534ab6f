// d06_kcp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d06_kcp_ws {
	Layer L {
		Type: DSCONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 1, C: 40, R: 3, S: 3, Y: 30, X: 30 }
		Dataflow {
			SpatialMap(1,1) C;
			TemporalMap(Sz(R),1) Y;
			TemporalMap(Sz(S),1) X;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
