// c04_rs_vgg16: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
Network c04_rs_vgg16 {
	Layer L {
		Type: CONV
		Stride { X: 2, Y: 2 }
		Dimensions { K: 128, C: 64, R: 3, S: 3, Y: 58, X: 58 }
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
