// c04_lib_tpu_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c04_lib_tpu_ws {
	Layer L {
		Type: CONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 128, C: 64, R: 3, S: 3, Y: 58, X: 58 }
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
