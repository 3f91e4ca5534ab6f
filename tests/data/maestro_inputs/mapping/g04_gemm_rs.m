// g04_gemm_rs: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g04_gemm_rs {
	Layer L {
		Type: GEMM
		Dimensions { K: 2048, M: 1000, N: 1 }
		Dataflow {
			SpatialMap(1,1) N;
			TemporalMap(1,1) K;
			TemporalMap(16,16) M;
		}
	}
}
