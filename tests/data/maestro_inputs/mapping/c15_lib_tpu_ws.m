// c15_lib_tpu_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c15_lib_tpu_ws {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 128, C: 256, R: 1, S: 1, Y: 64, X: 1 }
		Dataflow {
			SpatialMap(1,1) K;
			TemporalMap(16,16) C;
			TemporalMap(1,1) R;
			TemporalMap(1,1) S;
			TemporalMap(1,1) Y';
			TemporalMap(1,1) X';
			Cluster(16, P);
			SpatialMap(1,1) C;
		}
	}
}
