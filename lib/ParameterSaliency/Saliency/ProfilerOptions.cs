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
    /// gradients are reduced in chunks of at most 4 MB whatever the batch, so memory grows with the batch only
    /// through the activations. Measured on the default model (2 cores, medians of 4 interleaved runs): 8 per
    /// pass 360 img/s, 16 per pass 420, 32 per pass 455, 64 per pass 390; 16 keeps the activations at half of
    /// 32's for 8% less speed. Large images take fewer per pass (<see cref="SaliencyProfiler.InputValuesPerPass"/>).
    /// </summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>For <see cref="Aggregation.LayerWise"/>: one entry for every parameter tensor, not only the 4-D ones.</summary>
    public bool LayerWiseAllTensors { get; init; }
}
