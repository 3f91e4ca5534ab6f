// c08_ckp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c08_ckp_ws {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 32, C: 8, R: 11, S: 11, Y: 40, X: 40 }
		Dataflow {
			SpatialMap(1,1) C;
			TemporalMap(64,64) K;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
			TemporalMap(1,1) Y';
			TemporalMap(1,1) X';
			Cluster(64, P);
			SpatialMap(1,1) K;
			TemporalMap(Sz(R),Sz(R)) R;
			TemporalMap(Sz(S),Sz(S)) S;
		}
	}
}
