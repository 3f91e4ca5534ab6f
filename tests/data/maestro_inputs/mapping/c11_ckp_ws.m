// c11_ckp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c11_ckp_ws {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 40, C: 36, R: 3, S: 3, Y: 27, X: 27 }
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
