// g04_gemm_nlr: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g04_gemm_nlr {
	Layer L {
		Type: GEMM
		Dimensions { K: 2048, M: 1000, N: 1 }
		Dataflow {
			TemporalMap(1,1) M;
			TemporalMap(1,1) N;
			SpatialMap(1,1) K;
		}
	}
}
