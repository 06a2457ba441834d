namespace ParameterSaliency.Runtime;

/// <summary>Which library runs libtorch's float32 CPU convolutions, forward and backward.</summary>
public enum ConvolutionBackend
{
    /// <summary>oneDNN (libtorch's default), under the oneDNN ISA cap in force.</summary>
    OneDnn,
    /// <summary>
    /// ATen's own kernels (im2col and a matrix product): oneDNN off, and NNPACK too (which ATen would otherwise use for
    /// forward passes of 16 images or more, and which also blocks its loops for the caches the processor reports).
    /// Measured against NNPACK's help on 2 cores: the default model's profile 257 against 221 img/s, its training step 178
    /// against 161, ResNet-50's profile 1.67 against 1.47 img/s; the small ViT (one convolution) 607 against 645.
    /// </summary>
    Aten,
}
