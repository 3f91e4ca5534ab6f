// g02_gemm_nlr: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g02_gemm_nlr {
	Layer L {
		Type: GEMM
		Dimensions { K: 768, M: 768, N: 128 }
		Dataflow {
			TemporalMap(1,1) M;
			TemporalMap(1,1) N;
			SpatialMap(1,1) K;
		}
	}
}
