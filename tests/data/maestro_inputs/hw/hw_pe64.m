// hw_pe64: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
num_pes: 64
l1_size_cstr: 100
l2_size_cstr: 3000
noc_bw_cstr: 32
NoC_NumHops: 1
