// c02_lib_kcp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c02_lib_kcp_ws {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 96, C: 3, R: 11, S: 11, Y: 227, X: 227 }
		Dataflow {
			SpatialMap(1,1) K;
			TemporalMap(64,64) C;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
			TemporalMap(1,1) Y';
			TemporalMap(1,1) X';
			Cluster(64, P);
			SpatialMap(1,1) C;
		}
	}
}
