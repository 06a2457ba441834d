using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Per-sample weight gradients of a Conv2d (groups = 1), reduced to profile entries without ever holding all of
/// them: ∂L_n/∂W[o, i, a, b] = Σ_yx ∂L_n/∂out[n, o, y, x] · x_pad[n, i, y·s + a·d, x·s + b·d]. The input patches
/// (im2col, [n, in·kh·kw, L]) are gathered for a chunk of samples, the gradients of a chunk of output channels are
/// one batched matrix product with them, and each chunk is reduced (|g| averaged per filter) while it is still in
/// cache. Measured on the default model (2 cores, AVX-512): gathering the patches as [n, in·kh·kw, L] (contiguous
/// runs along the output row) and multiplying by their transpose is 1.5-3x faster than [n, L, in·kh·kw] or
/// libtorch's unfold on the fast path; the grouped-convolution formulation (samples as groups) is 1.4-8x slower
/// than either; |g| written over the product's own memory is 2x faster than a second tensor of that size.
/// </summary>
internal static class PerSampleConvolution
{
    /// <summary>
    /// Most elements of one chunk's patches or gradients (4 MB of float32, about a core's L2 cache): measured on the
    /// default model's widest layer (128 filters of 128x3x3, 16 images), chunks of this size reduce 2.4x faster
    /// than the whole batch's gradients at once; it also bounds the memory of a pass on wide models.
    /// </summary>
    public const long ChunkElements = 1L << 20;

    /// <summary>
    /// The layer's entries [N, entries] of <paramref name="layout"/>'s aggregation from its input [N, in, H, W] and
    /// ∂L/∂output [N, out, H', W'], by batched matrix products: for what <see cref="Summable"/> leaves (differentiable,
    /// parameter-wise, float64 or not in host memory); the engine routes the rest to <see cref="ConvolutionGradientSums"/>.
    /// </summary>
    public static Tensor Reduced(Conv2d conv, Tensor input, Tensor outputGradient, ProfileLayout layout, bool differentiable, long chunkElements = ChunkElements)
    {
        long samples = input.shape[0], outChannels = conv.out_channels;
        long patchLength = input.shape[1] * conv.kernel_size[0] * conv.kernel_size[1];
        long positions = outputGradient.shape[2] * outputGradient.shape[3];
        var gradient = outputGradient.reshape(samples, outChannels, positions);
        long samplesPerChunk = Math.Clamp(chunkElements / Math.Max(1, patchLength * Math.Max(positions, outChannels)), 1, samples);
        var rows = new List<Tensor>();
        for (long start = 0; start < samples; start += samplesPerChunk)
        {
            long count = Math.Min(samplesPerChunk, samples - start);
            var patches = Patches(conv, input.narrow(0, start, count), outputGradient.shape[2], outputGradient.shape[3], differentiable);
            long channelsPerChunk = Math.Clamp(chunkElements / (count * patchLength), 1, outChannels);
            using Scalar layerSize = outChannels * patchLength;
            var parts = new List<Tensor>();
            for (long channel = 0; channel < outChannels; channel += channelsPerChunk)
            {
                long width = Math.Min(channelsPerChunk, outChannels - channel);
                var weightGradients = bmm(gradient.narrow(0, start, count).narrow(1, channel, width), patches.transpose(1, 2)); // [n, width, in·kh·kw]
                var magnitude = differentiable ? weightGradients.abs() : weightGradients.abs_();
                parts.Add(layout.Aggregation switch
                {
                    Aggregation.FilterWise or Aggregation.NeuronWise => magnitude.mean([2]),
                    Aggregation.ParameterWise => magnitude.reshape(count, -1),
                    _ => magnitude.sum([1, 2]).unsqueeze(1) / layerSize,
                });
            }
            rows.Add(layout.Aggregation == Aggregation.LayerWise ? stack(parts).sum([0]) : cat(parts, 1));
        }
        return cat(rows, 0);
    }

    /// <summary>
    /// Whether the layer's entries come from <see cref="ConvolutionGradientSums"/> (the sums of |∂L_n/∂W| per filter,
    /// float32 in host memory, not differentiable): every aggregation but the parameter-wise one needs only those sums.
    /// </summary>
    public static bool Summable(ProfileLayout layout, bool differentiable, Tensor input, Tensor outputGradient) =>
        !differentiable && layout.Aggregation != Aggregation.ParameterWise && ConvolutionGradientSums.Handles(input, outputGradient);

    /// <summary>The layer's entries from the sums [N, out] of |∂L_n/∂W| over each filter's weights: their means per filter, or the layer's mean.</summary>
    public static Tensor FromSums(Conv2d conv, Tensor sums, Aggregation aggregation)
    {
        long patchLength = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1];
        using Scalar filterSize = patchLength, layerSize = sums.shape[1] * patchLength;
        return aggregation is Aggregation.FilterWise or Aggregation.NeuronWise ? sums / filterSize : sums.sum([1], keepdim: true) / layerSize;
    }

    /// <summary>Input patches [n, in·kh·kw, H'·W'] (the order of the weight's flattened dimensions, and of libtorch's unfold).</summary>
    static Tensor Patches(Conv2d conv, Tensor input, long outHeight, long outWidth, bool differentiable)
    {
        long[] kernel = conv.kernel_size, stride = conv.stride, dilation = conv.dilation, padding = conv.padding!;
        if (differentiable) // unfold's backward (fold) is the efficient one for the double backward of a heatmap
            return nn.functional.unfold(input, (kernel[0], kernel[1]), (dilation[0], dilation[1]), (padding[0], padding[1]), (stride[0], stride[1]));
        long samples = input.shape[0], channels = input.shape[1];
        var padded = nn.functional.pad(input, [padding[1], padding[1], padding[0], padding[0]]).contiguous();
        long height = padded.shape[2], width = padded.shape[3];
        return padded.as_strided(
                [samples, channels, kernel[0], kernel[1], outHeight, outWidth],
                [channels * height * width, height * width, width * dilation[0], dilation[1], width * stride[0], stride[1]])
            .reshape(samples, channels * kernel[0] * kernel[1], outHeight * outWidth); // one contiguous copy
    }
}
