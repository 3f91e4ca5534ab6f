// c02_lib_tpu_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c02_lib_tpu_ws {
	Layer L {
		Type: CONV
		Stride { X: 4, Y: 4 }
		Dimensions { K: 96, C: 3, R: 11, S: 11, Y: 227, X: 227 }
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
