// c12_yxp_os: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c12_yxp_os {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 16, C: 16, R: 1, S: 1, Y: 32, X: 32 }
		Dataflow {
			TemporalMap(1,1) K;
			TemporalMap(1,1) C;
			SpatialMap(Sz(R), 1) Y;
			TemporalMap(8,8) X;
			Cluster(8, P);
			SpatialMap(Sz(S), 1) X;
			TemporalMap(Sz(R), Sz(R)) R;
			TemporalMap(Sz(S), Sz(S)) S;
		}
	}
}
