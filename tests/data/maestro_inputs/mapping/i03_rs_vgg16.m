// i03_rs_vgg16: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network i03_rs_vgg16 {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 16, X: 16 }
		Dataflow {
			TemporalMap(2,2) K;
			TemporalMap(3,3) C;
			TemporalMap(3,3) R;
			SpatialMap(3,1) Y;
			TemporalMap(3,1) X;
			Cluster(3,P);
			SpatialMap(1,1) X;
			SpatialMap(1,1) R;
			TemporalMap(3,3) S;
		}
	}
}
