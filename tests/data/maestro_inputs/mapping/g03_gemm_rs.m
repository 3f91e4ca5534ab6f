// g03_gemm_rs: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g03_gemm_rs {
	Layer L {
		Type: GEMM
		Dimensions { K: 100, M: 100, N: 100 }
		Dataflow {
			SpatialMap(1,1) N;
			TemporalMap(1,1) K;
			TemporalMap(16,16) M;
		}
	}
}
