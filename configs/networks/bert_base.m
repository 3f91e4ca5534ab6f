// BERT-base: the matrix multiplications of ONE encoder layer, sequence length 512, batch 1.
// Source: J. Devlin, M.-W. Chang, K. Lee and K. Toutanova, "BERT: Pre-training of Deep
// Bidirectional Transformers for Language Understanding", NAACL 2019, Section 3 (BERT-base:
// L = 12 layers, hidden H = 768, A = 12 attention heads, so 64 dims per head; feed-forward size
// 4H = 3072; maximum sequence length 512), on the Transformer encoder of Vaswani et al. 2017.
// A full forward pass runs 12 such layers. Softmax, layer norm, GELU, biases and residual adds
// are not GEMMs and are not listed.
//
// GEMM convention: out[M][N] = A[M][K] x B[K][N]; metronome maps M -> K (output channels),
// K -> C (input channels), N -> Y, R = S = X = 1 (docs/semantics.md).
// Orientation chosen: the sequence (tokens) is always N, so the first operand A is the weight
// matrix (or the per-head key/value matrix) and out is the transposed activation:
//   projection  out^T[768][512] = W[768][768] x X^T[768][512]
// The two attention GEMMs are written for ONE head (64 dims); there are 12 heads, each with
// the same shapes (12x the MACs of those two entries per encoder layer). They are not batched
// into one entry: in a GEMM layer N is the GEMM's N dimension, not a batch.
// MACs per entry: M * N * K; the 8 entries total 3,657,433,088 MACs (one head's attention GEMMs
// counted once).

Network bert_base {
  // Q = X Wq: 768 output features x 512 tokens, reduction over 768 hidden features.
  Layer q_proj {
    Type: GEMM
    Dimensions { M: 768, N: 512, K: 768 }
  }
  // K = X Wk
  Layer k_proj {
    Type: GEMM
    Dimensions { M: 768, N: 512, K: 768 }
  }
  // V = X Wv
  Layer v_proj {
    Type: GEMM
    Dimensions { M: 768, N: 512, K: 768 }
  }
  // Attention scores of one head (x12 heads): S^T[512 keys][512 queries]
  //   = K_h[512][64] x Q_h^T[64][512], reduction over the 64 head dims.
  Layer attn_scores_head {
    Type: GEMM
    Dimensions { M: 512, N: 512, K: 64 }
  }
  // Attention-weighted values of one head (x12 heads): O_h^T[64][512 queries]
  //   = V_h^T[64][512 keys] x P^T[512 keys][512 queries], reduction over the 512 keys.
  Layer attn_context_head {
    Type: GEMM
    Dimensions { M: 64, N: 512, K: 512 }
  }
  // Output projection of the concatenated heads: 768 x 512 tokens, reduction over 768.
  Layer attn_out_proj {
    Type: GEMM
    Dimensions { M: 768, N: 512, K: 768 }
  }
  // Feed-forward 1: hidden 768 -> intermediate 3072.
  Layer ffn1 {
    Type: GEMM
    Dimensions { M: 3072, N: 512, K: 768 }
  }
  // Feed-forward 2: intermediate 3072 -> hidden 768.
  Layer ffn2 {
    Type: GEMM
    Dimensions { M: 768, N: 512, K: 3072 }
  }
}
