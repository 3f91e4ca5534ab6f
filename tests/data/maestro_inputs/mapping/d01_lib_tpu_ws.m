// d01_lib_tpu_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network d01_lib_tpu_ws {
	Layer L {
		Type: DSCONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 1, C: 32, R: 3, S: 3, Y: 114, X: 114 }
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
