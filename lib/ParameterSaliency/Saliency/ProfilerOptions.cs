using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>Options of a <see cref="SaliencyProfiler"/>.</summary>
public sealed record ProfilerOptions
{
    /// <summary>
    /// Aggregation of |∂L/∂θ| into entries; null (the default): <see cref="DefaultAggregationFor"/> the model, filter-wise
    /// for convolutional networks (the paper's choice), neuron-wise otherwise.
    /// </summary>
    public Aggregation? Aggregation { get; init; }

    /// <summary>
    /// The aggregation a profiler of <paramref name="model"/> uses unless told (SPEC §8): filter-wise when it has
    /// convolution filters (4-D weights) other than a Vision Transformer's patch embedding, neuron-wise otherwise.
    /// </summary>
    /// <param name="model">The model to profile.</param>
    public static Aggregation DefaultAggregationFor(nn.Module model) =>
        model is not Models.VisionTransformer && model.parameters().Any(p => p.dim() == 4) ? Saliency.Aggregation.FilterWise : Saliency.Aggregation.NeuronWise;

    /// <summary>
    /// Engine. <see cref="ProfileEngine.Auto"/> uses the batched engine when the model supports it (every
    /// contributing parameter belongs to a Conv2d with groups = 1, a BatchNorm2d or a Linear) and, measured on
    /// the first batch of two or more images, it agrees with the loop and is not more than 10% slower than it on
    /// this model and processor (the better of two timed runs); otherwise the loop. <see cref="SaliencyProfiler.EngineReason"/> gives the measured speeds.
    /// </summary>
    public ProfileEngine Engine { get; init; } = ProfileEngine.Auto;

    /// <summary>
    /// Images per forward/backward pass of the batched engine (and per progress report). Per-sample weight
    /// gradients are never all held (their magnitudes are summed in registers, or reduced in chunks of at most 4 MB), so
    /// memory grows with the batch only through the activations. Measured on the default model with the settling check
    /// (2 cores, AVX-512, 1,024 images, 4 interleaved rounds): 16 per pass 203-275 img/s, 32 per pass 254-364, 64 per pass
    /// 280-360, 128 per pass 293-366, 256 per pass 271-368. Large images take fewer per pass (<see cref="SaliencyProfiler.InputValuesPerPass"/>).
    /// </summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Whether rows that hang on a ReLU input within float32 rounding of zero are checked in float64 and recomputed
    /// (<see cref="KinkGuard.Exact"/>, the default) or left in float32 and flagged with how far they could move
    /// (<see cref="KinkGuard.Flag"/>).
    /// </summary>
    public KinkGuard Guard { get; init; } = KinkGuard.Exact;

    /// <summary>For <see cref="Aggregation.LayerWise"/>: one entry for every parameter tensor, not only the 4-D ones.</summary>
    public bool LayerWiseAllTensors { get; init; }
}
