// i03_yxp_os_shipped3x3: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network i03_yxp_os_shipped3x3 {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 16, X: 16 }
		Dataflow {
			TemporalMap(1,1) K;
			TemporalMap(1,1) C;
			SpatialMap(Sz(R), 1) Y;
			TemporalMap(10,8) X;
			Cluster(8, P);
			SpatialMap(Sz(S), 1) X;
			TemporalMap(Sz(R), Sz(R)) R;
			TemporalMap(Sz(R), Sz(R)) S;
		}
	}
}
