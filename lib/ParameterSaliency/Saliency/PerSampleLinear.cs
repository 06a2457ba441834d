using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Per-sample weight gradients of a linear map y = x·Wᵀ + b (a Linear layer, or attention's packed q, k, v projection),
/// from its input x [N, in] or [N, T, in] and ∂L/∂y [N, out] or [N, T, out]: ∂L_n/∂W = Σ_t ∂L_n/∂y[n, t]ᵀ · x[n, t], one
/// batched matrix product, taken for a chunk of samples at a time and reduced to the segment's entries by the layout
/// (<see cref="ProfileLayout.Reduce"/>), so at most about <see cref="ChunkElements"/> gradients are held at once.
/// </summary>
internal static class PerSampleLinear
{
    /// <summary>Most per-sample weight gradients held at once (16 MB of float32): a ViT-B/16 projection is 1.8M a sample.</summary>
    public const long ChunkElements = 4L << 20;

    /// <summary>
    /// The segment's entries [N, Length] from the layer's input and output gradient; for a head-wise segment also from
    /// its out_proj's input and output gradient (<paramref name="outProjection"/>).
    /// </summary>
    public static Tensor Reduced(ProfileLayout layout, ProfileSegment segment, Tensor input, Tensor outputGradient, (Tensor Input, Tensor OutputGradient)? outProjection = null)
    {
        long samples = input.shape[0];
        long perSample = segment.Shape[0] * segment.Shape[1] + (outProjection is null ? 0 : segment.Shape[1] * segment.Shape[1]);
        long samplesPerChunk = Math.Clamp(ChunkElements / Math.Max(1, perSample), 1, samples);
        var rows = new List<Tensor>();
        for (long start = 0; start < samples; start += samplesPerChunk)
        {
            long count = Math.Min(samplesPerChunk, samples - start);
            var weightGradients = WeightGradients(input.narrow(0, start, count), outputGradient.narrow(0, start, count));
            var outGradients = outProjection is { } o ? WeightGradients(o.Input.narrow(0, start, count), o.OutputGradient.narrow(0, start, count)) : null;
            rows.Add(layout.Reduce(segment, weightGradients, outGradients));
        }
        return cat(rows, 0);
    }

    /// <summary>∂L_n/∂W [n, out, in] of each sample n.</summary>
    public static Tensor WeightGradients(Tensor input, Tensor outputGradient) => input.dim() == 2
        ? bmm(outputGradient.unsqueeze(2), input.unsqueeze(1))
        : bmm(outputGradient.flatten(1, -2).transpose(1, 2), input.flatten(1, -2));

    /// <summary>∂L_n/∂b [n, out] of each sample n.</summary>
    public static Tensor BiasGradients(Tensor outputGradient) => outputGradient.dim() == 2 ? outputGradient : outputGradient.flatten(1, -2).sum([1]);
}
