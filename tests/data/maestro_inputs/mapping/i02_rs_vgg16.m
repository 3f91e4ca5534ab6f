// i02_rs_vgg16: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network i02_rs_vgg16 {
	Layer L {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 64, C: 64, R: 1, S: 1, Y: 56, X: 56 }
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
