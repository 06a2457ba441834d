namespace ParameterSaliency.Saliency;

/// <summary>How per-parameter gradient magnitudes |∂L/∂θ_i| are aggregated into a saliency profile s(x, y) (paper §2.1, Appendix A.1).</summary>
public enum Aggregation
{
    /// <summary>One entry per parameter: s_i = |∂L/∂θ_i|.</summary>
    ParameterWise,
    /// <summary>One entry per convolution filter (output channel of every 4-D weight): the mean of |∂L/∂θ| over (in, kh, kw).</summary>
    FilterWise,
    /// <summary>One entry per parameter tensor: the mean of |∂L/∂θ| over the whole tensor (4-D tensors only unless <see cref="ProfilerOptions.LayerWiseAllTensors"/>).</summary>
    LayerWise,
}

/// <summary>Which algorithm computes per-sample gradients; all give the same profiles within float32 rounding.</summary>
public enum ProfileEngine
{
    /// <summary>Batched when the model supports it and it measured no more than 10% slower than the loop on the first batch (normally much faster) (see <see cref="ProfilerOptions.Engine"/>), else the loop.</summary>
    Auto,
    /// <summary>One forward and backward pass per image: works for any model.</summary>
    Loop,
    /// <summary>One forward and one backward pass per batch; per-sample weight gradients from hooked layer inputs and output gradients (im2col + bmm, reduced in chunks).</summary>
    Batched,
}
