// g02_gemm_example: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g02_gemm_example {
	Layer L {
		Type: GEMM
		Dimensions { K: 768, M: 768, N: 128 }
		Dataflow {
			TemporalMap(1,1) N;
			SpatialMap(1,1) M;
			TemporalMap(Sz(K),Sz(K)) K;
			Cluster(Sz(K), P);
			TemporalMap(1,1) N;
			TemporalMap(1,1) M;
			SpatialMap(1,1) K;
		}
	}
}
