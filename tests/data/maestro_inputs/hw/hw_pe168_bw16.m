// hw_pe168_bw16: written for metronome's MAESTRO reference table (tests/data/maestro_reference.md)
num_pes: 168
l1_size_cstr: 100
l2_size_cstr: 3000
noc_bw_cstr: 16
NoC_NumHops: 1
