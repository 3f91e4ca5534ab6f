// c13_yxp_os: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c13_yxp_os {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { N: 2, K: 64, C: 64, R: 3, S: 3, Y: 30, X: 30 }
		Dataflow {
			TemporalMap(1,1) K;
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
