// c04_lib_yxp_os: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c04_lib_yxp_os {
	Layer L {
		Type: CONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 128, C: 64, R: 3, S: 3, Y: 58, X: 58 }
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
