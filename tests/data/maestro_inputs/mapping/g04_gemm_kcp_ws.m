// g04_gemm_kcp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g04_gemm_kcp_ws {
	Layer L {
		Type: GEMM
		Dimensions { K: 2048, M: 1000, N: 1 }
		Dataflow {
			SpatialMap(1,1) M;
			TemporalMap(64,64) K;
			TemporalMap(1,1) N;
			Cluster(64, P);
			SpatialMap(1,1) K;
			TemporalMap(1,1) N;
		}
	}
}
