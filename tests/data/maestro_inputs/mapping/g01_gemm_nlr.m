// g01_gemm_nlr: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g01_gemm_nlr {
	Layer L {
		Type: GEMM
		Dimensions { K: 256, M: 128, N: 64 }
		Dataflow {
			TemporalMap(1,1) M;
			TemporalMap(1,1) N;
			SpatialMap(1,1) K;
		}
	}
}
