// c05_nlr: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c05_nlr {
	Layer L {
		Type: CONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 256, C: 128, R: 1, S: 1, Y: 28, X: 28 }
		Dataflow {
			TemporalMap (1,1) K;
			TemporalMap (Sz(R), 1) Y;
			TemporalMap (Sz(S), 1) X;
			TemporalMap (Sz(R), Sz(R)) R;
			TemporalMap (Sz(S), Sz(S)) S;
			SpatialMap (1,1) C;
		}
	}
}
