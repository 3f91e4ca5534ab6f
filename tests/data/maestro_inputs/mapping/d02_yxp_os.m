// d02_yxp_os: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d02_yxp_os {
	Layer L {
		Type: DSCONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 1, C: 96, R: 3, S: 3, Y: 113, X: 113 }
		Dataflow {
			TemporalMap(1,1) C;
			SpatialMap(Sz(R), 1) Y;
			TemporalMap(10,8) X;
			Cluster(8, P);
			SpatialMap(Sz(S), 1) X;
			TemporalMap(Sz(R), Sz(R)) R;
			TemporalMap(Sz(S), Sz(S)) S;
		}
	}
}
