// c02_lib_yxp_os: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c02_lib_yxp_os {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 96, C: 3, R: 11, S: 11, Y: 227, X: 227 }
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
