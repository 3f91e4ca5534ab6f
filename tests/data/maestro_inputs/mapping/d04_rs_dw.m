// d04_rs_dw: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d04_rs_dw {
	Layer L {
		Type: DSCONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 1, C: 144, R: 7, S: 7, Y: 23, X: 23 }
		Dataflow {
			SpatialMap(1,1) Y';
			TemporalMap(1,1) X';
			TemporalMap(1,1) C;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
			Cluster(Sz(R),P);
			SpatialMap(1,1) Y;
			SpatialMap(1,1) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
