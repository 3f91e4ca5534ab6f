// g01_gemm_ckp_ws: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network g01_gemm_ckp_ws {
	Layer L {
		Type: GEMM
		Dimensions { K: 256, M: 128, N: 64 }
		Dataflow {
			SpatialMap(1,1) K;
			TemporalMap(64,64) M;
			TemporalMap(1,1) N;
			Cluster(64, P);
			SpatialMap(1,1) M;
		}
	}
}
