namespace ParameterSaliency.Saliency;

/// <summary>Options of a <see cref="SaliencyProfiler"/>.</summary>
public sealed record ProfilerOptions
{
    /// <summary>Aggregation of |∂L/∂θ| into entries; filter-wise by default (the paper's choice).</summary>
    public Aggregation Aggregation { get; init; } = Aggregation.FilterWise;

    /// <summary>
    /// Engine. <see cref="ProfileEngine.Auto"/> uses the batched engine when the model supports it (every
    /// contributing parameter belongs to a Conv2d with groups = 1, a BatchNorm2d or a Linear) and, measured on
    /// the first batch of two or more images, it agrees with the loop and is faster than it on this model and
    /// processor; otherwise the loop. <see cref="SaliencyProfiler.EngineReason"/> gives the measured speeds.
    /// </summary>
    public ProfileEngine Engine { get; init; } = ProfileEngine.Auto;

    /// <summary>
    /// Images per forward/backward pass of the batched engine (and per progress report). Per-sample weight
    /// gradients are reduced in chunks of at most 16 MB whatever the batch, so memory grows with the batch only
    /// through the activations; on the default model 16 per pass measured fastest (8 and 32: within noise to
    /// 25% slower).
    /// </summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>For <see cref="Aggregation.LayerWise"/>: one entry for every parameter tensor, not only the 4-D ones.</summary>
    public bool LayerWiseAllTensors { get; init; }
}
