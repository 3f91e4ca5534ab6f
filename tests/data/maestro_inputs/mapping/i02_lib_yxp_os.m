// i02_lib_yxp_os: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network i02_lib_yxp_os {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 64, C: 64, R: 1, S: 1, Y: 56, X: 56 }
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
