// g02_gemm_kcp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g02_gemm_kcp_ws {
	Layer L {
		Type: GEMM
		Dimensions { K: 768, M: 768, N: 128 }
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
