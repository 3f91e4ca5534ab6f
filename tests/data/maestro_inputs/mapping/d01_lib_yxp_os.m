// d01_lib_yxp_os: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d01_lib_yxp_os {
	Layer L {
		Type: DSCONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 1, C: 32, R: 3, S: 3, Y: 114, X: 114 }
		Dataflow {
			TemporalMap(1,1) K;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
			SpatialMap(1,1) Y';
			TemporalMap(8,8) X';
			TemporalMap(1,1) C;
			Cluster(8, P);
			SpatialMap(1,1) X';
		}
	}
}
